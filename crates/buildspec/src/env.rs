//! The `env` and `proxy` sections.

use crate::error::{BuildspecError, shown};
use crate::model::{Env, Proxy};
use crate::read::{Ctx, Result, flag, get, map, opt_string, string_list, string_map};
use crate::yaml::{Kind, Value};

const ENV_KEYS: [&str; 6] =
    ["shell", "variables", "parameter-store", "secrets-manager", "exported-variables", "git-credential-helper"];

/// Linux shells CodeBuild accepts in `env/shell`.
pub const LINUX_SHELLS: [&str; 2] = ["bash", "/bin/sh"];
const WINDOWS_SHELLS: [&str; 2] = ["powershell.exe", "cmd.exe"];

/// Prefixes whose variables cannot be exported.
pub const RESERVED_EXPORT_PREFIXES: [&str; 2] = ["AWS_", "CODEBUILD_"];

pub(crate) fn read_env(ctx: &mut Ctx, value: &Value) -> Result<Env> {
    let entries = map(value, "env")?;
    ctx.warn_unknown(entries, &ENV_KEYS, "env");
    let mut env = Env::default();
    if let Some(v) = get(entries, "shell") {
        env.shell = read_shell(v)?;
    }
    if let Some(v) = get(entries, "variables") {
        env.variables = string_map(v, "env/variables")?;
    }
    if let Some(v) = get(entries, "parameter-store") {
        env.parameter_store = string_map(v, "env/parameter-store")?;
    }
    if let Some(v) = get(entries, "secrets-manager") {
        env.secrets_manager = string_map(v, "env/secrets-manager")?;
    }
    if let Some(v) = get(entries, "exported-variables") {
        env.exported_variables = read_exported(v)?;
    }
    if let Some(v) = get(entries, "git-credential-helper") {
        env.git_credential_helper = flag(v, "env/git-credential-helper")?;
    }
    Ok(env)
}

fn read_shell(value: &Value) -> Result<Option<String>> {
    let Some(shell) = opt_string(value, "env/shell")? else {
        return Ok(None);
    };
    if LINUX_SHELLS.contains(&shell.as_str()) {
        return Ok(Some(shell));
    }
    let why = if WINDOWS_SHELLS.contains(&shell.as_str()) {
        "Windows shells are not supported, expected bash or /bin/sh"
    } else {
        "expected bash or /bin/sh"
    };
    Err(BuildspecError::at(format!("Unsupported shell `{}` in env/shell: {why}", shown(&shell)), value.pos))
}

fn read_exported(value: &Value) -> Result<Vec<String>> {
    let names = string_list(value, "env/exported-variables", false)?;
    let items: &[Value] = match &value.kind {
        Kind::Seq(items) => items,
        _ => &[],
    };
    for (name, item) in names.iter().zip(items) {
        if RESERVED_EXPORT_PREFIXES.iter().any(|p| name.starts_with(p)) {
            return Err(BuildspecError::at(
                format!(
                    "Invalid exported variable `{}` in env/exported-variables: \
                     variables starting with AWS_ or CODEBUILD_ cannot be exported",
                    shown(name)
                ),
                item.pos,
            ));
        }
    }
    Ok(names)
}

pub(crate) fn read_proxy(ctx: &mut Ctx, value: &Value) -> Result<Proxy> {
    let entries = map(value, "proxy")?;
    ctx.warn_unknown(entries, &["upload-artifacts", "logs"], "proxy");
    let mut proxy = Proxy::default();
    if let Some(v) = get(entries, "upload-artifacts") {
        proxy.upload_artifacts = flag(v, "proxy/upload-artifacts")?;
    }
    if let Some(v) = get(entries, "logs") {
        proxy.logs = flag(v, "proxy/logs")?;
    }
    Ok(proxy)
}

//! From `kiln run`'s arguments to the agent's job: the checked arguments ([`Plan`]), then the
//! [`Job`] with a LOCAL_DIRECTORY source and artifact targets in a scratch object store.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use kiln_agent::protocol::{ArtifactTarget, Context, Job, SecretRef, SecretSource, SourceSpec};
use kiln_buildspec::Buildspec;
use kiln_objects::{FsObjectStore, ObjectStore};

use super::RunArgs;

/// The scratch object store's only bucket.
pub const BUCKET: &str = "kiln-run";
const REGION: &str = "us-east-1";
const ACCOUNT_ID: &str = "000000000000";

/// The checked arguments.
#[derive(Debug)]
pub struct Plan {
    pub dir: PathBuf,
    pub project: String,
    pub env: Vec<(String, String)>,
    /// The job's buildspec setting: inline YAML from --buildspec, else `None` (buildspec.yml).
    pub buildspec: Option<String>,
    /// The buildspec as far as it can be read here (for the artifact targets and secret names).
    pub spec: Option<Buildspec>,
    pub artifacts_dir: PathBuf,
    pub sandbox: bool,
}

pub fn plan(args: &RunArgs) -> anyhow::Result<Plan> {
    let dir =
        std::fs::canonicalize(&args.dir).with_context(|| format!("cannot use the directory {}", args.dir.display()))?;
    if !dir.is_dir() {
        bail!("{} is not a directory", dir.display());
    }
    let project = match &args.project_name {
        Some(name) => name.clone(),
        None => dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "kiln-run".to_string()),
    };
    if project.is_empty() || project.contains(['/', ':']) {
        bail!("--project-name {project:?} must be non-empty, without '/' or ':'");
    }
    let env = args.env.iter().map(|pair| parse_env(pair)).collect::<anyhow::Result<Vec<_>>>()?;
    let (buildspec, text) = buildspec(args, &dir)?;
    let spec = text.as_deref().and_then(|t| kiln_buildspec::parse(t).ok());
    let cwd = std::env::current_dir().context("finding the current directory")?;
    Ok(Plan {
        dir,
        project,
        env,
        buildspec,
        spec,
        artifacts_dir: resolved(&cwd.join(&args.artifacts_dir)),
        sandbox: sandbox(&args.sandbox)?,
    })
}

/// `path` with symbolic links resolved as far as it exists, so that the agent recognises it
/// inside the (canonical) source directory and leaves it out of the copy.
fn resolved(path: &Path) -> PathBuf {
    if let Ok(path) = std::fs::canonicalize(path) {
        return path;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => resolved(parent).join(name),
        _ => path.to_path_buf(),
    }
}

fn parse_env(pair: &str) -> anyhow::Result<(String, String)> {
    match pair.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_string(), value.to_string())),
        _ => bail!("--env {pair:?} must be NAME=VALUE"),
    }
}

fn sandbox(setting: &str) -> anyhow::Result<bool> {
    match setting {
        "none" => Ok(false),
        "auto" => Ok(kiln_agent::sandbox::bwrap_available()),
        "bwrap" if kiln_agent::sandbox::bwrap_available() => Ok(true),
        "bwrap" => bail!("--sandbox bwrap: bubblewrap (bwrap) does not work here"),
        other => bail!("--sandbox must be auto, bwrap or none, not {other:?}"),
    }
}

/// The job's buildspec setting and the buildspec's text when it can be read here. A working
/// tree without buildspec.yml is an error now rather than a failed DOWNLOAD_SOURCE.
fn buildspec(args: &RunArgs, dir: &Path) -> anyhow::Result<(Option<String>, Option<String>)> {
    if let Some(file) = &args.buildspec {
        let mut text =
            std::fs::read_to_string(file).with_context(|| format!("cannot read the buildspec {}", file.display()))?;
        // A trailing newline makes the agent take the setting as YAML, never as a path.
        if !text.ends_with('\n') {
            text.push('\n');
        }
        return Ok((Some(text.clone()), Some(text)));
    }
    if let Some(version) = &args.source_version {
        // Best effort: the agent reads the real one from the checkout.
        let shown = std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .arg("show")
            .arg(format!("{version}:buildspec.yml"))
            .stderr(std::process::Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
        return Ok((None, shown));
    }
    let path = dir.join("buildspec.yml");
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok((None, Some(text))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail!("no buildspec: {} does not exist (give one with --buildspec FILE)", path.display())
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// The agent's job; creates the scratch object store's bucket.
pub fn job(args: &RunArgs, plan: &Plan, scratch: &Path) -> anyhow::Result<Job> {
    let objects_dir = scratch.join("objects");
    let store = FsObjectStore::open(&objects_dir).context("creating the scratch object store")?;
    store.create_bucket(BUCKET).context("creating the scratch object store")?;
    let uuid = uuid::Uuid::new_v4().to_string();
    let build_id = format!("{}:{uuid}", plan.project);
    let zip = args.packaging.eq_ignore_ascii_case("ZIP");
    let target = |identifier: Option<&str>| {
        let name = identifier.unwrap_or(&plan.project);
        ArtifactTarget {
            identifier: identifier.map(str::to_string),
            bucket: BUCKET.to_string(),
            key: if zip { format!("{name}.zip") } else { name.to_string() },
            build_uuid: None,
            zip,
            // As a project whose artifacts take the buildspec's `name`.
            override_name: true,
        }
    };
    let artifacts = plan.spec.as_ref().and_then(|s| s.artifacts.as_ref());
    Ok(Job {
        build_arn: format!("arn:aws:codebuild:{REGION}:{ACCOUNT_ID}:build/{build_id}"),
        build_id,
        build_number: 1,
        project_arn: format!("arn:aws:codebuild:{REGION}:{ACCOUNT_ID}:project/{}", plan.project),
        project_name: plan.project.clone(),
        region: REGION.to_string(),
        account_id: ACCOUNT_ID.to_string(),
        initiator: std::env::var("USER").unwrap_or_else(|_| "kiln-run".to_string()),
        image: "local".to_string(),
        kms_key_id: String::new(),
        start_time_ms: kiln_api::now_ms(),
        source: SourceSpec {
            kind: kiln_agent::local_source::KIND.to_string(),
            location: Some(plan.dir.display().to_string()),
            version: args.source_version.clone(),
            depth: None,
            submodules: false,
        },
        buildspec: plan.buildspec.clone(),
        env: plan.env.clone(),
        build_dir: scratch.join("build"),
        sandbox: plan.sandbox,
        hidden_paths: vec![objects_dir.clone()],
        artifacts: artifacts.map(|_| target(None)),
        secondary_artifacts: artifacts
            .map(|a| a.secondary_artifacts.iter().map(|(id, _)| target(Some(id))).collect())
            .unwrap_or_default(),
        secondary_sources: Vec::new(),
        objects_dir,
        secret_env: Vec::new(),
        prepared: None,
        cache: None,
        // Output is printed as it comes: there is no store to spool it for.
        log_spool: None,
        log_spool_fd: None,
        // Nothing of Kiln's runs beside a local build: it keeps the caller's priority.
        nice: 0,
        events_fd: None,
    })
}

/// The answer to the agent's request for secret values: there is no server to ask, so
/// DOWNLOAD_SOURCE fails naming the variables (from the buildspec, when it was read here).
pub fn no_secrets(lookups: &[SecretRef], plan: &Plan) -> Context {
    let env = plan.spec.as_ref().map(|s| &s.env);
    let described: Vec<String> = lookups
        .iter()
        .map(|lookup| {
            let (kind, defined) = match lookup.source {
                SecretSource::ParameterStore => ("parameter-store", env.map(|e| &e.parameter_store)),
                SecretSource::SecretsManager => ("secrets-manager", env.map(|e| &e.secrets_manager)),
            };
            let name = defined.and_then(|vars| vars.iter().find(|(_, r)| *r == lookup.reference)).map(|(n, _)| n);
            match name {
                Some(name) => format!("{name} ({kind} {})", lookup.reference),
                None => format!("{kind} {}", lookup.reference),
            }
        })
        .collect();
    Context {
        status_code: "CLIENT_ERROR".to_string(),
        message: format!(
            "kiln run has no server to resolve Parameter Store or Secrets Manager variables: {}; \
             give their values with --env NAME=VALUE",
            described.join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_dirs_resolve_links_even_before_they_exist() {
        let temp = tempfile::tempdir().expect("tempdir");
        let real = temp.path().join("real");
        std::fs::create_dir_all(&real).expect("mkdir");
        std::os::unix::fs::symlink(&real, temp.path().join("link")).expect("symlink");
        let canonical = std::fs::canonicalize(&real).expect("canonical");
        assert_eq!(resolved(&temp.path().join("link/./out/zips")), canonical.join("out").join("zips"));
        assert_eq!(resolved(&temp.path().join("link")), canonical);
    }

    #[test]
    fn env_pairs_need_a_name_and_an_equals_sign() {
        assert_eq!(parse_env("A=b=c").expect("valid"), ("A".to_string(), "b=c".to_string()));
        assert_eq!(parse_env("A=").expect("valid"), ("A".to_string(), String::new()));
        assert!(parse_env("A").is_err());
        assert!(parse_env("=x").is_err());
    }

    #[test]
    fn unresolvable_secrets_are_named() {
        let spec = kiln_buildspec::parse(
            "version: 0.2\nenv:\n  parameter-store:\n    TOKEN: /ci/token\nphases:\n  build:\n    commands: [true]\n",
        )
        .expect("buildspec");
        let plan = Plan {
            dir: PathBuf::from("/x"),
            project: "p".into(),
            env: Vec::new(),
            buildspec: None,
            spec: Some(spec),
            artifacts_dir: PathBuf::from("/x/out"),
            sandbox: false,
        };
        let lookups = [
            SecretRef { source: SecretSource::ParameterStore, reference: "/ci/token".into() },
            SecretRef { source: SecretSource::SecretsManager, reference: "db:pw".into() },
        ];
        let context = no_secrets(&lookups, &plan);
        assert_eq!(context.status_code, "CLIENT_ERROR");
        assert!(context.message.contains("TOKEN (parameter-store /ci/token)"), "{}", context.message);
        assert!(context.message.contains("secrets-manager db:pw"), "{}", context.message);
    }
}

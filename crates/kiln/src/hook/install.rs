//! `kiln hook install`: writes an executable `hooks/post-receive` that runs this kiln binary.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context as _, bail};
use kiln_triggers::codecommit::{Repository, name_from_git_dir};

use super::InstallArgs;

/// Marks a hook Kiln wrote, so installing again replaces it without --force.
const MARKER: &str = "# Installed by `kiln hook install`";

pub fn install(args: &InstallArgs) -> anyhow::Result<()> {
    let (git_dir, hooks) = locate(&args.repository)?;
    let name = match &args.repository_name {
        Some(n) => n.clone(),
        None => name_from_git_dir(&git_dir).with_context(|| format!("cannot name {}", git_dir.display()))?,
    };
    // Fail now, not at the first push, on a name events cannot carry.
    Repository::new(&name, "us-east-1", "000000000000").map_err(|e| anyhow::anyhow!("{e}; pass --repository-name"))?;
    if let Some(endpoint) = &args.endpoint {
        anyhow::ensure!(endpoint.starts_with("http://"), "--endpoint must be an http:// URL, not {endpoint:?}");
    }

    let path = hooks.join("post-receive");
    if let Ok(existing) = std::fs::read_to_string(&path)
        && !existing.contains(MARKER)
        && !args.force
    {
        bail!(
            "{} exists and Kiln did not write it: add `kiln hook post-receive` to it, or pass --force",
            path.display()
        );
    }
    let kiln = std::env::current_exe().and_then(|p| p.canonicalize()).context("finding the kiln binary")?;
    let script = script(&kiln, args.endpoint.as_deref(), args.repository_name.as_deref());
    std::fs::create_dir_all(&hooks).with_context(|| format!("creating {}", hooks.display()))?;
    std::fs::write(&path, script).with_context(|| format!("writing {}", path.display()))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("making {} executable", path.display()))?;
    let endpoint = args.endpoint.as_deref().unwrap_or("$KILN_ENDPOINT, else http://127.0.0.1:7171");
    println!("installed {}: pushes to {name} publish repository events to {endpoint}", path.display());
    Ok(())
}

/// The repository's git directory and hooks directory (honouring core.hooksPath), both absolute.
fn locate(repository: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    let out = Command::new("git")
        .arg("-C")
        .arg(repository)
        .args(["rev-parse", "--absolute-git-dir", "--git-path", "hooks"])
        .stdin(Stdio::null())
        .output()
        .context("running git")?;
    if !out.status.success() {
        bail!("{} is not a git repository: {}", repository.display(), String::from_utf8_lossy(&out.stderr).trim());
    }
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let mut lines = text.lines();
    let (Some(git_dir), Some(hooks)) = (lines.next(), lines.next()) else {
        bail!("git rev-parse gave no git directory for {}", repository.display());
    };
    // `--git-path` answers relative to the directory git ran in.
    let hooks = Path::new(hooks);
    let hooks = if hooks.is_absolute() { hooks.to_path_buf() } else { repository.join(hooks) };
    Ok((PathBuf::from(git_dir), hooks))
}

fn script(kiln: &Path, endpoint: Option<&str>, repository_name: Option<&str>) -> String {
    let mut command = format!("exec {} hook post-receive", quote(&kiln.to_string_lossy()));
    if let Some(e) = endpoint {
        command.push_str(&format!(" --endpoint {}", quote(e)));
    }
    if let Some(n) = repository_name {
        command.push_str(&format!(" --repository-name {}", quote(n)));
    }
    format!(
        "#!/bin/sh\n{MARKER}: publishes this repository's branch and tag changes to Kiln as\n\
         # CodeCommit Repository State Change events.\n{command}\n"
    )
}

/// Single-quotes `s` for sh.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_calls_this_binary_with_quoted_arguments() {
        let s = script(Path::new("/opt/it's/kiln"), Some("http://127.0.0.1:9000"), Some("MyRepo"));
        assert!(s.starts_with("#!/bin/sh\n"), "{s}");
        assert!(s.contains(MARKER));
        assert!(
            s.ends_with(
                "\nexec '/opt/it'\\''s/kiln' hook post-receive --endpoint 'http://127.0.0.1:9000' \
                 --repository-name 'MyRepo'\n"
            ),
            "{s}"
        );
        let bare = script(Path::new("/k"), None, None);
        assert!(bare.ends_with("\nexec '/k' hook post-receive\n"), "{bare}");
    }
}

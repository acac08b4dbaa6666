//! The git questions a hook asks of the repository it runs in.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context as _, bail};
use kiln_triggers::codecommit::{RefChange, ReferenceType};

/// The repository's git directory, absolute (hooks run with GIT_DIR set, often to `.`).
pub fn absolute_git_dir() -> anyhow::Result<PathBuf> {
    let out = Command::new("git")
        .args(["rev-parse", "--absolute-git-dir"])
        .stdin(Stdio::null())
        .output()
        .context("running git rev-parse")?;
    if !out.status.success() {
        bail!("not in a git repository: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// Tags count by the commit they point at, as polling sees them (`<tag>^{}`), so a build of
/// `commitId` checks out a commit. `None` when peeling shows nothing changed.
pub fn peel_tags(git_dir: &Path, change: RefChange) -> Option<RefChange> {
    if change.reference_type() != Some(ReferenceType::Tag) {
        return Some(change);
    }
    let peel = |id: Option<&str>| id.map(|id| peel(git_dir, id).unwrap_or_else(|| id.to_string()));
    let (old, new) = (peel(change.old_commit()), peel(change.new_commit()));
    RefChange::new(change.full_name(), old, new).ok()
}

fn peel(git_dir: &Path, id: &str) -> Option<String> {
    let out = Command::new("git")
        .arg("--git-dir")
        .arg(git_dir)
        .args(["rev-parse", "--verify", "--quiet", &format!("{id}^{{commit}}")])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let commit = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !commit.is_empty()).then_some(commit)
}

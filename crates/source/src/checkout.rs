//! Populating the work tree once the commit is present.
//!
//! CodeBuild leaves a detached HEAD (`git branch` shows `* (HEAD detached at …)`) with a
//! local branch of the built branch's name next to it; build tools that look for the branch
//! (`git branch --contains HEAD`, `origin/<b>`) rely on that, so we reproduce it.

use std::path::Path;

use crate::SourceError;
use crate::git::{Git, display, failure};
use crate::strategy::{Found, commit};
use crate::version::is_full_object_id;

/// The branch to leave next to the detached HEAD.
pub(crate) struct LocalBranch<'a> {
    pub name: &'a str,
    /// The fetch already stored the branch tip as `refs/heads/<name>` and
    /// `refs/remotes/origin/<name>`.
    pub fetched: bool,
    /// The version was empty: record `origin/HEAD` like a clone does.
    pub default: bool,
}

/// Checks out `found` detached in `dest` and returns the commit now at HEAD; if the version
/// named a branch, makes sure that local branch exists (at the fetched branch tip, or at
/// the commit when no tip was stored). `original` is the version text, for errors.
pub(crate) fn check_out(
    git: &mut Git<'_>,
    dest: &Path,
    found: &Found,
    branch: Option<LocalBranch<'_>>,
    original: &str,
) -> Result<String, SourceError> {
    let rev = match found {
        Found::Commit(rev) | Found::Rev(rev) => rev.as_str(),
    };
    // Also right when the fetch created the branch `git init` had made current: with no
    // index yet, git treats this as an initial checkout and writes every file.
    let args = ["-c", "advice.detachedHead=false", "checkout", "-q", "--detach", rev];
    let shown = display(&args);
    git.log(&shown);
    let outcome = git.exec(&args)?;
    if !outcome.success {
        // A ref naming a tree or blob: the version names no commit, git did nothing wrong.
        if let Found::Rev(rev) = found
            && commit(git, rev)?.is_none()
        {
            return Err(SourceError::ref_not_found(original));
        }
        return Err(failure(&shown, &outcome));
    }
    let sha = match found {
        Found::Commit(sha) => sha.clone(),
        Found::Rev(_) => head_commit(git, dest)?,
    };
    let Some(branch) = branch else {
        return Ok(sha);
    };
    if !branch.fetched {
        quiet(git, &["update-ref", &format!("refs/heads/{}", branch.name), &sha])?;
    } else if branch.default {
        record_origin_head(git, dest, &format!("refs/remotes/origin/{}", branch.name))?;
    }
    Ok(sha)
}

/// Points `origin/HEAD` at `tracking`, as a clone does. With the files ref storage (`git
/// init`'s default) a symbolic ref is a file holding `ref: <target>` (gitrepository-layout),
/// so writing it saves a git process at every build's start; other storage asks git.
fn record_origin_head(git: &Git<'_>, dest: &Path, tracking: &str) -> Result<(), SourceError> {
    let git_dir = dest.join(".git");
    let remotes = git_dir.join("refs").join("remotes").join("origin");
    if !git_dir.join("reftable").exists() && remotes.is_dir() {
        return std::fs::write(remotes.join("HEAD"), format!("ref: {tracking}\n")).map_err(SourceError::Io);
    }
    quiet(git, &["symbolic-ref", "refs/remotes/origin/HEAD", tracking])
}

/// The commit a detached HEAD points at. A detached HEAD is stored as the commit id in
/// `.git/HEAD` (gitrepository-layout), which saves a `git rev-parse`; other ref storage
/// (reftable) keeps a placeholder there, so ask git then.
fn head_commit(git: &Git<'_>, dest: &Path) -> Result<String, SourceError> {
    if let Ok(text) = std::fs::read_to_string(dest.join(".git").join("HEAD"))
        && is_full_object_id(text.trim())
    {
        return Ok(text.trim().to_ascii_lowercase());
    }
    let args = ["rev-parse", "--verify", "HEAD"];
    let outcome = git.exec(&args)?;
    if outcome.success { Ok(outcome.stdout.trim().to_string()) } else { Err(failure(&display(&args), &outcome)) }
}

/// Initialises submodules recursively, shallow when the superproject is.
pub(crate) fn update_submodules(git: &mut Git<'_>, dest: &Path, depth: Option<u32>) -> Result<(), SourceError> {
    if !dest.join(".gitmodules").exists() {
        git.log("No submodules to fetch");
        return Ok(());
    }
    let depth_arg = depth.map(|d| format!("--depth={d}"));
    // Local-path submodules are refused by default since git 2.38.1 (CVE-2022-39253); a
    // build may legitimately use them, and a build can read local files anyway.
    let mut args = vec!["-c", "protocol.file.allow=always", "submodule", "update", "--init", "--recursive"];
    args.extend(depth_arg.as_deref());
    git.run(&args).map(drop)
}

/// Runs a local bookkeeping command without logging it.
fn quiet(git: &Git<'_>, args: &[&str]) -> Result<(), SourceError> {
    let outcome = git.exec(args)?;
    if outcome.success { Ok(()) } else { Err(failure(&display(args), &outcome)) }
}

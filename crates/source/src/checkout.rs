//! Populating the work tree once the commit is present.
//!
//! CodeBuild leaves a detached HEAD (`git branch` shows `* (HEAD detached at …)`) with a
//! local branch of the built branch's name next to it; build tools that look for the branch
//! (`git branch --contains HEAD`, `origin/<b>`) rely on that, so we reproduce it.

use std::path::Path;

use crate::SourceError;
use crate::git::{Git, failure};
use crate::strategy::commit;

/// Checks out `sha` detached; if the version named `branch`, also creates that local branch
/// at the fetched branch tip. `default_branch` records `origin/HEAD` like a clone does.
pub(crate) fn check_out(
    git: &mut Git<'_>,
    sha: &str,
    branch: Option<&str>,
    default_branch: bool,
) -> Result<(), SourceError> {
    git.run(&["-c", "advice.detachedHead=false", "checkout", "-q", "--detach", sha])?;
    let Some(branch) = branch else {
        return Ok(());
    };
    let tracking = format!("refs/remotes/origin/{branch}");
    let tracked = commit(git, &tracking)?;
    let tip = tracked.as_deref().unwrap_or(sha);
    quiet(git, &["update-ref", &format!("refs/heads/{branch}"), tip])?;
    if default_branch && tracked.is_some() {
        quiet(git, &["symbolic-ref", "refs/remotes/origin/HEAD", &tracking])?;
    }
    Ok(())
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
    if outcome.success { Ok(()) } else { Err(failure(&crate::git::display(args), &outcome)) }
}

//! The default branch at a limited depth (the most common source of a build) in one git
//! command: `git clone` lists the refs, fetches and checks out in one process over one
//! connection, where the general path takes four commands and two connections. The result is
//! left as the general path leaves it: a detached HEAD at the branch tip, the local branch
//! beside it, `origin/<branch>` and `origin/HEAD`.
//!
//! Anything unexpected (the clone fails, the repository is empty, refs are not stored as
//! files) empties the directory again and the caller takes the general path, so the errors
//! users see are that path's.

use std::path::Path;

use crate::git::{Git, display};
use crate::version::is_full_object_id;
use crate::{Fetched, SourceError};

/// Clones `location`'s default branch `depth` commits deep into the empty `dest`; `None` when
/// the general path must run instead (`dest` is empty again then).
pub(crate) fn default_branch(
    git: &mut Git<'_>,
    dest: &Path,
    location: &str,
    depth: u32,
) -> Result<Option<Fetched>, SourceError> {
    let depth = format!("--depth={depth}");
    // --no-local: a local path is fetched like any remote (shallow), not hard-linked whole.
    let args = ["clone", "-q", "--no-local", &depth, "--", location, "."];
    git.log(&display(&args));
    let outcome = git.exec(&args)?;
    let fetched = if outcome.success { detach_at_branch_tip(dest)? } else { None };
    if fetched.is_none() {
        empty(dest)?;
    }
    Ok(fetched)
}

/// Reads the branch `git clone` checked out and detaches HEAD at its tip. With the files ref
/// storage, HEAD is `ref: refs/heads/<branch>`, the branch a file holding its commit, and a
/// detached HEAD the commit id itself (gitrepository-layout): no git process needed.
fn detach_at_branch_tip(dest: &Path) -> Result<Option<Fetched>, SourceError> {
    let git_dir = dest.join(".git");
    let head = std::fs::read_to_string(git_dir.join("HEAD")).unwrap_or_default();
    let Some(branch) = head.trim().strip_prefix("ref: refs/heads/") else { return Ok(None) };
    let tip = std::fs::read_to_string(git_dir.join("refs").join("heads").join(branch)).unwrap_or_default();
    let commit = tip.trim().to_ascii_lowercase();
    if branch.is_empty() || !is_full_object_id(&commit) {
        return Ok(None);
    }
    std::fs::write(git_dir.join("HEAD"), format!("{commit}\n"))?;
    Ok(Some(Fetched { commit, branch: Some(branch.to_string()) }))
}

/// Removes everything inside `dest`, keeping `dest`.
fn empty(dest: &Path) -> Result<(), SourceError> {
    for entry in std::fs::read_dir(dest)? {
        let path = entry?.path();
        if path.is_dir() && !path.is_symlink() {
            std::fs::remove_dir_all(&path)?;
        } else {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

//! Fetching just enough objects for a resolved target, cheapest way first, and finding the
//! commit to check out.
//!
//! Order: the advertised object id (`git fetch origin <oid>`: one request, exactly what
//! ls-remote reported; allowed by protocol v2 servers, GitHub, local repos), then the ref by
//! name (works everywhere), then — only for bare commit ids, as CodeBuild does — every
//! branch and tag with full history.

use crate::SourceError;
use crate::git::{Git, failure};
use crate::remote::{Target, local_ref};

/// Fetches what `target` needs; returns the full id of the commit to check out.
/// `original` is the user's version text, for error messages.
pub(crate) fn fetch_target(
    git: &mut Git<'_>,
    target: &Target,
    depth: Option<u32>,
    original: &str,
) -> Result<String, SourceError> {
    match target {
        Target::Tip { refname, oid } => fetch_tip(git, refname, oid, depth, original),
        Target::Commit { sha, tip_of } => fetch_commit(git, sha, tip_of.as_deref(), depth, original),
        Target::OnRef { refname, sha } => fetch_on_ref(git, refname, sha, depth, original),
        Target::Short { prefix } => fetch_short(git, prefix, original),
    }
}

fn fetch_tip(
    git: &mut Git<'_>,
    refname: &str,
    oid: &str,
    depth: Option<u32>,
    original: &str,
) -> Result<String, SourceError> {
    let dst = local_ref(refname);
    let stored = dst.as_deref().unwrap_or("FETCH_HEAD");
    // Tags are fetched by name: fetching a tag object by id into `refs/tags/<t>` collides
    // with git's tag auto-following ("Cannot fetch both"), and tags do not move anyway.
    if !oid.is_empty() && !refname.starts_with("refs/tags/") {
        match fetch(git, depth, &refspec(oid, dst.as_deref())) {
            Ok(()) => {
                if let Some(commit) = commit(git, stored)? {
                    return Ok(commit);
                }
            }
            Err(e) => git.log(&format!("Fetching {oid} by id failed ({}); fetching {refname} by name", reason(&e))),
        }
    }
    fetch(git, depth, &refspec(refname, dst.as_deref()))?;
    commit(git, stored)?.ok_or_else(|| SourceError::ref_not_found(original))
}

fn fetch_commit(
    git: &mut Git<'_>,
    sha: &str,
    tip_of: Option<&str>,
    depth: Option<u32>,
    original: &str,
) -> Result<String, SourceError> {
    match fetch(git, depth, sha) {
        Ok(()) => {
            if let Some(commit) = commit(git, sha)? {
                return Ok(commit);
            }
        }
        Err(e) => git.log(&format!("Fetching {sha} by id failed ({})", reason(&e))),
    }
    if let Some(refname) = tip_of {
        git.log(&format!("Fetching {refname}, which points at {sha}"));
        if fetch(git, depth, &refspec(refname, local_ref(refname).as_deref())).is_ok()
            && let Some(commit) = commit(git, sha)?
        {
            return Ok(commit);
        }
    }
    git.log(&format!("Commit {sha} could not be fetched directly; fetching all branches and tags"));
    fetch_everything(git)?;
    commit(git, sha)?.ok_or_else(|| SourceError::ref_not_found(original))
}

/// `<ref>^{<sha>}`: fetch only that ref (CodeBuild: "downloads only the specified branch"),
/// deepening it if `sha` lies below the requested depth, and require `sha` to be on it.
fn fetch_on_ref(
    git: &mut Git<'_>,
    refname: &str,
    sha: &str,
    depth: Option<u32>,
    original: &str,
) -> Result<String, SourceError> {
    let dst = local_ref(refname);
    let spec = refspec(refname, dst.as_deref());
    fetch(git, depth, &spec)?;
    if commit(git, sha)?.is_none() && is_shallow(git)? {
        git.log(&format!("{sha} is deeper than the requested depth; fetching the full history of {refname}"));
        git.run(&["fetch", "-q", "--unshallow", "origin", &spec])?;
    }
    let Some(found) = commit(git, sha)? else {
        return Err(SourceError::ref_not_found(original));
    };
    let tip = dst.as_deref().unwrap_or("FETCH_HEAD");
    let args = ["merge-base", "--is-ancestor", found.as_str(), tip];
    let outcome = git.exec(&args)?;
    match outcome.code {
        Some(0) => Ok(found),
        Some(1) => Err(SourceError::ref_not_found(original)),
        _ => Err(failure(&crate::git::display(&args), &outcome)),
    }
}

/// An abbreviated id can only be expanded against the whole repository.
fn fetch_short(git: &mut Git<'_>, prefix: &str, original: &str) -> Result<String, SourceError> {
    git.log(&format!("{prefix} is an abbreviated commit id; fetching all branches and tags"));
    fetch_everything(git)?;
    let rev = format!("{prefix}^{{commit}}");
    let outcome = git.exec(&["rev-parse", "--verify", "--end-of-options", &rev])?;
    if outcome.success {
        return Ok(outcome.stdout.trim().to_string());
    }
    if outcome.stderr.contains("ambiguous") {
        return Err(SourceError::InvalidVersion(format!(
            "{original}: abbreviated commit id is ambiguous; use the full commit id"
        )));
    }
    Err(SourceError::ref_not_found(original))
}

/// `+<src>:<dst>`, or just `<src>` when there is nowhere to store it. Storing refspecs
/// also make git follow tags pointing into the fetched history.
fn refspec(src: &str, dst: Option<&str>) -> String {
    match dst {
        Some(dst) => format!("+{src}:{dst}"),
        None => src.to_string(),
    }
}

fn fetch(git: &mut Git<'_>, depth: Option<u32>, refspec: &str) -> Result<(), SourceError> {
    let depth_arg = depth.map(|d| format!("--depth={d}"));
    let mut args = vec!["fetch", "-q"];
    args.extend(depth_arg.as_deref());
    args.extend(["origin", refspec]);
    git.run(&args).map(drop)
}

fn fetch_everything(git: &mut Git<'_>) -> Result<(), SourceError> {
    let mut args = vec!["fetch", "-q"];
    if is_shallow(git)? {
        args.push("--unshallow");
    }
    args.extend(["origin", "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"]);
    git.run(&args).map(drop)
}

/// First line of a failed command's stderr, for the build log.
fn reason(error: &SourceError) -> String {
    match error {
        SourceError::Git { stderr, .. } => stderr.lines().next().unwrap_or_default().to_string(),
        other => other.to_string(),
    }
}

/// Full id of the commit `rev` names locally, if any.
pub(crate) fn commit(git: &Git<'_>, rev: &str) -> Result<Option<String>, SourceError> {
    let rev = format!("{rev}^{{commit}}");
    git.probe(&["rev-parse", "--verify", "-q", "--end-of-options", &rev])
}

fn is_shallow(git: &Git<'_>) -> Result<bool, SourceError> {
    Ok(git.probe(&["rev-parse", "--is-shallow-repository"])?.as_deref() == Some("true"))
}

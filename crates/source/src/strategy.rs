//! Fetching just enough objects for a resolved target, cheapest way first, and finding the
//! commit to check out.
//!
//! Order: the advertised object id (`git fetch origin <oid>`: one request, exactly what
//! ls-remote reported; allowed by protocol v2 servers, GitHub, local repos), then the ref by
//! name (works everywhere), then — only for bare commit ids, as CodeBuild does — every
//! branch and tag with full history.
//!
//! Every git process costs a few milliseconds of a build's start, so a fetch also creates
//! the local branch (no `update-ref` afterwards), and what was fetched is not looked up
//! again unless needed: checking it out tells which commit it is (see [`Found`]).

use crate::SourceError;
use crate::git::{Git, failure};
use crate::remote::{Target, local_ref, tip_destinations};

/// What to check out once the fetch is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Found {
    /// This commit (full id).
    Commit(String),
    /// Whatever this object id or freshly fetched ref peels to. It is present, but may name
    /// an annotated tag (checked out as its commit) or even a tree or blob (no commit: the
    /// version is not found).
    Rev(String),
}

/// Fetches what `target` needs and says what to check out.
/// `original` is the user's version text, for error messages.
pub(crate) fn fetch_target(
    git: &mut Git<'_>,
    target: &Target,
    depth: Option<u32>,
    original: &str,
) -> Result<Found, SourceError> {
    match target {
        Target::Tip { refname, oid } => fetch_tip(git, refname, oid, depth),
        Target::Commit { sha, tip_of } => fetch_commit(git, sha, tip_of.as_deref(), depth, original),
        Target::OnRef { refname, sha } => fetch_on_ref(git, refname, sha, depth, original),
        Target::Short { prefix } => fetch_short(git, prefix, original),
    }
}

fn fetch_tip(git: &mut Git<'_>, refname: &str, oid: &str, depth: Option<u32>) -> Result<Found, SourceError> {
    let destinations = tip_destinations(refname);
    // Tags are fetched by name: fetching a tag object by id into `refs/tags/<t>` collides
    // with git's tag auto-following ("Cannot fetch both"), and tags do not move anyway.
    if !oid.is_empty() && !refname.starts_with("refs/tags/") {
        match fetch(git, depth, &refspecs(oid, &destinations)) {
            // git refuses to point a branch at anything but a commit, so the id fetched
            // is the commit; other refs may name a tag, tree or blob.
            Ok(()) if refname.starts_with("refs/heads/") => return Ok(Found::Commit(oid.to_ascii_lowercase())),
            Ok(()) => return Ok(Found::Rev(oid.to_string())),
            Err(e) => git.log(&format!("Fetching {oid} by id failed ({}); fetching {refname} by name", reason(&e))),
        }
    }
    fetch(git, depth, &refspecs(refname, &destinations))?;
    Ok(Found::Rev(destinations.into_iter().next().unwrap_or_else(|| "FETCH_HEAD".to_string())))
}

fn fetch_commit(
    git: &mut Git<'_>,
    sha: &str,
    tip_of: Option<&str>,
    depth: Option<u32>,
    original: &str,
) -> Result<Found, SourceError> {
    match fetch(git, depth, &[sha.to_string()]) {
        Ok(()) => return Ok(Found::Rev(sha.to_string())),
        Err(e) => git.log(&format!("Fetching {sha} by id failed ({})", reason(&e))),
    }
    if let Some(refname) = tip_of {
        git.log(&format!("Fetching {refname}, which points at {sha}"));
        let destinations: Vec<String> = local_ref(refname).into_iter().collect();
        if fetch(git, depth, &refspecs(refname, &destinations)).is_ok()
            && let Some(commit) = commit(git, sha)?
        {
            return Ok(Found::Commit(commit));
        }
    }
    git.log(&format!("Commit {sha} could not be fetched directly; fetching all branches and tags"));
    fetch_everything(git)?;
    commit(git, sha)?.map(Found::Commit).ok_or_else(|| SourceError::ref_not_found(original))
}

/// `<ref>^{<sha>}`: fetch only that ref (CodeBuild: "downloads only the specified branch"),
/// deepening it if `sha` lies below the requested depth, and require `sha` to be on it.
fn fetch_on_ref(
    git: &mut Git<'_>,
    refname: &str,
    sha: &str,
    depth: Option<u32>,
    original: &str,
) -> Result<Found, SourceError> {
    let destinations = tip_destinations(refname);
    let specs = refspecs(refname, &destinations);
    fetch(git, depth, &specs)?;
    if commit(git, sha)?.is_none() && is_shallow(git)? {
        git.log(&format!("{sha} is deeper than the requested depth; fetching the full history of {refname}"));
        run_fetch(git, Some("--unshallow"), &specs)?;
    }
    let Some(found) = commit(git, sha)? else {
        return Err(SourceError::ref_not_found(original));
    };
    let tip = destinations.first().map_or("FETCH_HEAD", String::as_str);
    let args = ["merge-base", "--is-ancestor", found.as_str(), tip];
    let outcome = git.exec(&args)?;
    match outcome.code {
        Some(0) => Ok(Found::Commit(found)),
        Some(1) => Err(SourceError::ref_not_found(original)),
        _ => Err(failure(&crate::git::display(&args), &outcome)),
    }
}

/// An abbreviated id can only be expanded against the whole repository.
fn fetch_short(git: &mut Git<'_>, prefix: &str, original: &str) -> Result<Found, SourceError> {
    git.log(&format!("{prefix} is an abbreviated commit id; fetching all branches and tags"));
    fetch_everything(git)?;
    let rev = format!("{prefix}^{{commit}}");
    let outcome = git.exec(&["rev-parse", "--verify", "--end-of-options", &rev])?;
    if outcome.success {
        return Ok(Found::Commit(outcome.stdout.trim().to_string()));
    }
    if outcome.stderr.contains("ambiguous") {
        return Err(SourceError::InvalidVersion(format!(
            "{original}: abbreviated commit id is ambiguous; use the full commit id"
        )));
    }
    Err(SourceError::ref_not_found(original))
}

/// `+<src>:<dst>` for each destination, or just `<src>` when there is nowhere to store
/// it. Storing refspecs also make git follow tags pointing into the fetched history.
fn refspecs(src: &str, destinations: &[String]) -> Vec<String> {
    if destinations.is_empty() {
        return vec![src.to_string()];
    }
    destinations.iter().map(|dst| format!("+{src}:{dst}")).collect()
}

fn fetch(git: &mut Git<'_>, depth: Option<u32>, refspecs: &[String]) -> Result<(), SourceError> {
    let depth_arg = depth.map(|d| format!("--depth={d}"));
    run_fetch(git, depth_arg.as_deref(), refspecs)
}

fn fetch_everything(git: &mut Git<'_>) -> Result<(), SourceError> {
    let shallow = is_shallow(git)?;
    let specs = ["+refs/heads/*:refs/remotes/origin/*".to_string(), "+refs/tags/*:refs/tags/*".to_string()];
    run_fetch(git, shallow.then_some("--unshallow"), &specs)
}

/// `git fetch -q [<history>] origin <refspecs>`, then options that do not change what is
/// fetched (last, so the build log leads with what matters). `--update-head-ok` lets the
/// fetch create the local branch even when `git init` made it the (unborn) current branch.
/// The others only save time: `--keep` stores what arrives as one pack, like a clone,
/// instead of a loose file per object; `--no-auto-gc` skips the maintenance child process,
/// pointless in a fresh checkout.
fn run_fetch(git: &mut Git<'_>, history: Option<&str>, refspecs: &[String]) -> Result<(), SourceError> {
    let mut args = vec!["fetch", "-q"];
    args.extend(history);
    args.push("origin");
    args.extend(refspecs.iter().map(String::as_str));
    if refspecs.iter().any(|spec| spec.contains(":refs/heads/")) {
        args.push("--update-head-ok");
    }
    args.extend(["--no-auto-gc", "--keep"]);
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

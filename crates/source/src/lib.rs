//! kiln-source: fetches a git source at exactly the requested CodeBuild `sourceVersion`
//! into a directory, using the git CLI and fetching only what that version needs.
//!
//! Steps: `git init` (then `origin` is written into `.git/config`, as
//! `git remote add origin <location>` would), one `git ls-remote --symref` to resolve
//! names, a targeted `git fetch` (by advertised object id, else by ref name, else
//! everything), then a detached `git checkout` and optionally
//! `git submodule update --init --recursive`. A branch, tag, pull request or fetchable
//! commit id, and the default branch, take four git commands (`init`, `ls-remote`, `fetch`,
//! `checkout`; `origin/HEAD` is written as a file): each one delays the build's start. The
//! default branch at a limited depth (no source cache, not ssh) takes one: `git clone`.
//!
//! git runs with the server user's configuration (so `url.<base>.insteadOf`, credential
//! helpers and ssh config apply) plus [`FetchRequest::git_env`], and never prompts.
//! Credentials embedded in the location are redacted from logs and errors, but git keeps
//! the URL as given in the checkout's `.git/config`; prefer credential helpers.
//!
//! Version semantics worth knowing:
//! * a name that is both a tag and a branch means the **tag** (git's rev-parse and fetch
//!   order: `refs/<n>`, `refs/tags/<n>`, `refs/heads/<n>`, ...); use `refs/heads/<n>` for
//!   the branch;
//! * an abbreviated commit id (≥ 7 hex digits, only when no ref has that name) and a full
//!   commit id the server will not send directly both download every branch and tag with
//!   full history, whatever the depth (CodeBuild documents the same cost);
//! * `<ref>^{<sha>}` fetches only `<ref>` and requires `<sha>` to be reachable from it,
//!   deepening that ref's history when `sha` is below the requested depth.

mod checkout;
mod clone;
mod error;
mod git;
mod origin;
mod provider;
mod redact;
mod reference;
mod remote;
mod strategy;
mod version;

use std::path::{Path, PathBuf};

pub use error::SourceError;
pub use provider::GitProvider;

use git::Git;
use redact::redact_urls;
use remote::{RemoteRefs, Target};

/// What to fetch, and where.
#[derive(Debug, Clone, Default)]
pub struct FetchRequest {
    /// Anything git understands: `https://…`, `ssh://…`, `git@host:path`, `file:///path`,
    /// or a local path to a bare or non-bare repository.
    pub location: String,
    pub provider: GitProvider,
    /// CodeBuild `sourceVersion`; `None` or empty = the remote's default branch.
    pub version: Option<String>,
    /// History depth (CodeBuild `gitCloneDepth`); `None` or `Some(0)` = full history.
    pub depth: Option<u32>,
    /// Also fetch submodules, recursively (CodeBuild `gitSubmodulesConfig.fetchSubmodules`).
    pub submodules: bool,
    /// Directory to fill; created if missing, must be empty if present.
    pub dest: PathBuf,
    /// Extra environment for every git command (e.g. `GIT_CONFIG_GLOBAL`, `HOME`), set on
    /// the child process only.
    pub git_env: Vec<(String, String)>,
    /// A bare repository kept between fetches of this location (CodeBuild's
    /// LOCAL_SOURCE_CACHE), created when missing: the fetch borrows its objects and downloads
    /// only the rest, then updates it (full-history fetches only). The checkout never depends
    /// on it afterwards. An absolute path.
    pub reference: Option<PathBuf>,
}

impl FetchRequest {
    /// A request for the default branch, full history, no submodules.
    pub fn new(location: impl Into<String>, provider: GitProvider, dest: impl Into<PathBuf>) -> Self {
        FetchRequest { location: location.into(), provider, dest: dest.into(), ..Default::default() }
    }
}

/// What was checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// Full id of the checked-out commit (CodeBuild `resolvedSourceVersion`).
    pub commit: String,
    /// The branch, when the version named one (or was empty: the default branch).
    pub branch: Option<String>,
}

/// Fetches `req.location` at `req.version` into `req.dest`. `log` receives short lines for
/// the build log (commands run, what the version resolved to); URLs in them are redacted.
pub fn fetch(req: &FetchRequest, log: &mut dyn FnMut(&str)) -> Result<Fetched, SourceError> {
    let original = req.version.as_deref().map(str::trim).unwrap_or_default();
    let version = version::parse(Some(original), req.provider)?;
    check_location(&req.location)?;
    let depth = req.depth.filter(|d| *d > 0);
    prepare_dest(&req.dest)?;

    let location = redact_urls(&req.location);
    let mut git = Git::new(&req.dest, &req.git_env, log);
    git.log(&format!("Fetching {location} at {}", if original.is_empty() { "the default branch" } else { original }));
    if let Some(fetched) = clone_default_branch(&mut git, req, &version, depth)? {
        return Ok(fetched);
    }
    // No template: its sample hooks and files cost a build's start time and no build uses them.
    git.run(&["init", "-q", "--template="])?;
    let borrowed = req.reference.as_deref().and_then(|mirror| reference::borrow(&mut git, &req.dest, mirror));
    origin::configure(&mut git, &req.dest, &req.location)?;
    if is_ssh(&req.location) && !user_configured_ssh(&git)? {
        git.use_batch_ssh();
    }

    let remote = list_remote(&mut git, &location)?;
    let resolved = remote::resolve(&version, original, &remote)?;
    let found = strategy::fetch_target(&mut git, &resolved.target, depth, original)?;
    let branch = resolved.branch.as_deref().map(|name| checkout::LocalBranch {
        name,
        fetched: resolved.target.fetched_branch() == Some(name),
        default: matches!(version, version::Version::Default),
    });
    let sha = checkout::check_out(&mut git, &req.dest, &found, branch, original)?;
    git.log(&format!("Resolved {} to commit {sha}", describe(original, &resolved.target)));
    if req.submodules {
        checkout::update_submodules(&mut git, &req.dest, depth)?;
    }
    if let Some(borrowed) = borrowed {
        reference::finish(&mut git, &req.dest, &borrowed, depth.is_some())?;
    }
    Ok(Fetched { commit: sha, branch: resolved.branch })
}

/// The default branch at a limited depth, without a source cache or ssh: one `git clone`
/// (see `clone`); `None` when the general path must run.
fn clone_default_branch(
    git: &mut Git<'_>,
    req: &FetchRequest,
    version: &version::Version,
    depth: Option<u32>,
) -> Result<Option<Fetched>, SourceError> {
    let Some(depth) = depth else { return Ok(None) };
    if !matches!(version, version::Version::Default) || req.reference.is_some() || is_ssh(&req.location) {
        return Ok(None);
    }
    let Some(fetched) = clone::default_branch(git, &req.dest, &req.location, depth)? else { return Ok(None) };
    let branch = fetched.branch.as_deref().unwrap_or_default();
    git.log(&format!("Resolved default branch (refs/heads/{branch}) to commit {}", fetched.commit));
    if req.submodules {
        checkout::update_submodules(git, &req.dest, Some(depth))?;
    }
    Ok(Some(fetched))
}

/// One `ls-remote` for all names; its failure is the "location unreachable" error.
fn list_remote(git: &mut Git<'_>, location: &str) -> Result<RemoteRefs, SourceError> {
    let args = ["ls-remote", "--symref", "origin"];
    git.log(&git::display(&args));
    let outcome = git.exec(&args)?;
    if !outcome.success {
        let display = format!("git ls-remote --symref {location}");
        return Err(git::failure(&display, &outcome));
    }
    Ok(RemoteRefs::parse(&outcome.stdout))
}

fn describe(original: &str, target: &Target) -> String {
    let version = if original.is_empty() { "default branch" } else { original };
    match target {
        Target::Tip { refname, .. } | Target::OnRef { refname, .. } => {
            format!("{version} ({refname})")
        }
        Target::Commit { .. } | Target::Short { .. } => version.to_string(),
    }
}

fn check_location(location: &str) -> Result<(), SourceError> {
    let problem = if location.trim().is_empty() {
        "empty source location"
    } else if location.starts_with('-') {
        "source location must not start with '-'"
    } else if location.chars().any(char::is_control) {
        "source location contains control characters"
    } else {
        return Ok(());
    };
    Err(SourceError::Git {
        command: format!("git remote add origin {}", redact_urls(location)),
        stderr: problem.to_string(),
    })
}

fn prepare_dest(dest: &Path) -> Result<(), SourceError> {
    if dest.exists() {
        if std::fs::read_dir(dest)?.next().is_some() {
            return Err(SourceError::Io(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("destination {} is not empty", dest.display()),
            )));
        }
    } else {
        std::fs::create_dir_all(dest)?;
    }
    Ok(())
}

/// ssh URL forms: `ssh://`, `git+ssh://`, `ssh+git://`, or scp-like `host:path`
/// (a colon before any slash).
fn is_ssh(location: &str) -> bool {
    if let Some((scheme, _)) = location.split_once("://") {
        return matches!(scheme, "ssh" | "git+ssh" | "ssh+git");
    }
    match (location.find(':'), location.find('/')) {
        (Some(colon), Some(slash)) => colon < slash,
        (Some(_), None) => true,
        _ => false,
    }
}

/// The user chose how ssh runs (env or `core.sshCommand`): leave it alone.
fn user_configured_ssh(git: &Git<'_>) -> Result<bool, SourceError> {
    if git.env_is_set("GIT_SSH_COMMAND") || git.env_is_set("GIT_SSH") {
        return Ok(true);
    }
    Ok(git.probe(&["config", "--get", "core.sshCommand"])?.is_some())
}

#[cfg(test)]
mod tests {
    use super::is_ssh;

    #[test]
    fn recognises_ssh_locations() {
        assert!(is_ssh("ssh://git@host/r.git"));
        assert!(is_ssh("git@github.com:o/r.git"));
        assert!(!is_ssh("https://github.com/o/r"));
        assert!(!is_ssh("file:///tmp/r"));
        assert!(!is_ssh("/tmp/r"));
        assert!(!is_ssh("./a:b"));
    }
}

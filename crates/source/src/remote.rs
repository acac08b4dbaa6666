//! The remote's refs as listed by one `git ls-remote --symref`, and resolving a parsed
//! version against them.

use std::collections::HashMap;

use crate::SourceError;
use crate::version::{Version, is_short_object_id};

/// Refs advertised by the remote.
#[derive(Debug, Default)]
pub(crate) struct RemoteRefs {
    /// Ref name → object id (a tag object for annotated tags).
    refs: HashMap<String, String>,
    /// Annotated tag name → commit it points to (`<tag>^{}` lines).
    peeled: HashMap<String, String>,
    /// Target of the `HEAD` symref, e.g. `refs/heads/main`.
    head_target: Option<String>,
}

impl RemoteRefs {
    /// Parses `git ls-remote --symref` output.
    pub fn parse(stdout: &str) -> Self {
        let mut remote = RemoteRefs::default();
        for line in stdout.lines() {
            let Some((left, name)) = line.split_once('\t') else {
                continue;
            };
            if let Some(target) = left.strip_prefix("ref: ") {
                if name == "HEAD" {
                    remote.head_target = Some(target.to_string());
                }
            } else if let Some(tag) = name.strip_suffix("^{}") {
                remote.peeled.insert(tag.to_string(), left.to_string());
            } else {
                remote.refs.insert(name.to_string(), left.to_string());
            }
        }
        remote
    }

    /// The commit a ref ultimately points to.
    fn commit_of(&self, name: &str) -> Option<&str> {
        self.peeled.get(name).or_else(|| self.refs.get(name)).map(String::as_str)
    }

    /// Expands a short name with git's rev-parse rules (`git help revisions`), first match
    /// wins. So a name that is both a tag and a branch means the tag, as in
    /// `git rev-parse` and `git fetch origin <name>`.
    fn dwim(&self, name: &str) -> Option<String> {
        [
            name.to_string(),
            format!("refs/{name}"),
            format!("refs/tags/{name}"),
            format!("refs/heads/{name}"),
            format!("refs/remotes/{name}"),
            format!("refs/remotes/{name}/HEAD"),
        ]
        .into_iter()
        .find(|candidate| self.refs.contains_key(candidate))
    }

    /// A branch or tag whose commit is `sha` (branches first), to fetch by name when the
    /// server refuses to send an unadvertised commit.
    fn ref_at(&self, sha: &str) -> Option<String> {
        let mut names: Vec<&String> = self
            .refs
            .keys()
            .filter(|name| self.commit_of(name) == Some(sha))
            .filter(|name| name.starts_with("refs/heads/") || name.starts_with("refs/tags/"))
            .collect();
        names.sort_by_key(|name| (!name.starts_with("refs/heads/"), name.as_str()));
        names.first().map(|name| name.to_string())
    }
}

/// What to fetch and check out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// The tip of a remote ref, advertised as object `oid`.
    Tip { refname: String, oid: String },
    /// An exact commit; `tip_of` names a ref pointing at it, if any.
    Commit { sha: String, tip_of: Option<String> },
    /// Commit `sha`, which must be reachable from `refname`.
    OnRef { refname: String, sha: String },
    /// An abbreviated commit id; needs the whole repository to expand.
    Short { prefix: String },
}

impl Target {
    /// The branch whose tip this target fetches, if it fetches one: the tip is then also
    /// stored as the local branch of that name (see [`tip_destinations`]).
    pub fn fetched_branch(&self) -> Option<&str> {
        match self {
            Target::Tip { refname, .. } | Target::OnRef { refname, .. } => branch_name(refname),
            Target::Commit { .. } | Target::Short { .. } => None,
        }
    }
}

/// A resolved version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resolved {
    pub target: Target,
    /// Branch name when the version named a branch (or was the default branch).
    pub branch: Option<String>,
}

/// Resolves `version` (the user's text is `original`, for messages) against `remote`.
pub(crate) fn resolve(version: &Version, original: &str, remote: &RemoteRefs) -> Result<Resolved, SourceError> {
    let not_found = || SourceError::ref_not_found(original);
    match version {
        Version::Default => {
            let refname = match &remote.head_target {
                Some(target) if remote.refs.contains_key(target) => target.clone(),
                // No symref (old server, or a detached HEAD): take HEAD as it is.
                _ if remote.refs.contains_key("HEAD") => "HEAD".to_string(),
                _ => return Err(not_found()),
            };
            Ok(tip(remote, refname))
        }
        Version::Name(name) => match remote.dwim(name) {
            Some(refname) => Ok(tip(remote, refname)),
            None if is_short_object_id(name) => {
                Ok(Resolved { target: Target::Short { prefix: name.to_ascii_lowercase() }, branch: None })
            }
            None => Err(not_found()),
        },
        Version::Ref(refname) if remote.refs.contains_key(refname) => Ok(tip(remote, refname.clone())),
        Version::Ref(_) => Err(not_found()),
        Version::Commit(sha) => {
            Ok(Resolved { target: Target::Commit { sha: sha.clone(), tip_of: remote.ref_at(sha) }, branch: None })
        }
        Version::RefAtCommit { base, sha } => {
            let base = resolve(base, original, remote)?;
            let Target::Tip { refname, .. } = base.target else {
                return Err(not_found());
            };
            Ok(Resolved { target: Target::OnRef { refname, sha: sha.clone() }, branch: base.branch })
        }
    }
}

fn tip(remote: &RemoteRefs, refname: String) -> Resolved {
    let oid = remote.refs.get(&refname).cloned().unwrap_or_default();
    let branch = match refname.as_str() {
        "HEAD" => remote.head_target.as_deref().and_then(branch_name),
        name => branch_name(name),
    }
    .map(str::to_string);
    Resolved { target: Target::Tip { refname, oid }, branch }
}

fn branch_name(refname: &str) -> Option<&str> {
    refname.strip_prefix("refs/heads/")
}

/// Where a fetched remote ref is stored locally: branches as remote-tracking refs
/// (`origin/<b>`, like a clone), everything else under its own name.
pub(crate) fn local_ref(refname: &str) -> Option<String> {
    if let Some(branch) = branch_name(refname) {
        Some(format!("refs/remotes/origin/{branch}"))
    } else if refname.starts_with("refs/") {
        Some(refname.to_string())
    } else {
        None
    }
}

/// Where a fetched tip is stored: [`local_ref`] and, for a branch, also the local branch
/// of that name, so the fetch itself creates the layout [`crate::checkout`] describes.
pub(crate) fn tip_destinations(refname: &str) -> Vec<String> {
    let mut destinations: Vec<String> = local_ref(refname).into_iter().collect();
    if let Some(branch) = branch_name(refname) {
        destinations.push(format!("refs/heads/{branch}"));
    }
    destinations
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::GitProvider;
    use crate::version::parse;

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const T: &str = "cccccccccccccccccccccccccccccccccccccccc";

    fn remote() -> RemoteRefs {
        RemoteRefs::parse(&format!(
            "ref: refs/heads/trunk\tHEAD\n{A}\tHEAD\n{A}\trefs/heads/trunk\n\
             {B}\trefs/heads/both\n{A}\trefs/tags/both\n{T}\trefs/tags/v1\n{B}\trefs/tags/v1^{{}}\n\
             {B}\trefs/pull/7/head\n"
        ))
    }

    fn resolve_text(v: &str) -> Result<Resolved, SourceError> {
        let parsed = parse(Some(v), GitProvider::GitHub)?;
        resolve(&parsed, v, &remote())
    }

    #[test]
    fn default_follows_head_symref() {
        let r = resolve(&Version::Default, "", &remote()).ok();
        assert_eq!(
            r,
            Some(Resolved {
                target: Target::Tip { refname: "refs/heads/trunk".into(), oid: A.into() },
                branch: Some("trunk".into())
            })
        );
    }

    #[test]
    fn tag_wins_over_branch_of_same_name() {
        let r = resolve_text("both").ok().map(|r| (r.target, r.branch));
        assert_eq!(r, Some((Target::Tip { refname: "refs/tags/both".into(), oid: A.into() }, None)));
        let r = resolve_text("refs/heads/both").ok().map(|r| r.branch);
        assert_eq!(r, Some(Some("both".into())));
    }

    #[test]
    fn commit_that_is_a_tip_remembers_the_ref() {
        let r = resolve_text(B).ok().map(|r| r.target);
        assert_eq!(r, Some(Target::Commit { sha: B.into(), tip_of: Some("refs/heads/both".into()) }));
    }

    #[test]
    fn unknown_names_are_not_found_with_codebuild_message() {
        match resolve_text("nope") {
            Err(SourceError::RefNotFound { version, message }) => {
                assert_eq!(version, "nope");
                assert_eq!(message, "reference not found for primary source and source version nope");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(resolve_text("refs/tags/nope"), Err(SourceError::RefNotFound { .. })));
        assert!(matches!(resolve_text(&format!("refs/heads/nope^{{{A}}}")), Err(SourceError::RefNotFound { .. })));
    }

    #[test]
    fn short_hex_without_matching_ref_is_short_commit() {
        assert_eq!(resolve_text("ABCDEF12").ok().map(|r| r.target), Some(Target::Short { prefix: "abcdef12".into() }));
    }

    #[test]
    fn ref_at_commit_keeps_branch() {
        let r = resolve_text(&format!("trunk^{{{B}}}")).ok();
        assert_eq!(
            r,
            Some(Resolved {
                target: Target::OnRef { refname: "refs/heads/trunk".into(), sha: B.into() },
                branch: Some("trunk".into())
            })
        );
    }

    #[test]
    fn local_refs() {
        assert_eq!(local_ref("refs/heads/a/b").as_deref(), Some("refs/remotes/origin/a/b"));
        assert_eq!(local_ref("refs/tags/v1").as_deref(), Some("refs/tags/v1"));
        assert_eq!(local_ref("HEAD"), None);
    }

    #[test]
    fn branch_tips_also_go_to_the_local_branch() {
        assert_eq!(tip_destinations("refs/heads/a/b"), ["refs/remotes/origin/a/b", "refs/heads/a/b"]);
        assert_eq!(tip_destinations("refs/pull/7/head"), ["refs/pull/7/head"]);
        assert!(tip_destinations("HEAD").is_empty());
        let on_ref = Target::OnRef { refname: "refs/heads/x".into(), sha: A.into() };
        assert_eq!(on_ref.fetched_branch(), Some("x"));
        let tag = Target::Tip { refname: "refs/tags/x".into(), oid: A.into() };
        assert_eq!(tag.fetched_branch(), None);
        let commit = Target::Commit { sha: A.into(), tip_of: Some("refs/heads/x".into()) };
        assert_eq!(commit.fetched_branch(), None);
    }

    #[test]
    fn empty_remote_has_no_default() {
        assert!(matches!(resolve(&Version::Default, "", &RemoteRefs::default()), Err(SourceError::RefNotFound { .. })));
    }
}

//! Parsing CodeBuild `sourceVersion` strings for git sources.
//!
//! Accepted forms (CodeBuild user guide, "Source version sample"):
//! empty → default branch; a branch or tag name; `refs/heads/<b>`, `refs/tags/<t>`;
//! a full commit id; an abbreviated commit id (≥ 7 hex digits, only if no ref has that
//! name); `pr/<n>` and `refs/pull/<n>/head` (GitHub / GitHub Enterprise only);
//! `<ref>^{<full commit id>}` meaning "that commit, found on that ref".

use crate::{GitProvider, SourceError};

/// Shortest abbreviated commit id accepted (git's default abbreviation length).
pub(crate) const MIN_SHORT_COMMIT: usize = 7;

/// A syntactically valid version, not yet resolved against the remote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Version {
    /// No version: the remote's default branch (its `HEAD`).
    Default,
    /// A short name resolved like git does (`main`, `v1.0`, `heads/main`); if no ref matches
    /// and it is long enough hex, an abbreviated commit id.
    Name(String),
    /// A full ref name starting with `refs/`.
    Ref(String),
    /// A full object id (lower-case hex).
    Commit(String),
    /// `<ref>^{<sha>}`: the commit `sha`, which must be reachable from `base`.
    RefAtCommit { base: Box<Version>, sha: String },
}

/// Parses `version` for `provider`. Whitespace around the version is ignored.
pub(crate) fn parse(version: Option<&str>, provider: GitProvider) -> Result<Version, SourceError> {
    let version = version.map(str::trim).unwrap_or_default();
    if version.is_empty() {
        return Ok(Version::Default);
    }
    if let Some((base, rest)) = version.split_once("^{") {
        let sha = rest
            .strip_suffix('}')
            .filter(|sha| is_full_object_id(sha))
            .ok_or_else(|| SourceError::InvalidVersion(format!("{version}: expected <ref>^{{<full commit id>}}")))?;
        let base = parse_ref(base, version, provider)?;
        return Ok(Version::RefAtCommit { base: Box::new(base), sha: sha.to_ascii_lowercase() });
    }
    if is_full_object_id(version) {
        return Ok(Version::Commit(version.to_ascii_lowercase()));
    }
    parse_ref(version, version, provider)
}

/// Parses the ref part of a version: a name, a full ref or `pr/<n>`.
fn parse_ref(text: &str, whole: &str, provider: GitProvider) -> Result<Version, SourceError> {
    let pull = match text.strip_prefix("pr/") {
        Some(n) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => Some(format!("refs/pull/{n}/head")),
        _ => None,
    };
    let is_pull = pull.is_some() || text.starts_with("refs/pull/");
    if is_pull && !provider.supports_pull_requests() {
        return Err(SourceError::InvalidVersion(format!(
            "{whole}: pull request versions are only supported for GitHub and GitHub \
             Enterprise sources, not {}",
            provider.name()
        )));
    }
    if let Some(pull) = pull {
        return Ok(Version::Ref(pull));
    }
    if !is_valid_ref_name(text) {
        return Err(SourceError::InvalidVersion(format!("{whole}: not a valid branch, tag or commit id")));
    }
    if text.starts_with("refs/") { Ok(Version::Ref(text.to_string())) } else { Ok(Version::Name(text.to_string())) }
}

/// A full SHA-1 (40) or SHA-256 (64) object id.
pub(crate) fn is_full_object_id(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && is_hex(s)
}

/// Could be an abbreviated commit id.
pub(crate) fn is_short_object_id(s: &str) -> bool {
    s.len() >= MIN_SHORT_COMMIT && s.len() < 64 && is_hex(s)
}

fn is_hex(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// git's `check-ref-format --allow-onelevel` rules, plus no leading `-` so a version can
/// never be taken for a command-line option.
pub(crate) fn is_valid_ref_name(name: &str) -> bool {
    if name.is_empty() || name.starts_with('-') || name == "@" {
        return false;
    }
    if name.contains("..") || name.contains("@{") || name.contains("//") {
        return false;
    }
    if name.ends_with('/') || name.ends_with('.') || name.ends_with(".lock") {
        return false;
    }
    let bad_char =
        |c: char| c.is_control() || c.is_whitespace() || matches!(c, '~' | '^' | ':' | '?' | '*' | '[' | '\\');
    if name.chars().any(bad_char) {
        return false;
    }
    name.split('/').all(|part| !part.is_empty() && !part.starts_with('.') && !part.ends_with(".lock"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

    fn gh(v: &str) -> Result<Version, SourceError> {
        parse(Some(v), GitProvider::GitHub)
    }

    #[test]
    fn empty_or_missing_is_default() {
        assert_eq!(parse(None, GitProvider::GitHub).ok(), Some(Version::Default));
        assert_eq!(gh("  ").ok(), Some(Version::Default));
    }

    #[test]
    fn names_refs_and_commits() {
        assert_eq!(gh("main").ok(), Some(Version::Name("main".into())));
        assert_eq!(gh("feature/x").ok(), Some(Version::Name("feature/x".into())));
        assert_eq!(gh("refs/tags/v1.0").ok(), Some(Version::Ref("refs/tags/v1.0".into())));
        assert_eq!(gh(SHA).ok(), Some(Version::Commit(SHA.into())));
        assert_eq!(gh(&SHA.to_uppercase()).ok(), Some(Version::Commit(SHA.into())));
        // Short hex stays a name: a branch may be called that.
        assert_eq!(gh("abc1234").ok(), Some(Version::Name("abc1234".into())));
    }

    #[test]
    fn pull_requests_on_github() {
        assert_eq!(gh("pr/25").ok(), Some(Version::Ref("refs/pull/25/head".into())));
        assert_eq!(gh("refs/pull/25/head").ok(), Some(Version::Ref("refs/pull/25/head".into())));
        // Not a number: an ordinary branch called pr/foo.
        assert_eq!(gh("pr/foo").ok(), Some(Version::Name("pr/foo".into())));
    }

    #[test]
    fn pull_requests_rejected_elsewhere() {
        for provider in
            [GitProvider::GitLab, GitProvider::GitLabSelfManaged, GitProvider::Bitbucket, GitProvider::CodeCommit]
        {
            let at_commit = format!("refs/pull/3/head^{{{SHA}}}");
            for v in ["pr/3", "refs/pull/3/head", at_commit.as_str()] {
                match parse(Some(v), provider) {
                    Err(SourceError::InvalidVersion(msg)) => {
                        assert!(msg.contains("pull request"), "{msg}");
                        assert!(msg.contains(provider.name()), "{msg}");
                    }
                    other => panic!("{v} on {provider:?}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn ref_at_commit() {
        assert_eq!(
            gh(&format!("refs/heads/main^{{{SHA}}}")).ok(),
            Some(Version::RefAtCommit { base: Box::new(Version::Ref("refs/heads/main".into())), sha: SHA.into() })
        );
        assert_eq!(
            gh(&format!("pr/4^{{{SHA}}}")).ok(),
            Some(Version::RefAtCommit { base: Box::new(Version::Ref("refs/pull/4/head".into())), sha: SHA.into() })
        );
    }

    #[test]
    fn malformed_versions_are_invalid() {
        for v in [
            "refs/heads/main^{abc}",
            "refs/heads/main^{",
            &format!("^{{{SHA}}}"),
            &format!("refs/heads/main^{{{SHA}"),
            "--upload-pack=touch /tmp/x",
            "-b",
            "a..b",
            "a b",
            "x:y",
            "x~1",
            "HEAD@{1}",
            "trailing/",
            "x.lock",
            "dir/.hidden",
        ] {
            assert!(matches!(gh(v), Err(SourceError::InvalidVersion(_))), "{v} should be invalid");
        }
    }

    #[test]
    fn short_ids() {
        assert!(is_short_object_id("abcdef1"));
        assert!(!is_short_object_id("abcdef"));
        assert!(!is_short_object_id("abcdefg"));
    }
}

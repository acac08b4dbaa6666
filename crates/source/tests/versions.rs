//! Every CodeBuild version form against a real repository.

mod common;

use common::{Run, Upstream, request, run, run_version};
use kiln_source::{GitProvider, SourceError};

fn assert_checked_out(run: &Run, commit: &str, content: &str) {
    assert_eq!(run.fetched().commit, commit);
    assert_eq!(run.content(), content);
    assert_eq!(run.git(&["rev-parse", "HEAD"]), commit);
    // CodeBuild leaves HEAD detached.
    assert_eq!(run.git(&["branch", "--show-current"]), "");
}

#[test]
fn no_version_is_the_default_branch_head() {
    let up = Upstream::new();
    for version in [None, Some(""), Some("  ")] {
        let run = run_version(&up, version, None);
        assert_checked_out(&run, &up.c3, "three");
        assert_eq!(run.fetched().branch.as_deref(), Some("trunk"));
        assert_eq!(run.git(&["symbolic-ref", "refs/remotes/origin/HEAD"]), "refs/remotes/origin/trunk");
    }
}

#[test]
fn branch_by_name_and_by_full_ref() {
    let up = Upstream::new();
    for version in ["feature", "refs/heads/feature", "heads/feature"] {
        let run = run_version(&up, Some(version), None);
        assert_checked_out(&run, &up.f1, "feature");
        assert_eq!(run.fetched().branch.as_deref(), Some("feature"), "{version}");
        // Like CodeBuild: a local branch and origin/<b> next to the detached HEAD.
        assert_eq!(run.git(&["rev-parse", "refs/heads/feature"]), up.f1);
        assert_eq!(run.git(&["rev-parse", "refs/remotes/origin/feature"]), up.f1);
        assert_eq!(run.git(&["remote", "get-url", "origin"]), up.url());
    }
}

#[test]
fn lightweight_tag() {
    let up = Upstream::new();
    for version in ["light", "refs/tags/light"] {
        let run = run_version(&up, Some(version), None);
        assert_checked_out(&run, &up.c2, "two");
        assert_eq!(run.fetched().branch, None);
    }
}

#[test]
fn annotated_tag_resolves_to_its_commit() {
    let up = Upstream::new();
    for version in ["v1.0", "refs/tags/v1.0"] {
        let run = run_version(&up, Some(version), None);
        assert_checked_out(&run, &up.c1, "one");
        assert_eq!(run.fetched().branch, None);
        assert_eq!(run.git(&["cat-file", "-t", "refs/tags/v1.0"]), "tag");
        // Fetched straight away, without a failed first attempt.
        let fetches = run.logs.iter().filter(|l| l.starts_with("git fetch")).count();
        assert_eq!(fetches, 1, "{:?}", run.logs);
    }
}

#[test]
fn tag_wins_over_branch_of_the_same_name() {
    let up = Upstream::new();
    let run = run_version(&up, Some("both"), None);
    assert_checked_out(&run, &up.c2, "two");
    assert_eq!(run.fetched().branch, None);

    let run = run_version(&up, Some("refs/heads/both"), None);
    assert_checked_out(&run, &up.f1, "feature");
    assert_eq!(run.fetched().branch.as_deref(), Some("both"));
}

#[test]
fn full_commit_ids() {
    let up = Upstream::new();
    // Not the tip of anything: fetched by id.
    let run = run_version(&up, Some(&up.merge), Some(1));
    assert_checked_out(&run, &up.merge, "merged");
    assert!(run.is_shallow());
    assert_eq!(run.fetched().branch, None);
    let fetches = run.logs.iter().filter(|l| l.starts_with("git fetch")).count();
    assert_eq!(fetches, 1, "{:?}", run.logs);

    let upper = up.c2.to_uppercase();
    let run = run_version(&up, Some(&upper), None);
    assert_checked_out(&run, &up.c2, "two");
}

#[test]
fn short_commit_id_fetches_everything_and_expands() {
    let up = Upstream::new();
    let short = &up.merge[..7];
    let run = run_version(&up, Some(short), Some(1));
    assert_checked_out(&run, &up.merge, "merged");
    // The whole repository was needed to expand it.
    assert!(!run.is_shallow());
    assert!(run.logs.iter().any(|l| l.contains("abbreviated")), "{:?}", run.logs);
}

#[test]
fn ref_with_commit_checks_out_that_commit_on_the_branch() {
    let up = Upstream::new();
    for depth in [None, Some(1)] {
        let version = format!("refs/heads/trunk^{{{}}}", up.merge);
        let run = run_version(&up, Some(&version), depth);
        assert_checked_out(&run, &up.merge, "merged");
        assert_eq!(run.fetched().branch.as_deref(), Some("trunk"));
        // The local branch is the branch tip, HEAD is the requested commit.
        assert_eq!(run.git(&["rev-parse", "refs/heads/trunk"]), up.c3);
    }
    // At the tip, depth 1 stays shallow.
    let version = format!("refs/heads/feature^{{{}}}", up.f1);
    let run = run_version(&up, Some(&version), Some(1));
    assert_checked_out(&run, &up.f1, "feature");
    assert!(run.is_shallow());

    let version = format!("refs/tags/v1.0^{{{}}}", up.c1);
    let run = run_version(&up, Some(&version), Some(1));
    assert_checked_out(&run, &up.c1, "one");
    assert_eq!(run.fetched().branch, None);
}

#[test]
fn ref_with_commit_not_on_that_ref_is_not_found() {
    let up = Upstream::new();
    // c3 exists in the repository, but not on `feature`.
    let version = format!("refs/heads/feature^{{{}}}", up.c3);
    let run = run_version(&up, Some(&version), Some(1));
    match &run.result {
        Err(SourceError::RefNotFound { version: v, .. }) => assert_eq!(v, &version),
        other => panic!("{other:?}"),
    }
}

#[test]
fn pull_requests_on_github_providers() {
    let up = Upstream::new();
    for (provider, version) in [
        (GitProvider::GitHub, "pr/7"),
        (GitProvider::GitHubEnterprise, "refs/pull/7/head"),
        (GitProvider::Other, "pr/7"),
    ] {
        let r = run(request(&up.url(), provider, Some(version)));
        assert_checked_out(&r, &up.p7, "pr7");
        assert_eq!(r.fetched().branch, None);
        assert_eq!(r.git(&["rev-parse", "refs/pull/7/head"]), up.p7);
    }
    let version = format!("pr/7^{{{}}}", up.c3);
    let r = run(request(&up.url(), GitProvider::GitHub, Some(&version)));
    assert_checked_out(&r, &up.c3, "three");
}

#[test]
fn pull_requests_elsewhere_are_invalid() {
    let up = Upstream::new();
    for (provider, version) in [
        (GitProvider::GitLab, "pr/7"),
        (GitProvider::GitLabSelfManaged, "refs/pull/7/head"),
        (GitProvider::Bitbucket, "pr/7"),
        (GitProvider::CodeCommit, "refs/pull/7/head"),
    ] {
        let r = run(request(&up.url(), provider, Some(version)));
        match &r.result {
            Err(SourceError::InvalidVersion(msg)) => {
                assert!(msg.contains("GitHub"), "{msg}");
                assert!(msg.contains(version), "{msg}");
            }
            other => panic!("{provider:?} {version}: {other:?}"),
        }
        // Rejected before any git command ran.
        assert!(r.logs.is_empty(), "{:?}", r.logs);
    }
}

#[test]
fn depth_one_is_shallow_and_none_or_zero_is_full() {
    let up = Upstream::new();
    let run = run_version(&up, Some("trunk"), Some(1));
    assert_checked_out(&run, &up.c3, "three");
    assert!(run.is_shallow());
    assert_eq!(run.git(&["rev-list", "--count", "HEAD"]), "1");

    for depth in [None, Some(0)] {
        let run = run_version(&up, Some("trunk"), depth);
        assert_checked_out(&run, &up.c3, "three");
        assert!(!run.is_shallow());
        // c1, f1, c2, merge, c3
        assert_eq!(run.git(&["rev-list", "--count", "HEAD"]), "5");
        // Tags pointing into the fetched history come along (git describe works).
        let tags = run.git(&["tag", "--list"]);
        assert!(tags.contains("v1.0") && tags.contains("light"), "{tags}");
    }
}

#[test]
fn bare_repository_by_plain_path() {
    let up = Upstream::new();
    let tmp = tempfile::TempDir::new().expect("tempdir");
    let bare = tmp.path().join("up.git");
    common::git(tmp.path(), &["clone", "-q", "--bare", up.path.to_str().expect("utf-8"), "up.git"]);
    let location = bare.to_str().expect("utf-8");
    let mut req = request(location, GitProvider::CodeCommit, Some("v1.0"));
    req.depth = Some(1);
    let r = run(req);
    assert_checked_out(&r, &up.c1, "one");
    assert!(r.is_shallow());

    // Non-bare upstream by plain path, default branch.
    let r = run(request(up.path.to_str().expect("utf-8"), GitProvider::GitLab, None));
    assert_checked_out(&r, &up.c3, "three");
}

#[test]
fn servers_refusing_unadvertised_commits_fall_back() {
    let up = Upstream::new();
    // Protocol v0 without uploadpack.allowAnySHA1InWant: only ref tips may be requested.
    let v0 = [("GIT_CONFIG_COUNT", "1"), ("GIT_CONFIG_KEY_0", "protocol.version"), ("GIT_CONFIG_VALUE_0", "0")];
    let with_v0 = |version: &str, depth: Option<u32>| {
        let mut req = request(&up.url(), GitProvider::GitHub, Some(version));
        req.depth = depth;
        req.git_env.extend(v0.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        run(req)
    };

    // A commit that is no ref's tip: everything is fetched.
    let r = with_v0(&up.merge, Some(1));
    assert_checked_out(&r, &up.merge, "merged");
    assert!(r.logs.iter().any(|l| l.contains("fetching all branches")), "{:?}", r.logs);

    // Names and tips still work as usual.
    let r = with_v0("feature", Some(1));
    assert_checked_out(&r, &up.f1, "feature");
    assert!(r.is_shallow());
    let r = with_v0(&up.c2, Some(1));
    assert_checked_out(&r, &up.c2, "two");
}

#[test]
fn logs_name_the_commands_and_the_resolution() {
    let up = Upstream::new();
    let run = run_version(&up, Some("feature"), Some(1));
    let logs = run.logs.join("\n");
    assert!(logs.contains("git ls-remote --symref origin"), "{logs}");
    assert!(logs.contains("git fetch -q --depth=1 origin"), "{logs}");
    assert!(logs.contains(&format!("Resolved feature (refs/heads/feature) to commit {}", up.f1)), "{logs}");
}

//! The common versions take few git commands, and the shortcuts that save them (origin
//! written into `.git/config`, the local branch created by the fetch) leave the same
//! checkout as the long way round.

mod common;

use common::{Run, Upstream, git, git_commands, request, run, run_version, trace_commands};
use kiln_source::{GitProvider, SourceError};

fn traced(up: &Upstream, version: Option<&str>, depth: Option<u32>) -> (Run, Vec<String>) {
    let trace_dir = tempfile::TempDir::new().expect("tempdir");
    let trace = trace_dir.path().join("trace.json");
    let mut req = request(&up.url(), GitProvider::GitHub, version);
    req.depth = depth;
    trace_commands(&mut req, &trace);
    let r = run(req);
    (r, git_commands(&trace))
}

fn assert_clean_detached(run: &Run, commit: &str) {
    assert_eq!(run.fetched().commit, commit);
    assert_eq!(run.git(&["rev-parse", "HEAD"]), commit);
    assert_eq!(run.git(&["branch", "--show-current"]), "");
    assert_eq!(run.git(&["status", "--porcelain"]), "");
}

#[test]
fn common_versions_take_four_git_commands_and_the_shallow_default_branch_one() {
    let up = Upstream::new();
    let (r, commands) = traced(&up, Some("feature"), Some(1));
    assert_clean_detached(&r, &up.f1);
    assert_eq!(commands, ["init", "ls-remote", "fetch", "checkout"]);

    // The default branch at a depth: one clone, left as the general path leaves it.
    let (r, commands) = traced(&up, None, Some(1));
    assert_clean_detached(&r, &up.c3);
    assert_eq!(commands, ["clone"]);
    assert_eq!(r.fetched().branch.as_deref(), Some("trunk"));
    assert_eq!(r.git(&["symbolic-ref", "refs/remotes/origin/HEAD"]), "refs/remotes/origin/trunk");
    assert_eq!(r.git(&["rev-parse", "origin/HEAD", "refs/heads/trunk"]), format!("{}\n{}", up.c3, up.c3));
    assert_eq!(r.git(&["rev-parse", "--is-shallow-repository"]), "true");

    // Full history takes the general path; origin/HEAD is written as a file there.
    let (r, commands) = traced(&up, None, None);
    assert_clean_detached(&r, &up.c3);
    assert_eq!(commands, ["init", "ls-remote", "fetch", "checkout"]);
    assert_eq!(r.git(&["symbolic-ref", "refs/remotes/origin/HEAD"]), "refs/remotes/origin/trunk");
    assert_eq!(r.git(&["rev-parse", "origin/HEAD"]), up.c3);

    // Tags, pull requests and commit ids: the checkout tells which commit it was.
    for (version, commit) in [("v1.0", &up.c1), ("pr/7", &up.p7), (up.merge.as_str(), &up.merge)] {
        let (r, commands) = traced(&up, Some(version), Some(1));
        assert_clean_detached(&r, commit);
        assert_eq!(commands, ["init", "ls-remote", "fetch", "checkout"], "{version}");
    }
}

#[test]
fn versions_naming_no_commit_are_not_found() {
    let up = Upstream::new();
    let tree = git(&up.path, &["rev-parse", "trunk^{tree}"]);
    git(&up.path, &["update-ref", "refs/tags/a-tree", &tree]);
    git(&up.path, &["update-ref", "refs/pull/9/head", &tree]);
    for version in ["a-tree", "pr/9", tree.as_str()] {
        let r = run_version(&up, Some(version), Some(1));
        match &r.result {
            Err(SourceError::RefNotFound { version: v, .. }) => assert_eq!(v, version),
            other => panic!("{version}: {other:?}\n{}", r.logs.join("\n")),
        }
    }
}

#[test]
fn an_annotated_tag_id_resolves_to_the_commit_it_tags() {
    let up = Upstream::new();
    let tag = git(&up.path, &["rev-parse", "refs/tags/v1.0"]);
    assert_ne!(tag, up.c1);
    let r = run_version(&up, Some(&tag), Some(1));
    assert_clean_detached(&r, &up.c1);
    assert_eq!(r.content(), "one");
}

#[test]
fn a_branch_named_like_the_initial_branch_is_checked_out_in_full() {
    let up = Upstream::new();
    // `git init` makes `feature` (unborn) the current branch, which the fetch then creates.
    let with_initial_branch = |name: &str, version: Option<&str>, depth: Option<u32>| {
        let mut req = request(&up.url(), GitProvider::GitHub, version);
        req.depth = depth;
        for (key, value) in [("GIT_CONFIG_COUNT", "1"), ("GIT_CONFIG_KEY_0", "init.defaultBranch")] {
            req.git_env.push((key.into(), value.into()));
        }
        req.git_env.push(("GIT_CONFIG_VALUE_0".into(), name.into()));
        run(req)
    };
    for depth in [None, Some(1)] {
        let r = with_initial_branch("feature", Some("feature"), depth);
        assert_clean_detached(&r, &up.f1);
        assert_eq!(r.content(), "feature");
        assert_eq!(r.git(&["rev-parse", "refs/heads/feature"]), up.f1);
    }
    let r = with_initial_branch("trunk", None, Some(1));
    assert_clean_detached(&r, &up.c3);
    assert_eq!(r.content(), "three");
    assert_eq!(r.git(&["symbolic-ref", "refs/remotes/origin/HEAD"]), "refs/remotes/origin/trunk");
    // Deepened after the first fetch: the branch is written twice.
    let r = with_initial_branch("trunk", Some(&format!("trunk^{{{}}}", up.merge)), Some(1));
    assert_clean_detached(&r, &up.merge);
    assert_eq!(r.content(), "merged");
    assert_eq!(r.git(&["rev-parse", "refs/heads/trunk"]), up.c3);
}

#[test]
fn origin_is_configured_exactly_as_git_remote_add_does() {
    let up = Upstream::new();
    let tmp = tempfile::TempDir::new().expect("tempdir");
    // Quotes, backslash, comment characters and spaces all need care in a config file.
    let parent = tmp.path().join("we;ird #dir \"q\\x");
    std::fs::create_dir(&parent).expect("mkdir");
    git(&parent, &["clone", "-q", "--bare", up.path.to_str().expect("utf-8"), "up.git"]);
    let location = parent.join("up.git").to_str().expect("utf-8").to_string();

    let r = run(request(&location, GitProvider::Other, Some("feature")));
    assert_clean_detached(&r, &up.f1);
    assert_eq!(r.git(&["remote", "get-url", "origin"]), location);

    let scratch = tmp.path().join("scratch");
    std::fs::create_dir(&scratch).expect("mkdir");
    git(&scratch, &["init", "-q"]);
    git(&scratch, &["remote", "add", "origin", &location]);
    let expected = std::fs::read_to_string(scratch.join(".git/config")).expect("config");
    let actual = std::fs::read_to_string(r.dest().join(".git/config")).expect("config");
    assert_eq!(actual, expected);

    // Builds fetch more themselves.
    r.git(&["fetch", "-q", "origin"]);
    assert_eq!(r.git(&["rev-parse", "refs/remotes/origin/trunk"]), up.c3);
}

#[test]
fn the_checkout_keeps_no_leftovers_from_the_shortcuts() {
    let up = Upstream::new();
    let r = run_version(&up, Some("feature"), Some(1));
    assert_clean_detached(&r, &up.f1);
    // The fetch's pack lock is gone, so gc may repack as usual.
    let packs = r.dest().join(".git/objects/pack");
    let names: Vec<String> = std::fs::read_dir(&packs)
        .expect("pack dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().any(|n| n.ends_with(".pack")), "{names:?}");
    assert!(!names.iter().any(|n| n.ends_with(".keep")), "{names:?}");
    // The refs a clone of that branch would have (no tag points into depth-1 history).
    let refs = r.git(&["for-each-ref", "--format=%(refname)"]);
    assert_eq!(refs.lines().collect::<Vec<_>>(), ["refs/heads/feature", "refs/remotes/origin/feature"]);
}

#[test]
fn a_remote_with_a_detached_head_gives_that_commit_and_no_branch() {
    let up = Upstream::new();
    git(&up.path, &["checkout", "-q", "--detach", &up.c2]);
    for depth in [None, Some(1)] {
        let r = run_version(&up, None, depth);
        assert_clean_detached(&r, &up.c2);
        assert_eq!(r.fetched().branch, None);
        assert_eq!(r.content(), "two");
    }
}

#[test]
fn reftable_checkouts_resolve_the_same() {
    let up = Upstream::new();
    // With reftable (git >= 2.45) `.git/HEAD` is a placeholder; older git ignores this.
    for (version, commit) in [(Some("v1.0"), &up.c1), (None, &up.c3), (Some("feature"), &up.f1)] {
        let mut req = request(&up.url(), GitProvider::GitHub, version);
        req.git_env.push(("GIT_DEFAULT_REF_FORMAT".into(), "reftable".into()));
        let r = run(req);
        assert_clean_detached(&r, commit);
    }
}

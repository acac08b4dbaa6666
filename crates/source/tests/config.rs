//! The server user's git configuration is honoured, and submodules.

mod common;

use common::{Upstream, git, request, run};
use kiln_source::GitProvider;

/// A global gitconfig mapping `from` onto the local upstream.
fn insteadof_config(dir: &std::path::Path, up: &Upstream, from: &str) -> String {
    let path = dir.join("gitconfig");
    std::fs::write(&path, format!("[url \"{}\"]\n\tinsteadOf = {from}\n", up.url())).expect("write gitconfig");
    path.to_str().expect("utf-8").to_string()
}

#[test]
fn insteadof_maps_a_codecommit_url_onto_a_local_mirror() {
    let up = Upstream::new();
    let tmp = tempfile::TempDir::new().expect("tempdir");
    let location = "https://git-codecommit.eu-west-1.amazonaws.com/v1/repos/demo";
    let config = insteadof_config(tmp.path(), &up, location);
    let mut req = request(location, GitProvider::CodeCommit, Some("feature"));
    req.depth = Some(1);
    req.git_env = vec![("GIT_CONFIG_GLOBAL".into(), config), ("GIT_CONFIG_NOSYSTEM".into(), "1".into())];
    let r = run(req);
    assert_eq!(r.fetched().commit, up.f1);
    assert_eq!(r.content(), "feature");
    assert!(r.is_shallow());
    // The checkout keeps the URL the user gave.
    assert_eq!(r.git(&["remote", "get-url", "origin"]), location);
}

#[test]
fn insteadof_prefix_maps_github_urls() {
    let up = Upstream::new();
    let tmp = tempfile::TempDir::new().expect("tempdir");
    let location = "https://github.com/kiln/demo.git";
    let config = insteadof_config(tmp.path(), &up, location);
    let mut req = request(location, GitProvider::GitHub, Some("pr/7"));
    req.git_env = vec![("GIT_CONFIG_GLOBAL".into(), config), ("GIT_CONFIG_NOSYSTEM".into(), "1".into())];
    let r = run(req);
    assert_eq!(r.fetched().commit, up.p7);
    assert_eq!(r.content(), "pr7");
}

#[test]
fn submodules_are_fetched_recursively_when_asked() {
    let up = Upstream::new();
    let sub_head = git(&up.sub_path, &["rev-parse", "HEAD"]);
    for depth in [None, Some(1)] {
        let mut req = request(&up.url(), GitProvider::GitHub, Some("with-sub"));
        req.submodules = true;
        req.depth = depth;
        let r = run(req);
        assert_eq!(r.fetched().commit, up.with_sub);
        let sub_dir = r.dest().join("libsub");
        assert_eq!(std::fs::read_to_string(sub_dir.join("sub.txt")).ok().as_deref(), Some("sub"));
        assert_eq!(git(&sub_dir, &["rev-parse", "HEAD"]), sub_head);
        assert!(r.logs.iter().any(|l| l.contains("submodule update")), "{:?}", r.logs);
    }
}

#[test]
fn submodules_are_left_alone_unless_asked() {
    let up = Upstream::new();
    let r = run(request(&up.url(), GitProvider::GitHub, Some("with-sub")));
    assert_eq!(r.fetched().commit, up.with_sub);
    assert!(!r.dest().join("libsub/sub.txt").exists());
}

//! LOCAL_SOURCE_CACHE: fetching with a mirror kept between builds.

mod common;

use std::path::Path;

use common::{Upstream, git, request, run, trace_commands};
use kiln_source::GitProvider;

/// Objects the first pack sent in a traced run: the fetch from upstream (later packs are the
/// mirror update and the repack).
fn first_pack_size(trace: &Path) -> usize {
    let text = std::fs::read_to_string(trace).expect("trace");
    let marker = r#""category":"pack-objects","key":"written","value":""#;
    let start = text.find(marker).expect("a pack was sent") + marker.len();
    let len = text[start..].find('"').expect("value");
    text[start..start + len].parse().expect("number")
}

fn fetch_with_mirror(up: &Upstream, mirror: &Path, depth: Option<u32>, trace: &Path) -> common::Run {
    let mut req = request(&up.url(), GitProvider::GitHub, Some("trunk"));
    req.reference = Some(mirror.to_path_buf());
    req.depth = depth;
    trace_commands(&mut req, trace);
    run(req)
}

fn assert_self_contained(r: &common::Run) {
    assert!(!r.dest().join(".git/objects/info/alternates").exists(), "the checkout stopped borrowing");
    r.git(&["fsck", "--connectivity-only", "--no-progress"]);
}

#[test]
fn a_mirror_saves_downloading_what_it_holds_and_the_checkout_never_needs_it() {
    let up = Upstream::new();
    let cache = tempfile::TempDir::new().expect("tempdir");
    let mirror = cache.path().join("source").join("repo.git");

    let trace = cache.path().join("first.json");
    let first = fetch_with_mirror(&up, &mirror, None, &trace);
    assert_eq!(first.fetched().commit, up.c3);
    assert_self_contained(&first);
    assert!(first.logs.iter().any(|l| l == "Updating the source cache"), "{:?}", first.logs);
    let kept = git(&mirror, &["rev-parse", "refs/kiln/head"]);
    assert_eq!(kept, up.c3, "the mirror holds what was built");
    let everything = first_pack_size(&trace);

    std::fs::write(up.path.join("content.txt"), "four").expect("write");
    git(&up.path, &["commit", "-q", "-am", "four"]);
    let c4 = git(&up.path, &["rev-parse", "HEAD"]);
    let trace = cache.path().join("second.json");
    let second = fetch_with_mirror(&up, &mirror, None, &trace);
    assert_eq!(second.fetched().commit, c4);
    assert_eq!(second.content(), "four");
    assert_self_contained(&second);
    assert_eq!(first_pack_size(&trace), 3, "only the new commit, tree and blob ({everything} the first time)");
    assert_eq!(git(&mirror, &["rev-parse", "refs/kiln/head"]), c4);

    // Shallow fetches use the mirror but never make it shallow.
    let third = fetch_with_mirror(&up, &mirror, Some(1), &cache.path().join("third.json"));
    assert_eq!(third.fetched().commit, c4);
    assert!(third.is_shallow());
    assert_self_contained(&third);
    assert!(third.logs.iter().any(|l| l.contains("not updated by a shallow fetch")), "{:?}", third.logs);
    assert_eq!(git(&mirror, &["rev-parse", "--is-shallow-repository"]), "false");
}

#[test]
fn an_unusable_mirror_is_logged_and_the_fetch_goes_on() {
    let up = Upstream::new();
    let file = tempfile::NamedTempFile::new().expect("file");
    let mut req = request(&up.url(), GitProvider::GitHub, Some("trunk"));
    // A file where the mirror directory should be.
    req.reference = Some(file.path().join("repo.git"));
    let r = run(req);
    assert_eq!(r.fetched().commit, up.c3);
    assert!(r.logs.iter().any(|l| l.starts_with("Not using the source cache")), "{:?}", r.logs);
    let mut relative = request(&up.url(), GitProvider::GitHub, Some("trunk"));
    relative.reference = Some("relative/repo.git".into());
    let r = run(relative);
    assert_eq!(r.fetched().commit, up.c3);
    assert!(r.logs.iter().any(|l| l.contains("not an absolute UTF-8 path")), "{:?}", r.logs);
}

//! Not a correctness test: prints how long a depth-1 fetch takes compared with
//! `git clone --depth 1`, to keep an eye on our per-command overhead.
//! Run with `cargo test -p kiln-source --test overhead -- --ignored --nocapture`.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{Upstream, isolated_env, request, run};
use kiln_source::GitProvider;

const ROUNDS: u32 = 10;

#[test]
#[ignore = "timing report, run by hand"]
fn depth_one_fetch_vs_git_clone() {
    let up = Upstream::new();
    let mut ours = Duration::ZERO;
    let mut clone = Duration::ZERO;
    for _ in 0..ROUNDS {
        let mut req = request(&up.url(), GitProvider::GitHub, Some("trunk"));
        req.depth = Some(1);
        let started = Instant::now();
        let r = run(req);
        ours += started.elapsed();
        assert_eq!(r.fetched().commit, up.c3);

        let tmp = tempfile::TempDir::new().expect("tempdir");
        let started = Instant::now();
        let status = Command::new("git")
            .args(["clone", "-q", "--depth", "1", "--branch", "trunk", &up.url()])
            .arg(tmp.path().join("src"))
            .envs(isolated_env())
            .status()
            .expect("git clone");
        clone += started.elapsed();
        assert!(status.success());
    }
    println!(
        "depth-1 fetch of a small local repo, mean of {ROUNDS}: kiln-source {:?}, git clone {:?}",
        ours / ROUNDS,
        clone / ROUNDS
    );
}

//! Not a correctness test: prints how long kiln-source takes to fetch a small local
//! repository at depth 1 next to a plain `git clone --depth 1` of the same version (the
//! floor Kiln's StartBuild → first command is measured against), and how many git
//! processes each runs. Rounds alternate between the two so that load on the machine
//! hits both alike. Run with
//! `cargo test -p kiln-source --test overhead -- --ignored --nocapture`.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Upstream, git_commands, git_processes, isolated_env, request, run, trace_commands};
use kiln_source::{FetchRequest, GitProvider};

const ROUNDS: usize = 20;

/// A version, and the `git clone` arguments that fetch the same thing.
struct Case {
    label: &'static str,
    version: Option<&'static str>,
    clone_args: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case { label: "default branch", version: None, clone_args: &[] },
    Case { label: "branch trunk", version: Some("trunk"), clone_args: &["--branch", "trunk"] },
    Case { label: "tag v1.0", version: Some("v1.0"), clone_args: &["--branch", "v1.0"] },
];

fn ours(up: &Upstream, case: &Case, trace: Option<&Path>) -> Duration {
    let mut req: FetchRequest = request(&up.url(), GitProvider::GitHub, case.version);
    req.depth = Some(1);
    if let Some(trace) = trace {
        trace_commands(&mut req, trace);
    }
    let started = Instant::now();
    let r = run(req);
    let elapsed = started.elapsed();
    r.fetched();
    elapsed
}

fn clone(up: &Upstream, case: &Case, trace: Option<&Path>) -> Duration {
    let tmp = tempfile::TempDir::new().expect("tempdir");
    let mut cmd = Command::new("git");
    cmd.args(["-c", "advice.detachedHead=false", "clone", "-q", "--depth", "1"])
        .args(case.clone_args)
        .arg(up.url())
        .arg(tmp.path().join("src"));
    cmd.envs(isolated_env());
    if let Some(trace) = trace {
        cmd.env("GIT_TRACE2_EVENT", trace);
    }
    let started = Instant::now();
    let status = cmd.status().expect("git clone");
    let elapsed = started.elapsed();
    assert!(status.success());
    elapsed
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Median and minimum.
fn summary(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    (samples[samples.len() / 2], samples[0])
}

/// (top-level git commands, all git processes) of one traced run.
fn processes(run_once: impl FnOnce(&Path)) -> (usize, usize) {
    let dir = tempfile::TempDir::new().expect("tempdir");
    let trace = dir.path().join("trace.json");
    run_once(&trace);
    (git_commands(&trace).len(), git_processes(&trace))
}

#[test]
#[ignore = "timing report, run by hand"]
fn depth_one_fetch_vs_git_clone() {
    let up = Upstream::new();
    println!(
        "depth-1 fetch of a small local repository, {ROUNDS} alternating rounds, p50 (min); \
         per-round = median of each round's kiln-source / git clone:"
    );
    for case in CASES {
        // Warm up caches before timing.
        ours(&up, case, None);
        clone(&up, case, None);
        let (mut ours_ms, mut clone_ms, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            let ours_time = ours(&up, case, None);
            let clone_time = clone(&up, case, None);
            ratios.push(ms(ours_time) / ms(clone_time));
            ours_ms.push(ours_time);
            clone_ms.push(clone_time);
        }
        ratios.sort_by(f64::total_cmp);
        let (ours_p50, ours_min) = summary(ours_ms);
        let (clone_p50, clone_min) = summary(clone_ms);
        let (ours_cmds, ours_procs) = processes(|trace| {
            ours(&up, case, Some(trace));
        });
        let (_, clone_procs) = processes(|trace| {
            clone(&up, case, Some(trace));
        });
        println!(
            "  {:<15} kiln-source {:6.1} ms ({:5.1}), {ours_cmds} git commands, {ours_procs:2} processes | \
             git clone {:6.1} ms ({:5.1}), {clone_procs} processes | p50 ratio {:.2}x, per-round {:.2}x",
            case.label,
            ms(ours_p50),
            ms(ours_min),
            ms(clone_p50),
            ms(clone_min),
            ms(ours_p50) / ms(clone_p50),
            ratios[ratios.len() / 2]
        );
    }
}

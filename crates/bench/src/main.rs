//! `kiln-bench`: the figures of issues #2 and #6, each beside a baseline measured in the same run.
//!
//! 1. StartBuild → first buildspec command, p50/p99, on a small local repository, beside the
//!    physical floor: a shallow `git clone` of the same repository plus a first `sh` command,
//!    timed the same way (the command prints the clock; latency = that time − the start).
//! 2. API throughput and p50/p99 of StartBuild, BatchGetBuilds (100 ids), ListBuildsForProject
//!    and GetLogEvents over JSON 1.1 and CBOR, with two sizes of seeded history, beside moto.
//! 3. Queue drain: builds finished per second, scheduler overhead beside the build's processes.
//! 4. Log throughput: a build writing a large stream, beside `cat > /dev/null` of it.
//! 5. Server RSS: idle, with the seeded history, with builds running.
//!
//! Usage: `cargo run --release -p kiln-bench -- [--quick] [--kiln PATH] [--json FILE]`

mod api;
mod builds;
mod drain;
mod history;
mod http;
mod load;
mod logs;
mod memory;
mod report;
mod seed;
mod server;
mod stats;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::Connection;
use serde_json::{Value, json};
use server::{KilnServer, MotoServer};

struct Options {
    quick: bool,
    kiln: PathBuf,
    json_out: Option<PathBuf>,
}

fn main() {
    let options = parse_args();
    if let Err(e) = run(&options) {
        eprintln!("kiln-bench: {e}");
        std::process::exit(1);
    }
}

fn parse_args() -> Options {
    let mut args = std::env::args().skip(1);
    let mut options = Options { quick: false, kiln: default_kiln(), json_out: None };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => options.quick = true,
            "--kiln" => options.kiln = args.next().map(PathBuf::from).unwrap_or(options.kiln),
            "--json" => options.json_out = args.next().map(PathBuf::from),
            other => {
                eprintln!("kiln-bench: unknown argument {other}");
                std::process::exit(2);
            }
        }
    }
    options
}

/// The kiln binary next to this one (same target dir and profile).
fn default_kiln() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("kiln")))
        .unwrap_or_else(|| PathBuf::from("kiln"))
}

fn now_ns() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
}

/// Sizes of one run: `--quick` for CI (under a minute on 2 cores), else the figures.
struct Sizes {
    latency_runs: usize,
    load: api::Load,
    histories: [usize; 2],
    drain_builds: usize,
    log_bytes: u64,
    log_rounds: usize,
    running_builds: usize,
}

impl Sizes {
    fn new(quick: bool) -> Sizes {
        if quick {
            Sizes {
                latency_runs: 10,
                load: api::Load { seconds: 0.5, connections: 4, max_starts: 100 },
                histories: [200, 2_000],
                drain_builds: 50,
                log_bytes: 16 << 20,
                log_rounds: 3,
                running_builds: 5,
            }
        } else {
            Sizes {
                latency_runs: 100,
                load: api::Load { seconds: 5.0, connections: 4, max_starts: 2_000 },
                histories: [1_000, 100_000],
                drain_builds: 2_000,
                log_bytes: 1 << 30,
                log_rounds: 3,
                running_builds: 50,
            }
        }
    }
}

fn run(options: &Options) -> Result<(), String> {
    let sizes = Sizes::new(options.quick);
    let latency_runs = sizes.latency_runs;
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let repo = make_repo(tmp.path())?;
    let sandboxed = bwrap_works();

    eprintln!("kiln-bench: memory...");
    let memory = memory::measure(&options.kiln, &tmp.path().join("memory"), sizes.running_builds)?;

    eprintln!("kiln-bench: first command latency, beside the floor...");
    let server = KilnServer::start(&options.kiln, &tmp.path().join("data"), &[])?;
    let mut conn = Connection::open(&server.addr).map_err(|e| e.to_string())?;
    let buildspec = "version: 0.2\nphases:\n  build:\n    commands:\n      - echo KILN_T=$(date +%s%N)\n";
    create_project(
        &mut conn,
        "bench-git",
        json!({"type": "CODECOMMIT", "location": repo.display().to_string(), "buildspec": buildspec, "gitCloneDepth": 1}),
    )?;
    // One warm-up build so that first-use costs (page cache, binary loading) are not counted.
    kiln_sample(&mut conn)?;
    // The floor and Kiln take turns, one sample each, so that the machine's speed drifting
    // during the run (it does, on shared hosts) moves both alike.
    let (mut floor, mut floor_bwrap, mut kiln) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..latency_runs {
        floor.push(floor_sample(&repo, &tmp.path().join(format!("floor-{i}")), false)?);
        if sandboxed {
            floor_bwrap.push(floor_sample(&repo, &tmp.path().join(format!("floor-bwrap-{i}")), true)?);
        }
        kiln.push(kiln_sample(&mut conn)?);
    }
    let floor_bwrap = sandboxed.then_some(floor_bwrap);
    let concurrency = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    eprintln!("kiln-bench: queue drain...");
    let drain = drain::measure(&server.addr, sizes.drain_builds, concurrency, sandboxed)?;
    eprintln!("kiln-bench: log throughput...");
    let log = logs::measure(&server.addr, server.pid(), sizes.log_bytes, sizes.log_rounds, tmp.path())?;
    drop(server);

    eprintln!("kiln-bench: API with history...");
    let mut histories = Vec::new();
    for count in sizes.histories {
        histories.push(history::measure(&options.kiln, tmp.path(), count, sizes.load)?);
    }
    eprintln!("kiln-bench: moto...");
    let moto = match MotoServer::start() {
        Some(m) => api::measure_moto(&m.addr, sizes.load),
        None => Err("moto_server is not installed".into()),
    };

    let figures = report::Figures {
        latency_runs,
        floor: &floor,
        floor_bwrap: floor_bwrap.as_deref(),
        kiln: &kiln,
        load: sizes.load,
        histories: &histories,
        moto: &moto,
        drain: &drain,
        log: &log,
        memory: &memory,
    };
    report::print(&figures);
    if let Some(path) = &options.json_out {
        let text = serde_json::to_string_pretty(&report::json(&figures)).map_err(|e| e.to_string())?;
        std::fs::write(path, text).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// 50 files of ~2.7 KB and a buildspec, three commits: the repository the research measured.
fn make_repo(base: &Path) -> Result<PathBuf, String> {
    let repo = base.join("repo");
    std::fs::create_dir_all(&repo).map_err(|e| e.to_string())?;
    git(&repo, &["init", "-q", "-b", "main"])?;
    for commit in 0..3 {
        for i in 0..50 {
            let content = format!("file {i} commit {commit}\n").repeat(120);
            std::fs::write(repo.join(format!("file{i}.txt")), content).map_err(|e| e.to_string())?;
        }
        git(&repo, &["add", "-A"])?;
        git(&repo, &["-c", "user.email=b@kiln", "-c", "user.name=bench", "commit", "-q", "-m", &format!("c{commit}")])?;
    }
    Ok(repo)
}

fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git").args(args).current_dir(dir).output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("git {args:?}: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).to_string())
}

/// The floor: clone the repository shallowly into `dest`, then run a first command that
/// prints the clock (inside bubblewrap when `sandboxed`, as Kiln runs it); milliseconds.
fn floor_sample(repo: &Path, dest: &Path, sandboxed: bool) -> Result<f64, String> {
    let url = format!("file://{}", repo.display());
    let t0 = now_ns();
    let clone = Command::new("git").args(["clone", "-q", "--depth", "1", &url]).arg(dest).status();
    if !clone.map(|s| s.success()).unwrap_or(false) {
        return Err("floor: git clone failed".into());
    }
    let mut first = if sandboxed {
        let mut c = Command::new("bwrap");
        c.args(["--die-with-parent", "--unshare-all", "--share-net", "--ro-bind", "/", "/", "--dev", "/dev"]);
        c.args(["--proc", "/proc", "--tmpfs", "/tmp", "--bind"]).arg(dest).arg(dest).arg("--chdir").arg(dest);
        c.args(["sh", "-c", "date +%s%N"]);
        c
    } else {
        let mut c = Command::new("sh");
        c.args(["-c", "date +%s%N"]).current_dir(dest);
        c
    };
    let out = first.output().map_err(|e| e.to_string())?;
    let t1: u128 = String::from_utf8_lossy(&out.stdout).trim().parse().map_err(|_| "floor: bad date output")?;
    let _ = std::fs::remove_dir_all(dest);
    Ok((t1.saturating_sub(t0)) as f64 / 1e6)
}

fn bwrap_works() -> bool {
    Command::new("bwrap").args(["--ro-bind", "/", "/", "true"]).status().map(|s| s.success()).unwrap_or(false)
}

/// CreateProject of `name` with `source` (the rest as every bench project has it).
fn create_project(conn: &mut Connection, name: &str, source: Value) -> Result<(), String> {
    let mut body = api::project_body(name);
    body["source"] = source;
    load::json_call(conn, "CodeBuild_20161006.CreateProject", &body.to_string()).map(|_| ())
}

/// StartBuild → the clock printed by the build's first command, for one build; milliseconds.
fn kiln_sample(conn: &mut Connection) -> Result<f64, String> {
    let t0 = now_ns();
    let id = builds::start(conn, "bench-git")?;
    // The figure is the build's own clock, not when the poll sees the end: polling faster
    // would only take CPU from the build on a 2-core machine.
    let build =
        builds::wait_succeeded(conn, std::slice::from_ref(&id), Duration::from_secs(60), Duration::from_millis(20))?
            .pop()
            .ok_or_else(|| format!("build {id}: not found"))?;
    let request = json!({
        "logGroupName": build["logs"]["groupName"],
        "logStreamName": build["logs"]["streamName"],
        "startFromHead": true,
    });
    let log = load::json_call(conn, "Logs_20140328.GetLogEvents", &request.to_string())?;
    let t1 = log["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["message"].as_str())
        .find_map(|m| m.strip_prefix("KILN_T=").and_then(|v| v.trim().parse::<u128>().ok()))
        .ok_or_else(|| format!("build {id}: no KILN_T line in the log"))?;
    Ok((t1.saturating_sub(t0)) as f64 / 1e6)
}

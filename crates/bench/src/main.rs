//! `kiln-bench`: the figures of issue #2, each beside a baseline measured in the same run.
//!
//! 1. StartBuild → first buildspec command, p50/p99, on a small local repository, beside the
//!    physical floor: a shallow `git clone` of the same repository plus a first `sh` command,
//!    timed the same way (the command prints the clock; latency = that time − the start).
//! 2. StartBuild and BatchGetBuilds requests per second (and latency percentiles).
//!
//! Usage: `cargo run --release -p kiln-bench -- [--quick] [--kiln PATH] [--json FILE]`

mod http;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::Connection;
use serde_json::{Value, json};

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

fn run(options: &Options) -> Result<(), String> {
    let (latency_runs, rps_seconds) = if options.quick { (10, 1.0) } else { (100, 5.0) };
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let repo = make_repo(tmp.path())?;

    let floor = measure_floor(&repo, tmp.path(), latency_runs, false)?;
    let floor_bwrap = if bwrap_works() { Some(measure_floor(&repo, tmp.path(), latency_runs, true)?) } else { None };

    let server = KilnServer::start(&options.kiln, &tmp.path().join("data"))?;
    let mut conn = Connection::open(&server.addr).map_err(|e| e.to_string())?;
    let buildspec = "version: 0.2\nphases:\n  build:\n    commands:\n      - echo KILN_T=$(date +%s%N)\n";
    create_project(
        &mut conn,
        "bench-git",
        json!({"type": "CODECOMMIT", "location": repo.display().to_string(), "buildspec": buildspec, "gitCloneDepth": 1}),
    )?;
    create_project(
        &mut conn,
        "bench-nosource",
        json!({"type": "NO_SOURCE", "buildspec": "version: 0.2\nphases:\n  build:\n    commands: [true]\n"}),
    )?;
    // One warm-up build so that first-use costs (page cache, binary loading) are not counted.
    measure_kiln(&mut conn, 1)?;
    let kiln = measure_kiln(&mut conn, latency_runs)?;

    let start_build = throughput(&server.addr, rps_seconds, 4, "CodeBuild_20161006.StartBuild", &|_| {
        json!({"projectName": "bench-nosource"}).to_string()
    })?;
    // Reads are measured once the builds StartBuild queued have run, so that they measure the
    // API and not two cores shared with hundreds of git clones.
    let drain_started = Instant::now();
    wait_for_idle(&mut conn)?;
    let drained_after = drain_started.elapsed().as_secs_f64();
    let ids = list_ids(&mut conn, 100)?;
    let ids_json = json!({ "ids": ids }).to_string();
    let one_id = json!({ "ids": [ids.first().cloned().unwrap_or_default()] }).to_string();
    let get_one = throughput(&server.addr, rps_seconds, 4, "CodeBuild_20161006.BatchGetBuilds", &|_| one_id.clone())?;
    let get_hundred =
        throughput(&server.addr, rps_seconds, 4, "CodeBuild_20161006.BatchGetBuilds", &|_| ids_json.clone())?;

    println!();
    println!("StartBuild -> first buildspec command ({latency_runs} runs, small local repository)");
    println!("  {:<44} {:>9} {:>9} {:>9}", "", "p50 ms", "p99 ms", "mean ms");
    print_row("floor: git clone --depth 1 + sh", &floor);
    if let Some(f) = &floor_bwrap {
        print_row("floor: git clone --depth 1 + bwrap sh", f);
    }
    print_row("kiln: StartBuild -> first command", &kiln);
    println!("  kiln p50 / floor p50 = {:.2}x", percentile(&kiln, 50.0) / percentile(&floor, 50.0));
    println!();
    println!("API throughput (4 keep-alive connections, {rps_seconds} s each; StartBuild queues real builds,");
    println!("BatchGetBuilds runs after they drained, {drained_after:.1} s later)");
    println!("  {:<44} {:>9} {:>9} {:>9}", "", "req/s", "p50 ms", "p99 ms");
    for (name, r) in
        [("StartBuild", &start_build), ("BatchGetBuilds (1 id)", &get_one), ("BatchGetBuilds (100 ids)", &get_hundred)]
    {
        println!(
            "  {:<44} {:>9.0} {:>9.2} {:>9.2}",
            name,
            r.rps,
            percentile(&r.latencies, 50.0),
            percentile(&r.latencies, 99.0)
        );
    }

    if let Some(path) = &options.json_out {
        let report = json!({
            "latency_runs": latency_runs,
            "floor_ms": summary(&floor),
            "floor_bwrap_ms": floor_bwrap.as_ref().map(|f| summary(f)),
            "kiln_ms": summary(&kiln),
            "start_build": { "rps": start_build.rps, "p50_ms": percentile(&start_build.latencies, 50.0), "p99_ms": percentile(&start_build.latencies, 99.0) },
            "batch_get_builds_1": { "rps": get_one.rps, "p50_ms": percentile(&get_one.latencies, 50.0), "p99_ms": percentile(&get_one.latencies, 99.0) },
            "batch_get_builds_100": { "rps": get_hundred.rps, "p50_ms": percentile(&get_hundred.latencies, 50.0), "p99_ms": percentile(&get_hundred.latencies, 99.0) },
        });
        std::fs::write(path, serde_json::to_string_pretty(&report).unwrap_or_default()).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn print_row(name: &str, samples: &[f64]) {
    println!(
        "  {:<44} {:>9.1} {:>9.1} {:>9.1}",
        name,
        percentile(samples, 50.0),
        percentile(samples, 99.0),
        mean(samples)
    );
}

fn summary(samples: &[f64]) -> Value {
    json!({ "p50": percentile(samples, 50.0), "p99": percentile(samples, 99.0), "mean": mean(samples) })
}

fn mean(samples: &[f64]) -> f64 {
    if samples.is_empty() { 0.0 } else { samples.iter().sum::<f64>() / samples.len() as f64 }
}

fn percentile(samples: &[f64], p: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
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

/// The floor: clone the repository shallowly, then run a first command that prints the clock
/// (inside bubblewrap when `sandboxed`, as Kiln runs it).
fn measure_floor(repo: &Path, base: &Path, runs: usize, sandboxed: bool) -> Result<Vec<f64>, String> {
    let url = format!("file://{}", repo.display());
    let mut samples = Vec::with_capacity(runs);
    for i in 0..runs {
        let dest = base.join(format!("floor-{sandboxed}-{i}"));
        let t0 = now_ns();
        let clone = Command::new("git").args(["clone", "-q", "--depth", "1", &url]).arg(&dest).status();
        if !clone.map(|s| s.success()).unwrap_or(false) {
            return Err("floor: git clone failed".into());
        }
        let mut first = if sandboxed {
            let mut c = Command::new("bwrap");
            c.args(["--die-with-parent", "--unshare-all", "--share-net", "--ro-bind", "/", "/", "--dev", "/dev"]);
            c.args(["--proc", "/proc", "--tmpfs", "/tmp", "--bind"]).arg(&dest).arg(&dest).arg("--chdir").arg(&dest);
            c.args(["sh", "-c", "date +%s%N"]);
            c
        } else {
            let mut c = Command::new("sh");
            c.args(["-c", "date +%s%N"]).current_dir(&dest);
            c
        };
        let out = first.output().map_err(|e| e.to_string())?;
        let t1: u128 = String::from_utf8_lossy(&out.stdout).trim().parse().map_err(|_| "floor: bad date output")?;
        samples.push((t1.saturating_sub(t0)) as f64 / 1e6);
        let _ = std::fs::remove_dir_all(&dest);
    }
    Ok(samples)
}

fn bwrap_works() -> bool {
    Command::new("bwrap").args(["--ro-bind", "/", "/", "true"]).status().map(|s| s.success()).unwrap_or(false)
}

struct KilnServer {
    child: Child,
    addr: String,
}

impl KilnServer {
    fn start(kiln: &Path, data_dir: &Path) -> Result<KilnServer, String> {
        use std::io::BufRead;
        let mut child = Command::new(kiln)
            .args(["serve", "--listen", "127.0.0.1:0", "--max-queued-builds", "1000000"])
            .arg("--data-dir")
            .arg(data_dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", kiln.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut line = String::new();
        std::io::BufReader::new(stdout).read_line(&mut line).map_err(|e| e.to_string())?;
        let addr = line.trim().strip_prefix("kiln listening on http://").ok_or("kiln did not start")?.to_string();
        Ok(KilnServer { child, addr })
    }
}

impl Drop for KilnServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn create_project(conn: &mut Connection, name: &str, source: Value) -> Result<(), String> {
    let body = json!({
        "name": name,
        "source": source,
        "artifacts": {"type": "NO_ARTIFACTS"},
        "environment": {"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_SMALL"},
        "serviceRole": "arn:aws:iam::000000000000:role/bench",
    });
    let (status, out) = conn.call("CodeBuild_20161006.CreateProject", &body.to_string()).map_err(|e| e.to_string())?;
    if status != 200 {
        return Err(format!("CreateProject {name}: {out}"));
    }
    Ok(())
}

/// StartBuild → the clock printed by the build's first command, one build at a time.
fn measure_kiln(conn: &mut Connection, runs: usize) -> Result<Vec<f64>, String> {
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t0 = now_ns();
        let (status, out) = conn
            .call("CodeBuild_20161006.StartBuild", &json!({"projectName": "bench-git"}).to_string())
            .map_err(|e| e.to_string())?;
        if status != 200 {
            return Err(format!("StartBuild: {out}"));
        }
        let id = out["build"]["id"].as_str().unwrap_or_default().to_string();
        let deadline = Instant::now() + Duration::from_secs(60);
        let build = loop {
            let (_, b) = conn
                .call("CodeBuild_20161006.BatchGetBuilds", &json!({"ids": [id]}).to_string())
                .map_err(|e| e.to_string())?;
            if b["builds"][0]["buildComplete"].as_bool() == Some(true) {
                break b["builds"][0].clone();
            }
            if Instant::now() > deadline {
                return Err(format!("build {id} did not finish"));
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        if build["buildStatus"] != "SUCCEEDED" {
            let failed: Vec<String> = build["phases"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["phaseStatus"].as_str().is_some_and(|s| s != "SUCCEEDED"))
                .map(|p| format!("{} {} {}", p["phaseType"], p["phaseStatus"], p["contexts"]))
                .collect();
            return Err(format!("build {id} ended {}: {}", build["buildStatus"], failed.join("; ")));
        }
        let request = json!({
            "logGroupName": build["logs"]["groupName"],
            "logStreamName": build["logs"]["streamName"],
            "startFromHead": true,
        });
        let (_, log) = conn.call("Logs_20140328.GetLogEvents", &request.to_string()).map_err(|e| e.to_string())?;
        let t1 = log["events"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["message"].as_str())
            .find_map(|m| m.strip_prefix("KILN_T=").and_then(|v| v.trim().parse::<u128>().ok()))
            .ok_or_else(|| format!("build {id}: no KILN_T line in the log"))?;
        samples.push((t1.saturating_sub(t0)) as f64 / 1e6);
    }
    Ok(samples)
}

/// Waits until no build of the bench projects is queued or running.
fn wait_for_idle(conn: &mut Connection) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let mut busy = false;
        let mut token: Option<String> = None;
        loop {
            let mut request = json!({"projectName": "bench-nosource"});
            if let Some(t) = &token {
                request["nextToken"] = json!(t);
            }
            let (_, page) = conn
                .call("CodeBuild_20161006.ListBuildsForProject", &request.to_string())
                .map_err(|e| e.to_string())?;
            let ids: Vec<Value> = page["ids"].as_array().cloned().unwrap_or_default();
            if !ids.is_empty() {
                let (_, builds) = conn
                    .call("CodeBuild_20161006.BatchGetBuilds", &json!({ "ids": ids }).to_string())
                    .map_err(|e| e.to_string())?;
                busy |= builds["builds"].as_array().into_iter().flatten().any(|b| b["buildComplete"] != true);
            }
            token = page["nextToken"].as_str().map(str::to_string);
            if busy || token.is_none() {
                break;
            }
        }
        if !busy {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err("the queued builds did not finish within 10 minutes".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn list_ids(conn: &mut Connection, n: usize) -> Result<Vec<String>, String> {
    let (_, out) = conn.call("CodeBuild_20161006.ListBuilds", "{}").map_err(|e| e.to_string())?;
    Ok(out["ids"].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_string)).take(n).collect())
}

struct Throughput {
    rps: f64,
    latencies: Vec<f64>,
}

/// `connections` threads calling `target` in a loop for `seconds`.
fn throughput(
    addr: &str,
    seconds: f64,
    connections: usize,
    target: &str,
    body: &(dyn Fn(usize) -> String + Sync),
) -> Result<Throughput, String> {
    let start = Instant::now();
    let until = start + Duration::from_secs_f64(seconds);
    let results: Vec<Result<Vec<f64>, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..connections)
            .map(|_| {
                scope.spawn(move || {
                    let mut conn = Connection::open(addr).map_err(|e| e.to_string())?;
                    let mut latencies = Vec::new();
                    let mut i = 0;
                    while Instant::now() < until {
                        let t = Instant::now();
                        let (status, out) = conn.call(target, &body(i)).map_err(|e| e.to_string())?;
                        if status != 200 {
                            return Err(format!("{target}: {out}"));
                        }
                        latencies.push(t.elapsed().as_secs_f64() * 1e3);
                        i += 1;
                    }
                    Ok(latencies)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err("thread panicked".into()))).collect()
    });
    let elapsed = start.elapsed().as_secs_f64();
    let mut latencies = Vec::new();
    for r in results {
        latencies.extend(r?);
    }
    Ok(Throughput { rps: latencies.len() as f64 / elapsed, latencies })
}

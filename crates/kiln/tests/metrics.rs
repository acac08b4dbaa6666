//! The operations surface: `/metrics` in the Prometheus text format, and JSON logs.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Server, create_inline_project, json_call, wait_for};
use serde_json::{Value, json};

/// One sample: metric name and labels (sorted) to value.
type Samples = HashMap<(String, Vec<(String, String)>), f64>;

/// An unsigned GET; returns (status, content type, body).
fn get(addr: &str, path: &str) -> (u16, String, String) {
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    write!(stream, "GET {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n").expect("write");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).expect("read");
    let (head, body) = raw.split_once("\r\n\r\n").expect("header end");
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("status");
    let content_type = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    (status, content_type, body.to_string())
}

/// Parses the text exposition format (no escapes in Kiln's label values here); checks that
/// every sample belongs to a family declared with `# TYPE` before it.
fn parse(text: &str) -> Samples {
    let mut declared: Vec<String> = Vec::new();
    let mut samples = Samples::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let name = rest.split_whitespace().next().expect("family name");
            declared.push(name.to_string());
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("value");
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("value of {line:?}"));
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => {
                let inner = rest.strip_suffix('}').expect("closing brace");
                let mut labels: Vec<(String, String)> = inner
                    .split("\",")
                    .map(|pair| {
                        let (k, v) = pair.split_once("=\"").expect("label");
                        (k.to_string(), v.trim_end_matches('"').to_string())
                    })
                    .collect();
                labels.sort();
                (name, labels)
            }
            None => (series, Vec::new()),
        };
        let family = ["_bucket", "_sum", "_count"].iter().fold(name, |n, s| n.strip_suffix(s).unwrap_or(n));
        assert!(declared.iter().any(|d| d == name || d == family), "{name} has no # TYPE line");
        assert!(samples.insert((name.to_string(), labels), value).is_none(), "duplicate sample {line}");
    }
    samples
}

fn value(samples: &Samples, name: &str, labels: &[(&str, &str)]) -> f64 {
    let mut key: Vec<(String, String)> = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    key.sort();
    samples.get(&(name.to_string(), key)).copied().unwrap_or(0.0)
}

fn scrape(server: &Server) -> Samples {
    let (status, content_type, body) = get(&server.addr, "/metrics");
    assert_eq!(status, 200, "{body}");
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    parse(&body)
}

fn run_build(server: &Server, project: &str) -> Value {
    let (status, body) = json_call(&server.addr, "CodeBuild_20161006.StartBuild", &json!({"projectName": project}));
    assert_eq!(status, 200, "{body}");
    let id = body["build"]["id"].as_str().expect("id").to_string();
    wait_for("build to finish", Duration::from_secs(60), || {
        let (_, body) = json_call(&server.addr, "CodeBuild_20161006.BatchGetBuilds", &json!({"ids": [id]}));
        let build = body["builds"][0].clone();
        (build["buildComplete"] == true).then_some(build)
    })
}

#[test]
fn metrics_count_builds_phases_and_requests() {
    let server = Server::start();
    let before = scrape(&server);
    assert_eq!(value(&before, "kiln_builds_total", &[("status", "SUCCEEDED")]), 0.0);
    assert_eq!(value(&before, "kiln_queue_depth", &[]), 0.0);
    assert_eq!(value(&before, "kiln_running_builds", &[]), 0.0);

    let spec = "version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n";
    create_inline_project(&server, "ok", spec, json!({"type": "NO_ARTIFACTS"}));
    let failing = "version: 0.2\nphases:\n  build:\n    commands:\n      - exit 3\n";
    create_inline_project(&server, "bad", failing, json!({"type": "NO_ARTIFACTS"}));
    assert_eq!(run_build(&server, "ok")["buildStatus"], "SUCCEEDED");
    assert_eq!(run_build(&server, "bad")["buildStatus"], "FAILED");
    // An error answer, and an operation no service has.
    let (status, _) = json_call(&server.addr, "CodeBuild_20161006.BatchGetProjects", &json!({}));
    assert_eq!(status, 400);
    let (status, _) = json_call(&server.addr, "CodeBuild_20161006.NoSuchThing", &json!({}));
    assert_eq!(status, 400);

    let after = scrape(&server);
    assert_eq!(value(&after, "kiln_builds_total", &[("status", "SUCCEEDED")]), 1.0);
    assert_eq!(value(&after, "kiln_builds_total", &[("status", "FAILED")]), 1.0);
    assert_eq!(value(&after, "kiln_builds_total", &[("status", "IN_PROGRESS")]), 0.0);
    assert_eq!(value(&after, "kiln_queue_depth", &[]), 0.0);
    assert_eq!(value(&after, "kiln_running_builds", &[]), 0.0);

    // Every phase of both builds was observed once, with a histogram that is consistent.
    for phase in ["QUEUED", "PROVISIONING", "BUILD", "FINALIZING"] {
        let labels = [("phase", phase)];
        assert_eq!(value(&after, "kiln_phase_duration_seconds_count", &labels), 2.0, "{phase}");
        let inf = value(&after, "kiln_phase_duration_seconds_bucket", &[("phase", phase), ("le", "+Inf")]);
        assert_eq!(inf, 2.0, "{phase}");
        assert!(value(&after, "kiln_phase_duration_seconds_sum", &labels) >= 0.0);
    }

    fn ops(op: &str) -> [(&str, &str); 2] {
        [("service", "codebuild"), ("operation", op)]
    }
    let requests = |op: &str, code: &str| {
        value(&after, "kiln_api_requests_total", &[("service", "codebuild"), ("operation", op), ("code", code)])
    };
    assert_eq!(requests("CreateProject", "200"), 2.0);
    assert_eq!(requests("StartBuild", "200"), 2.0);
    assert_eq!(requests("BatchGetProjects", "400"), 1.0);
    assert!(requests("BatchGetBuilds", "200") >= 2.0);
    assert_eq!(requests("unknown", "400"), 1.0, "unknown operations share one label");
    assert_eq!(value(&after, "kiln_api_request_duration_seconds_count", &ops("StartBuild")), 2.0);
    let sum = value(&after, "kiln_api_request_duration_seconds_sum", &ops("StartBuild"));
    assert!(sum > 0.0 && sum < 60.0, "{sum}");
    // Scrapes are not API requests: nothing counted them.
    assert!(!after.keys().any(|(_, labels)| labels.iter().any(|(_, v)| v == "metrics")));
}

#[test]
fn queued_builds_are_counted_while_they_wait() {
    // Concurrency 1 and a build that waits: the second build stays QUEUED.
    // No sandbox: the build waits for a file outside its directory.
    let server = Server::start_with(&["--concurrency", "1", "--sandbox", "none"], &[]);
    let fifo = server.data_dir.parent().expect("tmp").join("release");
    let spec = format!(
        "version: 0.2\nphases:\n  build:\n    commands:\n      - while [ ! -e {} ]; do sleep 0.05; done\n",
        fifo.display()
    );
    create_inline_project(&server, "wait", &spec, json!({"type": "NO_ARTIFACTS"}));
    for _ in 0..2 {
        let (status, body) = json_call(&server.addr, "CodeBuild_20161006.StartBuild", &json!({"projectName": "wait"}));
        assert_eq!(status, 200, "{body}");
    }
    let samples = wait_for("one running, one queued", Duration::from_secs(30), || {
        let s = scrape(&server);
        (value(&s, "kiln_running_builds", &[]) == 1.0).then_some(s)
    });
    assert_eq!(value(&samples, "kiln_queue_depth", &[]), 1.0);
    assert_eq!(value(&samples, "kiln_builds_total", &[("status", "IN_PROGRESS")]), 2.0);
    std::fs::write(&fifo, "go").expect("release the builds");
    let done = wait_for("both builds done", Duration::from_secs(60), || {
        let s = scrape(&server);
        (value(&s, "kiln_builds_total", &[("status", "SUCCEEDED")]) == 2.0).then_some(s)
    });
    assert_eq!(value(&done, "kiln_queue_depth", &[]), 0.0);
    assert_eq!(value(&done, "kiln_running_builds", &[]), 0.0);
}

/// Starts `kiln serve` with extra flags and environment, and returns the stderr lines written
/// up to the "listening" line (the server logs it before printing it on stdout).
fn startup_log(args: &[&str], env: &[(&str, &str)]) -> Vec<String> {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(tmp.path())
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("KILN_LOG_FORMAT")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .expect("start kiln");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = Vec::new();
    for line in BufReader::new(stderr).lines() {
        let line = line.expect("read stderr");
        let done = line.contains("kiln listening on");
        lines.push(line);
        if done {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    lines
}

fn assert_json_lines(lines: &[String]) {
    assert!(lines.iter().any(|l| l.contains("kiln listening on")), "{lines:?}");
    for line in lines {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(v["timestamp"].is_string(), "{line}");
        assert!(["INFO", "WARN", "ERROR"].contains(&v["level"].as_str().unwrap_or("")), "{line}");
        assert!(v["message"].is_string(), "{line}");
    }
}

#[test]
fn log_format_json_writes_json_lines() {
    assert_json_lines(&startup_log(&["--log-format", "json"], &[]));
    assert_json_lines(&startup_log(&[], &[("KILN_LOG_FORMAT", "json")]));
    // The default stays text.
    let text = startup_log(&[], &[]);
    assert!(text.iter().any(|l| l.contains("kiln listening on")), "{text:?}");
    assert!(text.iter().all(|l| serde_json::from_str::<Value>(l).is_err()), "{text:?}");
}

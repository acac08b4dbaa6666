//! API throughput and latency of four calls over JSON 1.1 and CBOR, on Kiln with a seeded
//! history and on moto's server doing the same calls in the same run.

use serde_json::{Value, json};

use crate::http::{Connection, to_cbor};
use crate::load::{Throughput, cbor_check, json_call, json_check, throughput};

pub const CALLS: [&str; 4] = ["StartBuild", "BatchGetBuilds (100 ids)", "ListBuildsForProject", "GetLogEvents"];

const START: &str = "CodeBuild_20161006.StartBuild";
const BATCH_GET: &str = "CodeBuild_20161006.BatchGetBuilds";
const LIST_FOR_PROJECT: &str = "CodeBuild_20161006.ListBuildsForProject";
const GET_LOG_EVENTS: &str = "Logs_20140328.GetLogEvents";

/// How hard to push each call.
#[derive(Clone, Copy)]
pub struct Load {
    pub seconds: f64,
    pub connections: usize,
    /// StartBuild queues real builds on Kiln: bound them so the run stays short.
    pub max_starts: usize,
}

/// One call's figures; `Err` says why it is n/a.
pub type Cell = Result<Throughput, String>;

/// The request bodies of the four calls against one server.
pub struct Targets {
    pub project: String,
    pub ids: Vec<String>,
    pub log_group: String,
    pub log_stream: String,
}

impl Targets {
    fn bodies(&self) -> [(&'static str, Value); 4] {
        [
            (START, json!({"projectName": self.project})),
            (BATCH_GET, json!({"ids": self.ids})),
            (LIST_FOR_PROJECT, json!({"projectName": self.project})),
            (
                GET_LOG_EVENTS,
                json!({"logGroupName": self.log_group, "logStreamName": self.log_stream, "startFromHead": true}),
            ),
        ]
    }
}

/// Kiln: the three reads first, StartBuild last (its builds then run beside nothing else we
/// measure on this server), each over JSON then CBOR; `before_starts` runs between the two.
/// Returns (json, cbor) per call, in `CALLS` order.
pub fn measure_kiln(addr: &str, targets: &Targets, load: Load, before_starts: &mut dyn FnMut()) -> Vec<(Cell, Cell)> {
    let open = || Connection::open(addr);
    let bodies = targets.bodies();
    let order = [1, 2, 3, 0];
    let mut out: Vec<Option<(Cell, Cell)>> = (0..4).map(|_| None).collect();
    for i in order {
        let (target, body) = &bodies[i];
        if i == 0 {
            before_starts();
        }
        let max = if i == 0 { load.max_starts } else { usize::MAX };
        let text = body.to_string();
        let cbor = to_cbor(body);
        let json_cell = throughput(&open, load.seconds, load.connections, max, &|c, _| json_check(c, target, &text));
        let cbor_cell = throughput(&open, load.seconds, load.connections, max, &|c, _| cbor_check(c, target, &cbor));
        out[i] = Some((json_cell, cbor_cell));
    }
    out.into_iter().map(|c| c.unwrap_or_else(|| (Err("not run".into()), Err("not run".into())))).collect()
}

/// moto: CreateProject, StartBuild (which also makes the 100 builds BatchGetBuilds asks for),
/// the reads, and GetLogEvents on a stream given the same five lines through PutLogEvents.
/// Returns one cell per call, in `CALLS` order.
pub fn measure_moto(addr: &str, load: Load) -> Result<Vec<Cell>, String> {
    let codebuild = || Connection::open(addr).map(|c| c.with_scope("codebuild"));
    let logs = || Connection::open(addr).map(|c| c.with_scope("logs"));
    let mut conn = codebuild().map_err(|e| format!("moto: {e}"))?;
    let project = "bench-moto";
    let mut body = project_body(project);
    // moto wants a location even for NO_SOURCE; its builds never run, so any will do.
    body["source"]["location"] = Value::from("bench");
    // moto's default account.
    body["serviceRole"] = Value::from("arn:aws:iam::123456789012:role/bench");
    json_call(&mut conn, "CodeBuild_20161006.CreateProject", &body.to_string())?;
    let start = json!({"projectName": project}).to_string();
    let starts =
        throughput(&codebuild, load.seconds, load.connections, usize::MAX, &|c, _| json_check(c, START, &start));
    let listed = json_call(&mut conn, LIST_FOR_PROJECT, &start)?;
    let mut ids: Vec<String> =
        listed["ids"].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_string)).collect();
    while ids.len() < 100 {
        let out = json_call(&mut conn, START, &start)?;
        ids.push(out["build"]["id"].as_str().unwrap_or_default().to_string());
    }
    ids.truncate(100);
    let mut log_conn = logs().map_err(|e| format!("moto: {e}"))?;
    let (group, stream) = ("/aws/codebuild/bench-moto", "bench-stream");
    json_call(&mut log_conn, "Logs_20140328.CreateLogGroup", &json!({"logGroupName": group}).to_string())?;
    json_call(
        &mut log_conn,
        "Logs_20140328.CreateLogStream",
        &json!({"logGroupName": group, "logStreamName": stream}).to_string(),
    )?;
    let now_ms =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0);
    let events: Vec<Value> =
        (0..5).map(|n| json!({"timestamp": now_ms, "message": format!("[Container] line {n}\n")})).collect();
    json_call(
        &mut log_conn,
        "Logs_20140328.PutLogEvents",
        &json!({"logGroupName": group, "logStreamName": stream, "logEvents": events}).to_string(),
    )?;
    let targets = Targets { project: project.into(), ids, log_group: group.into(), log_stream: stream.into() };
    let bodies = targets.bodies();
    let mut cells = vec![starts];
    for (target, body) in &bodies[1..] {
        let text = body.to_string();
        let open: &(dyn Fn() -> std::io::Result<Connection> + Sync) =
            if *target == GET_LOG_EVENTS { &logs } else { &codebuild };
        cells.push(throughput(open, load.seconds, load.connections, usize::MAX, &|c, _| json_check(c, target, &text)));
    }
    Ok(cells)
}

/// A CreateProject request both Kiln and moto accept.
pub fn project_body(name: &str) -> Value {
    json!({
        "name": name,
        "source": {"type": "NO_SOURCE", "buildspec": "version: 0.2\nphases:\n  build:\n    commands: [true]\n"},
        "artifacts": {"type": "NO_ARTIFACTS"},
        "environment": {"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_SMALL"},
        "serviceRole": "arn:aws:iam::000000000000:role/bench",
    })
}

/// `{rps, p50_ms, p99_ms}` or `{"na": reason}`.
pub fn cell_json(cell: &Cell) -> Value {
    use crate::stats::percentile;
    match cell {
        Ok(t) => {
            json!({"rps": t.rps, "p50_ms": percentile(&t.latencies, 50.0), "p99_ms": percentile(&t.latencies, 99.0)})
        }
        Err(e) => json!({"na": e}),
    }
}

/// `req/s p50 p99`, or n/a, 27 columns wide.
pub fn cell_text(cell: &Cell) -> String {
    use crate::stats::percentile;
    match cell {
        Ok(t) => {
            format!("{:>9.0} {:>8.2} {:>8.2}", t.rps, percentile(&t.latencies, 50.0), percentile(&t.latencies, 99.0))
        }
        Err(_) => format!("{:>9} {:>8} {:>8}", "n/a", "", ""),
    }
}

//! Starting builds and waiting for them, over JSON 1.1.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::http::Connection;
use crate::load::json_call;

/// CreateProject of a NO_SOURCE project running `commands` in its build phase.
pub fn create_project(conn: &mut Connection, name: &str, commands: &[&str]) -> Result<(), String> {
    // Several lines: a one-line buildspec is taken for a file name. JSON strings are valid YAML.
    let mut buildspec = String::from("version: 0.2\nphases:\n  build:\n    commands:\n");
    for command in commands {
        buildspec.push_str(&format!("      - {}\n", Value::from(*command)));
    }
    let mut body = crate::api::project_body(name);
    body["source"]["buildspec"] = Value::from(buildspec);
    json_call(conn, "CodeBuild_20161006.CreateProject", &body.to_string()).map(|_| ())
}

pub fn start(conn: &mut Connection, project: &str) -> Result<String, String> {
    let out = json_call(conn, "CodeBuild_20161006.StartBuild", &json!({"projectName": project}).to_string())?;
    out["build"]["id"].as_str().map(str::to_string).ok_or_else(|| format!("StartBuild answered {out}"))
}

pub fn get(conn: &mut Connection, ids: &[String]) -> Result<Vec<Value>, String> {
    let mut builds = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(100) {
        let out = json_call(conn, "CodeBuild_20161006.BatchGetBuilds", &json!({"ids": chunk}).to_string())?;
        builds.extend(out["builds"].as_array().cloned().unwrap_or_default());
    }
    Ok(builds)
}

/// How often the waits below poll, unless told otherwise.
pub const POLL: Duration = Duration::from_millis(5);

/// Polls every `every` until every build satisfies `done`; returns their last documents.
pub fn wait_until(
    conn: &mut Connection,
    ids: &[String],
    timeout: Duration,
    every: Duration,
    done: &dyn Fn(&Value) -> bool,
) -> Result<Vec<Value>, String> {
    let deadline = Instant::now() + timeout;
    loop {
        let builds = get(conn, ids)?;
        if builds.len() == ids.len() && builds.iter().all(done) {
            return Ok(builds);
        }
        // A finished build will not change any more.
        if let Some(b) = builds.iter().find(|b| complete(b) && !done(b)) {
            return Err(format!("build {} ended {} ({})", b["id"], b["buildStatus"], failed_phases(b)));
        }
        if Instant::now() > deadline {
            return Err(format!("{} builds not done within {} s", ids.len(), timeout.as_secs()));
        }
        std::thread::sleep(every);
    }
}

pub fn complete(build: &Value) -> bool {
    build["buildComplete"].as_bool() == Some(true)
}

/// Waits for the builds to finish, polling every `every`, and fails unless all succeeded.
pub fn wait_succeeded(
    conn: &mut Connection,
    ids: &[String],
    timeout: Duration,
    every: Duration,
) -> Result<Vec<Value>, String> {
    let builds = wait_until(conn, ids, timeout, every, &complete)?;
    if let Some(bad) = builds.iter().find(|b| b["buildStatus"] != "SUCCEEDED") {
        return Err(format!("build {} ended {} ({})", bad["id"], bad["buildStatus"], failed_phases(bad)));
    }
    Ok(builds)
}

/// The phases that did not succeed, with their contexts.
pub fn failed_phases(build: &Value) -> String {
    let failed: Vec<String> = build["phases"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["phaseStatus"].as_str().is_some_and(|s| s != "SUCCEEDED"))
        .map(|p| format!("{} {} {}", p["phaseType"], p["phaseStatus"], p["contexts"]))
        .collect();
    failed.join("; ")
}

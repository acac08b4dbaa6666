//! Following a build: its phases as they advance and its log (GetLogEvents, paged with the
//! forward token), until it ends. Returns the final build.

use std::io::Write;
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

use super::client::Client;
use super::progress::Progress;

/// How often a running build is polled when nothing new arrived.
const POLL: Duration = Duration::from_millis(400);

/// Streams the build's log to `out` (phases too, through `progress`) until it is complete.
pub fn follow(client: &Client, build_id: &str, out: &mut dyn Write, progress: &mut Progress) -> anyhow::Result<Value> {
    let mut log = LogCursor::default();
    loop {
        let build = get_build(client, build_id)?;
        let done = build["buildComplete"].as_bool() == Some(true);
        // Read to the end; a finished build's last lines are in by now, as `done` was read first.
        while log.read(client, &build, out, progress)? > 0 {}
        progress.phases(out, &build)?;
        if done {
            progress.finish(out, &build)?;
            return Ok(build);
        }
        progress.redraw(out, &build)?;
        out.flush()?;
        std::thread::sleep(POLL);
    }
}

pub fn get_build(client: &Client, build_id: &str) -> anyhow::Result<Value> {
    let answer = client.codebuild("BatchGetBuilds", &json!({ "ids": [build_id] }))?;
    match answer["builds"].get(0) {
        Some(build) => Ok(build.clone()),
        None => bail!("build {build_id} not found"),
    }
}

/// Where the next GetLogEvents page starts.
#[derive(Default)]
struct LogCursor {
    token: Option<String>,
}

impl LogCursor {
    /// Reads one page and prints its events; returns how many there were.
    fn read(
        &mut self,
        client: &Client,
        build: &Value,
        out: &mut dyn Write,
        progress: &mut Progress,
    ) -> anyhow::Result<usize> {
        let (group, stream) = log_location(build)?;
        let mut request = json!({ "logGroupName": group, "logStreamName": stream, "startFromHead": true });
        if let Some(token) = &self.token {
            request["nextToken"] = json!(token);
        }
        let page = match client.logs("GetLogEvents", &request) {
            Ok(page) => page,
            // The stream appears when the build's first line is written.
            Err(e) if e.code() == Some("ResourceNotFoundException") => return Ok(0),
            Err(e) => return Err(e.into()),
        };
        let events = page["events"].as_array().map(Vec::as_slice).unwrap_or_default();
        if !events.is_empty() {
            progress.clear(out)?;
            for event in events {
                out.write_all(event["message"].as_str().unwrap_or_default().as_bytes())?;
            }
        }
        if let Some(next) = page["nextForwardToken"].as_str() {
            self.token = Some(next.to_string());
        }
        Ok(events.len())
    }
}

/// The build's log group and stream, as CodeBuild names them when the build does not say.
fn log_location(build: &Value) -> anyhow::Result<(String, String)> {
    let id = build["id"].as_str().context("the build has no id")?;
    let (project, uuid) = id.split_once(':').context("malformed build id")?;
    let group =
        build["logs"]["groupName"].as_str().map_or_else(|| kiln_api::logs::names::group_name(project), str::to_string);
    let stream = build["logs"]["streamName"].as_str().unwrap_or(uuid).to_string();
    Ok((group, stream))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_location_defaults_to_codebuilds_names() {
        let build = json!({"id": "proj:1234"});
        assert_eq!(log_location(&build).unwrap(), ("/aws/codebuild/proj".to_string(), "1234".to_string()));
        let build = json!({"id": "proj:1234", "logs": {"groupName": "g", "streamName": "s/1"}});
        assert_eq!(log_location(&build).unwrap(), ("g".to_string(), "s/1".to_string()));
        assert!(log_location(&json!({"id": "no-colon"})).is_err());
    }
}

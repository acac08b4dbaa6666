//! History without running builds: copies of one real build's record written straight into the
//! server's SQLite store (the server reads the same file; SQLite's WAL lets both in).

use std::path::Path;

use kiln_store::{BuildRecord, LogEvent, SqliteStore, Store};
use serde_json::Value;

/// Log lines each seeded build gets, so log tables grow with the history too.
const LINES_PER_BUILD: usize = 5;

/// Adds `count` finished builds of `template`'s project, each a copy of `template` with its own
/// id, number and log stream. Returns the ids in insertion order.
pub fn seed(db: &Path, template_id: &str, count: usize) -> Result<Vec<String>, String> {
    let store = SqliteStore::open(db).map_err(|e| e.to_string())?;
    let template = store
        .get_build(template_id)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("template build {template_id} not found"))?;
    let doc: Value = serde_json::from_str(&template.doc).map_err(|e| e.to_string())?;
    let mut ids = Vec::with_capacity(count);
    for i in 0..count {
        let id = format!("{}:00000000-0000-4000-8000-{i:012x}", template.project);
        let record = BuildRecord { id: id.clone(), ..template.clone() };
        let doc_for = |number: i64| renumber(&doc, &id, number).to_string();
        let stored = store.insert_build(&record, &doc_for, None).map_err(|e| e.to_string())?;
        let events: Vec<LogEvent> = (0..LINES_PER_BUILD)
            .map(|n| LogEvent {
                seq: 0,
                timestamp_ms: stored.submitted_ms,
                ingestion_ms: stored.submitted_ms,
                message: format!("[Container] seeded build {i} line {n}\n"),
            })
            .collect();
        store.append_log(&id, &events).map_err(|e| e.to_string())?;
        ids.push(id);
    }
    Ok(ids)
}

/// The template's document with another id and number (the ARN and log stream follow the id).
fn renumber(template: &Value, id: &str, number: i64) -> Value {
    let mut doc = template.clone();
    let old_id = template["id"].as_str().unwrap_or_default();
    let uuid = id.rsplit_once(':').map(|(_, u)| u).unwrap_or(id);
    doc["id"] = Value::from(id);
    doc["buildNumber"] = Value::from(number);
    if let Some(arn) = template["arn"].as_str() {
        doc["arn"] = Value::from(arn.replace(old_id, id));
    }
    if doc["logs"].is_object() {
        doc["logs"]["streamName"] = Value::from(uuid);
        for key in ["deepLink", "cloudWatchLogsArn"] {
            if let Some(v) = template["logs"][key].as_str() {
                let old_uuid = old_id.rsplit_once(':').map(|(_, u)| u).unwrap_or(old_id);
                doc["logs"][key] = Value::from(v.replace(old_uuid, uuid));
            }
        }
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_copy_names_its_own_id_number_arn_and_stream() {
        let template = json!({
            "id": "p:aaaa", "buildNumber": 1, "arn": "arn:aws:codebuild:r:1:build/p:aaaa",
            "logs": {"streamName": "aaaa", "groupName": "/aws/codebuild/p", "deepLink": "x/aaaa"},
        });
        let doc = renumber(&template, "p:bbbb", 7);
        assert_eq!(doc["id"], "p:bbbb");
        assert_eq!(doc["buildNumber"], 7);
        assert_eq!(doc["arn"], "arn:aws:codebuild:r:1:build/p:bbbb");
        assert_eq!(doc["logs"]["streamName"], "bbbb");
        assert_eq!(doc["logs"]["deepLink"], "x/bbbb");
        assert_eq!(doc["logs"]["groupName"], "/aws/codebuild/p");
    }
}

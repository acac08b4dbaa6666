//! `GET /_kiln/events/invocations`: Kiln's record of what delivering events to rule targets did
//! (a Kiln extension: EventBridge shows failed invocations only as metrics). Newest first;
//! `?limit=<n>` (default 100, at most 1000) and `?before=<seq>` page back through it.
//!
//! The path cannot shadow an S3 bucket (bucket names do not start with `_`).

use std::collections::HashMap;

use axum::extract::{Query, Request};
use axum::http::Method;
use axum::response::Response;
use kiln_store::InvocationRecord;
use serde_json::{Value, json};

use super::extension::{reply, signature_refusal};
use super::http::State;

pub const PATH: &str = "/_kiln/events/invocations";
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;

pub async fn handle(state: &State, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    if parts.method != Method::GET {
        return reply(405, json!({ "message": format!("read {PATH} with GET") }));
    }
    if let Some(refused) = signature_refusal(state, &parts) {
        return refused;
    }
    let query = Query::<HashMap<String, String>>::try_from_uri(&parts.uri).map(|q| q.0).unwrap_or_default();
    let limit = match query.get("limit").map(|l| l.parse::<usize>()) {
        None => DEFAULT_LIMIT,
        Some(Ok(l)) if (1..=MAX_LIMIT).contains(&l) => l,
        Some(_) => return reply(400, json!({ "message": format!("limit must be 1 to {MAX_LIMIT}") })),
    };
    let before = match query.get("before").map(|b| b.parse::<i64>()) {
        None => None,
        Some(Ok(b)) => Some(b),
        Some(Err(_)) => return reply(400, json!({ "message": "before must be an invocation's seq" })),
    };
    let api = state.api.clone();
    match tokio::task::spawn_blocking(move || api.event_invocations(before, limit)).await {
        Ok(Ok(records)) => reply(200, json!({ "invocations": records.iter().map(to_json).collect::<Vec<_>>() })),
        Ok(Err(e)) => reply(e.status(), json!({ "__type": e.code(), "message": e.to_string() })),
        Err(e) => reply(500, json!({ "message": format!("the listing failed: {e}") })),
    }
}

fn to_json(record: &InvocationRecord) -> Value {
    json!({
        "seq": record.seq,
        "time": record.time_ms as f64 / 1000.0,
        "ruleArn": record.rule_arn,
        "targetId": record.target_id,
        "eventId": record.event_id,
        "buildId": record.outcome,
        "error": record.error,
    })
}

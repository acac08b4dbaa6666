//! `/webhooks`: deliveries from GitHub, GitLab and Bitbucket (`POST /webhooks?t=<token>&v=1`,
//! the payload URL CreateWebhook answers) and Kiln's record of them
//! (`GET /webhooks/deliveries?project=<name>`, a Kiln extension).
//!
//! Everything under `/webhooks` is answered here, before S3: a bucket named `webhooks` cannot be
//! reached through Kiln's S3 API.

use std::collections::HashMap;

use axum::extract::{Query, Request};
use axum::http::Method;
use axum::response::Response;
use kiln_api::webhooks::{Headers, WebhookDelivery, WebhookReply};
use serde_json::json;

use super::extension::{reply, signature_refusal};
use super::http::State;

/// GitHub's own limit on a delivery's payload.
const MAX_DELIVERY: usize = 25 * 1024 * 1024;

pub fn is_webhook_path(path: &str) -> bool {
    path == "/webhooks" || path.starts_with("/webhooks/")
}

pub async fn handle(state: &State, req: Request) -> Response {
    let path = req.uri().path().to_string();
    match (req.method().clone(), path.as_str()) {
        (Method::POST, "/webhooks") => deliver(state, req).await,
        (Method::GET, "/webhooks/deliveries") => deliveries(state, req).await,
        (_, "/webhooks") => reply(405, json!({ "message": "deliver webhooks with POST" })),
        _ => reply(404, json!({ "message": format!("no such webhook resource: {path}") })),
    }
}

async fn deliver(state: &State, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let query = query(&parts.uri);
    let Ok(body) = axum::body::to_bytes(body, MAX_DELIVERY).await else {
        return reply(413, json!({ "message": format!("the payload is larger than {MAX_DELIVERY} bytes") }));
    };
    let headers = Headers::new(
        parts
            .headers
            .iter()
            .filter_map(|(name, value)| Some((name.as_str().to_string(), value.to_str().ok()?.to_string()))),
    );
    let delivery = WebhookDelivery { token: query.get("t").cloned(), headers, body: body.to_vec() };
    let api = state.api.clone();
    // The store is synchronous; the build starts (queued) before the answer, and is not waited for.
    match tokio::task::spawn_blocking(move || api.receive_webhook(&delivery)).await {
        Ok(WebhookReply { status, body }) => reply(status, body),
        Err(e) => reply(500, json!({ "message": format!("the delivery's handler failed: {e}") })),
    }
}

async fn deliveries(state: &State, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    if let Some(refused) = signature_refusal(state, &parts) {
        return refused;
    }
    let Some(project) = query(&parts.uri).remove("project").filter(|p| !p.is_empty()) else {
        return reply(400, json!({ "message": "name the project: /webhooks/deliveries?project=<name>" }));
    };
    let api = state.api.clone();
    match tokio::task::spawn_blocking(move || api.list_webhook_deliveries(&project)).await {
        Ok(Ok(listing)) => reply(200, listing),
        Ok(Err(e)) => {
            reply(if e.status() >= 500 { 500 } else { 404 }, json!({ "__type": e.code(), "message": e.to_string() }))
        }
        Err(e) => reply(500, json!({ "message": format!("the listing failed: {e}") })),
    }
}

fn query(uri: &axum::http::Uri) -> HashMap<String, String> {
    Query::<HashMap<String, String>>::try_from_uri(uri).map(|q| q.0).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::is_webhook_path;

    #[test]
    fn everything_under_webhooks_is_ours() {
        assert!(is_webhook_path("/webhooks"));
        assert!(is_webhook_path("/webhooks/deliveries"));
        assert!(is_webhook_path("/webhooks/any/key"));
        assert!(!is_webhook_path("/webhooks-bucket/key"));
        assert!(!is_webhook_path("/"));
    }
}

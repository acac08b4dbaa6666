//! What Kiln's own HTTP endpoints beside the AWS APIs share (`/webhooks/deliveries`,
//! `/_kiln/events/invocations`): JSON answers, and a SigV4 signature when keys are configured.

use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use kiln_wire::sigv4;
use serde_json::{Value, json};

use super::http::State;

/// A JSON answer with `status`.
pub fn reply(status: u16, body: Value) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
    response
}

/// Like the AWS APIs, these records are only for signed requests when keys are configured:
/// the answer to an unsigned or badly signed one, if this is one.
pub fn signature_refusal(state: &State, parts: &Parts) -> Option<Response> {
    if state.keys.is_empty() {
        return None;
    }
    let signed = sigv4::Request {
        method: parts.method.as_str(),
        raw_path: parts.uri.path(),
        raw_query: parts.uri.query().unwrap_or(""),
        headers: &parts.headers,
        body: &[],
    };
    sigv4::verify(&signed, &state.keys, std::time::SystemTime::now())
        .err()
        .map(|e| reply(e.status(), json!({ "__type": e.code(), "message": e.to_string() })))
}

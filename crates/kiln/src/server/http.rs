//! HTTP in and out: body limits, request ids, SigV4, and the AWS error envelope.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use kiln_api::{Api, Caller};
use kiln_wire::sigv4::{self, Credentials};
use kiln_wire::{Protocol, WireError};

use super::dispatch::service_code;

/// The largest request body accepted (CodeBuild's requests are small; a buildspec override
/// is the largest member). S3 bodies are not buffered: `kiln_s3api` streams them to the
/// object store under its own limit (`MAX_OBJECT_SIZE`).
pub const MAX_BODY: usize = 6 * 1024 * 1024;

pub struct State {
    pub api: Api,
    pub keys: Vec<Credentials>,
    /// The S3 API (path-style) and the object store behind it.
    pub s3: kiln_s3api::S3,
    /// CodeCommit-style repository events (trigger records for PutEvents' CodeCommit entries).
    pub repo_events: Arc<crate::repo_events::RepoEvents>,
    /// What `/metrics` exposes.
    pub metrics: Arc<super::metrics::Metrics>,
    /// The web console (browser requests: see `kiln_console::is_console_request`).
    pub console: kiln_console::Console,
}

pub fn router(state: Arc<State>) -> Router {
    let metrics = state.metrics.clone();
    Router::new()
        .route("/health", axum::routing::get(|| async { "ok\n" }))
        // Unsigned, as Prometheus scrapes; before the S3 fallback (a bucket `metrics` is unreachable).
        .route("/metrics", axum::routing::get(move || super::metrics::scrape(metrics.clone())))
        .fallback(move |req: Request| handle(state.clone(), req))
}

async fn handle(state: Arc<State>, req: Request) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    // Webhook deliveries come before S3 (a bucket named `webhooks` is unreachable).
    let mut response = if super::webhooks::is_webhook_path(req.uri().path()) {
        super::webhooks::handle(&state, req).await
    } else if req.uri().path() == super::event_invocations::PATH {
        super::event_invocations::handle(&state, req).await
    } else if kiln_console::is_console_request(req.method(), req.uri(), req.headers()) {
        // Unsigned browser requests only, so S3 clients never land here.
        state.console.handle(req).await
    } else if is_s3(&req) {
        state.s3.handle(req, &request_id).await
    } else {
        timed_answer(&state, req).await
    };
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-amzn-requestid", v);
    }
    response
}

/// S3 gets what is signed for service `s3`, and every request that is not a JSON or CBOR API
/// call (`POST /` without `X-Amz-Target` stays a JSON UnknownOperationException).
fn is_s3(req: &Request) -> bool {
    let path = req.uri().path();
    let signed = sigv4::Request {
        method: req.method().as_str(),
        raw_path: path,
        raw_query: req.uri().query().unwrap_or(""),
        headers: req.headers(),
        body: &[],
    };
    if sigv4::parse_authorization(&signed).ok().flatten().is_some_and(|v| v.service == "s3") {
        return true;
    }
    let json_root = req.method() == axum::http::Method::POST && path == "/";
    matches!(kiln_wire::route(req.method().as_str(), path, req.headers()), Ok(None)) && !json_root
}

/// `answer`, counted and timed for `/metrics` by service, operation and status.
async fn timed_answer(state: &State, req: Request) -> Response {
    let started = std::time::Instant::now();
    let call = kiln_wire::route(req.method().as_str(), req.uri().path(), req.headers()).ok().flatten();
    let labels = super::metrics::call_labels(call.as_ref());
    let response = answer(state, req).await;
    state.metrics.observe_request(labels, response.status().as_u16(), started.elapsed());
    response
}

async fn answer(state: &State, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let call = match kiln_wire::route(parts.method.as_str(), &path, &parts.headers) {
        Ok(Some(call)) => call,
        // Every other non-API request went to S3 (`is_s3`): this is `POST /` without a target.
        Ok(None) => {
            return error(Protocol::AwsJson11, 400, "UnknownOperationException", "Missing X-Amz-Target header");
        }
        // Answer in the protocol the client spoke: RPC v2 paths get CBOR.
        Err(e) if path.starts_with("/service/") => return wire_error(Protocol::RpcV2Cbor, &e),
        Err(e) => return wire_error(Protocol::AwsJson11, &e),
    };
    let body: Bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return error(
                call.protocol,
                413,
                "SerializationException",
                &format!("Request body is larger than {MAX_BODY} bytes"),
            );
        }
    };
    let signed = sigv4::Request {
        method: parts.method.as_str(),
        raw_path: &path,
        raw_query: parts.uri.query().unwrap_or(""),
        headers: &parts.headers,
        body: &body,
    };
    let caller = if state.keys.is_empty() {
        // No keys configured: any signer is accepted; the key id still names the initiator.
        Caller { access_key_id: sigv4::parse_authorization(&signed).ok().flatten().map(|v| v.access_key_id) }
    } else {
        match sigv4::verify(&signed, &state.keys, std::time::SystemTime::now()) {
            Ok(v) => Caller { access_key_id: Some(v.access_key_id) },
            Err(e) => return error(call.protocol, e.status(), e.code(), &e.to_string()),
        }
    };
    // PutEvents may carry CodeCommit events (`kiln hook post-receive`): trigger records follow.
    let put_events = (call.target_prefix == kiln_model::events::TARGET_PREFIX && call.operation == "PutEvents")
        .then(|| body.clone());
    match super::dispatch::dispatch(&state.api, &call, body, caller).await {
        Ok(bytes) => {
            if let Some(sent) = put_events {
                state.repo_events.observe_put_events(&sent);
            }
            ok(call.protocol, bytes)
        }
        Err(super::dispatch::Failure::Wire(e)) => {
            error(call.protocol, 400, service_code(&call.target_prefix, e.code()), &e.to_string())
        }
        Err(super::dispatch::Failure::Api(e)) => {
            if e.status() >= 500 {
                tracing::error!(operation = %call.operation, "internal failure: {e}");
            }
            error(call.protocol, e.status(), service_code(&call.target_prefix, e.code()), &e.to_string())
        }
    }
}

fn ok(protocol: Protocol, body: Vec<u8>) -> Response {
    respond(protocol, 200, body)
}

fn wire_error(protocol: Protocol, e: &WireError) -> Response {
    error(protocol, 400, e.code(), &e.to_string())
}

fn error(protocol: Protocol, status: u16, code: &str, message: &str) -> Response {
    respond(protocol, status, kiln_wire::encode_error(protocol, code, message))
}

fn respond(protocol: Protocol, status: u16, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static(protocol.content_type()));
    if protocol == Protocol::RpcV2Cbor {
        headers.insert("smithy-protocol", HeaderValue::from_static("rpc-v2-cbor"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, uri: &str, headers: &[(&str, &str)]) -> Request {
        let mut builder = axum::http::Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(Body::empty()).expect("request")
    }

    #[test]
    fn api_calls_stay_with_the_api_and_the_rest_goes_to_s3() {
        let target = [("x-amz-target", "CodeBuild_20161006.ListProjects")];
        assert!(!is_s3(&request("POST", "/", &target)));
        assert!(!is_s3(&request("POST", "/", &[])), "POST / without a target is the JSON API's error");
        assert!(!is_s3(&request("POST", "/service/CodeBuild_20161006/operation/ListProjects", &[])));
        for (method, uri) in [("GET", "/"), ("PUT", "/b"), ("PUT", "/b/k"), ("POST", "/b?delete"), ("HEAD", "/b/k")] {
            assert!(is_s3(&request(method, uri, &[])), "{method} {uri}");
        }
        // The credential scope decides when the path alone would not.
        let s3_scope = "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/s3/aws4_request, \
                        SignedHeaders=host;x-amz-date, Signature=00";
        let signed = [("authorization", s3_scope), ("x-amz-date", "20240101T000000Z")];
        assert!(is_s3(&request("POST", "/service/CodeBuild_20161006/operation/ListProjects", &signed)));
    }
}

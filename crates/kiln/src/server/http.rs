//! HTTP in and out: body limits, request ids, SigV4, and the AWS error envelope.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use kiln_api::{Api, Caller};
use kiln_wire::sigv4::{self, Credentials};
use kiln_wire::{Protocol, WireError};

use super::dispatch::service_code;

/// The largest request body accepted (CodeBuild's requests are small; a buildspec override
/// is the largest member).
pub const MAX_BODY: usize = 6 * 1024 * 1024;

pub struct State {
    pub api: Api,
    pub keys: Vec<Credentials>,
}

pub fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/health", axum::routing::get(|| async { "ok\n" }))
        .fallback(move |req: Request| handle(state.clone(), req))
}

async fn handle(state: Arc<State>, req: Request) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let mut response = answer(&state, req).await;
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-amzn-requestid", v);
    }
    response
}

async fn answer(state: &State, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let call = match kiln_wire::route(parts.method.as_str(), &path, &parts.headers) {
        Ok(Some(call)) => call,
        Ok(None) if parts.method == axum::http::Method::POST && path == "/" => {
            return error(Protocol::AwsJson11, 400, "UnknownOperationException", "Missing X-Amz-Target header");
        }
        Ok(None) => return (StatusCode::NOT_FOUND, "not found\n").into_response(),
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
    match super::dispatch::dispatch(&state.api, &call, body, caller).await {
        Ok(bytes) => ok(call.protocol, bytes),
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

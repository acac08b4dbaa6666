//! The S3 REST API (path-style) on Kiln's endpoint, over a [`kiln_objects::ObjectStore`]:
//! buckets, objects with versions, listings, multipart uploads, and S3's errors, as boto3 and
//! the aws cli expect them.
//!
//! Requests are authenticated with SigV4 before their body is read; bodies stream to the store
//! (never buffered whole) and are checked as they go: the signed SHA-256, aws-chunked framing
//! with chunk signatures, Content-MD5 and the flexible checksums.

mod auth;
mod checksum;
mod chunked;
mod error;
mod inbound;
mod ops;
mod outbound;
mod request;
mod route;
mod time;
mod xml;

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use http::{HeaderValue, Method, Request, StatusCode};
use kiln_objects::ObjectStore;
use kiln_wire::sigv4::Credentials;

pub use error::S3Error;

/// The largest object a single PutObject stores, and the largest part: S3's 5 GiB. Bodies
/// stream to disk, so this bounds disk use, not memory.
pub const MAX_OBJECT_SIZE: u64 = 5 * 1024 * 1024 * 1024;

/// The S3 service of one Kiln server.
pub struct S3 {
    store: Arc<dyn ObjectStore>,
    keys: Vec<Credentials>,
    region: String,
}

impl S3 {
    /// `keys` empty accepts any signer, as the rest of Kiln's API does.
    pub fn new(store: Arc<dyn ObjectStore>, keys: Vec<Credentials>, region: String) -> S3 {
        S3 { store, keys, region }
    }

    pub fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// Answers one request. `request_id` goes into `x-amz-request-id` and error documents.
    pub async fn handle(&self, req: Request<Body>, request_id: &str) -> Response {
        let (parts, body) = req.into_parts();
        let resource = parts.uri.path().to_owned();
        let head = parts.method == Method::HEAD;
        let mut response = match ops::answer(self, parts, body).await {
            Ok(response) => response,
            Err(e) => error_response(&e, &resource, request_id, head),
        };
        if let Ok(id) = HeaderValue::from_str(request_id) {
            response.headers_mut().insert("x-amz-request-id", id.clone());
            response.headers_mut().insert("x-amz-id-2", id);
        }
        response
    }
}

/// S3's error document; HEAD responses carry only the status, as S3's do.
fn error_response(e: &S3Error, resource: &str, request_id: &str, head: bool) -> Response {
    let body = if head { Body::empty() } else { Body::from(e.to_xml(resource, request_id)) };
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    if !head {
        response.headers_mut().insert("content-type", HeaderValue::from_static("application/xml"));
    }
    response
}

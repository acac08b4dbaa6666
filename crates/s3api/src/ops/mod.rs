//! One function per S3 operation, and what they share: the request context, running store
//! calls off the async threads, and building responses.

mod bucket;
mod listing;
mod multipart;
mod object;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Body;
use axum::response::Response;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, StatusCode};
use kiln_objects::{ObjectMeta, ObjectStore, PutOptions};

use crate::auth::{self, Caller};
use crate::error::S3Error;
use crate::request::{self, Query};
use crate::route::{self, Op};
use crate::{S3, time};

/// Everything an operation needs about its request.
pub struct Ctx<'a> {
    pub s3: &'a S3,
    pub parts: Parts,
    pub query: Query,
    pub caller: Caller,
    pub bucket: String,
    pub key: String,
}

impl Ctx<'_> {
    pub fn store(&self) -> Arc<dyn ObjectStore> {
        self.s3.store.clone()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.parts.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A query parameter with a non-empty value.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.get(name).filter(|v| !v.is_empty())
    }
}

pub async fn answer(s3: &S3, parts: Parts, body: Body) -> Result<Response, S3Error> {
    let caller = auth::authenticate(&parts, &s3.keys, SystemTime::now())?;
    let target = request::parse_path(parts.uri.path())?;
    let query = Query::parse(parts.uri.query().unwrap_or(""))?;
    let op = route::route(&parts.method, &target, &query, &parts.headers)?;
    tracing::debug!(?op, bucket = ?target.bucket, key = ?target.key, signer = ?caller.access_key_id, "s3 request");
    let ctx = Ctx {
        s3,
        parts,
        query,
        caller,
        bucket: target.bucket.unwrap_or_default(),
        key: target.key.unwrap_or_default(),
    };
    match op {
        Op::ListBuckets => bucket::list_buckets(&ctx).await,
        Op::CreateBucket => bucket::create(&ctx, body).await,
        Op::HeadBucket => bucket::head(&ctx).await,
        Op::DeleteBucket => bucket::delete(&ctx).await,
        Op::GetBucketLocation => bucket::location(&ctx).await,
        Op::GetBucketVersioning => bucket::versioning(&ctx).await,
        Op::ListObjects => listing::list(&ctx, false).await,
        Op::ListObjectsV2 => listing::list(&ctx, true).await,
        Op::DeleteObjects => object::delete_many(&ctx, body).await,
        Op::PutObject => object::put(&ctx, body).await,
        Op::CopyObject => object::copy(&ctx).await,
        Op::GetObject => object::get(&ctx, false).await,
        Op::HeadObject => object::get(&ctx, true).await,
        Op::DeleteObject => object::delete(&ctx).await,
        Op::CreateMultipartUpload => multipart::create(&ctx).await,
        Op::UploadPart => multipart::upload_part(&ctx, body).await,
        Op::CompleteMultipartUpload => multipart::complete(&ctx, body).await,
        Op::AbortMultipartUpload => multipart::abort(&ctx).await,
    }
}

/// Runs a (blocking) store call on the blocking pool.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, S3Error> + Send + 'static,
) -> Result<T, S3Error> {
    tokio::task::spawn_blocking(f).await.map_err(|e| S3Error::internal(format!("store call panicked: {e}")))?
}

pub fn xml(status: StatusCode, body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert("content-type", HeaderValue::from_static("application/xml"));
    response
}

pub fn empty(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

pub fn set(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

/// The headers that describe a stored object (GetObject, HeadObject).
pub fn object_headers(headers: &mut HeaderMap, meta: &ObjectMeta) {
    set(headers, "etag", &meta.etag);
    set(headers, "last-modified", &time::http_date(meta.last_modified_ms));
    // S3's type for objects stored without one.
    set(headers, "content-type", meta.content_type.as_deref().unwrap_or("binary/octet-stream"));
    set(headers, "accept-ranges", "bytes");
    if let Some(version) = &meta.version_id {
        set(headers, "x-amz-version-id", version);
    }
    for (name, value) in &meta.metadata {
        let name = http::HeaderName::from_bytes(format!("x-amz-meta-{name}").as_bytes());
        if let (Ok(name), Ok(value)) = (name, HeaderValue::from_bytes(value.as_bytes())) {
            headers.insert(name, value);
        }
    }
}

/// S3's cap on user metadata: 2 KB of names and values.
const MAX_METADATA: usize = 2 * 1024;

/// Content-Type and `x-amz-meta-*` of a put.
pub fn put_options(headers: &HeaderMap) -> Result<PutOptions, S3Error> {
    let mut metadata = BTreeMap::new();
    for (name, value) in headers {
        if let Some(meta) = name.as_str().strip_prefix("x-amz-meta-") {
            metadata.insert(meta.to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned());
        }
    }
    let size: usize = metadata.iter().map(|(k, v)| k.len() + v.len()).sum();
    if size > MAX_METADATA {
        return Err(S3Error::new(
            400,
            "MetadataTooLarge",
            "Your metadata headers exceed the maximum allowed metadata size.",
        )
        .with("Size", size.to_string())
        .with("MaxSizeAllowed", MAX_METADATA.to_string()));
    }
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).map(str::to_owned);
    Ok(PutOptions { content_type, metadata })
}

//! Object operations: PutObject, CopyObject, GetObject, HeadObject, DeleteObject, DeleteObjects.

use std::ops::Range;

use axum::body::Body;
use axum::response::Response;
use http::StatusCode;
use kiln_objects::PutOptions;
use tokio::runtime::Handle;

use super::{Ctx, blocking, empty, object_headers, put_options, set, xml};
use crate::MAX_OBJECT_SIZE;
use crate::error::S3Error;
use crate::inbound::{self, BodySpec, Inbound};
use crate::outbound;
use crate::request::percent_decode;
use crate::time;
use crate::xml::{self as x, Xml};

/// Opens a request body for streaming into the store, with every check S3 makes.
pub fn open_body(ctx: &Ctx<'_>, body: Body, max: u64) -> Result<(Inbound, inbound::Fault, BodySpec), S3Error> {
    let spec = BodySpec::from_headers(&ctx.parts.headers)?;
    // With keys configured, signed chunks must chain from the verified seed signature; with
    // none, any signer is accepted and chunk signatures are not checked.
    let signing = match (spec.signed_chunks, ctx.s3.keys.is_empty()) {
        (true, false) => Some(
            ctx.caller
                .signing
                .clone()
                .ok_or_else(|| S3Error::invalid_request("Signed aws-chunked bodies need a header-signed request"))?,
        ),
        _ => None,
    };
    let (inbound, fault) = Inbound::new(body, &spec, signing, max, Handle::current())?;
    Ok((inbound, fault, spec))
}

/// Echoes the checksum header the client sent, as S3 does.
fn echo_checksum(response: &mut Response, spec: &BodySpec) {
    if let Some((algorithm, Some(value))) = &spec.checksum {
        set(response.headers_mut(), algorithm.header(), value);
    }
}

pub async fn put(ctx: &Ctx<'_>, body: Body) -> Result<Response, S3Error> {
    let options = put_options(&ctx.parts.headers)?;
    let (mut inbound, fault, spec) = open_body(ctx, body, MAX_OBJECT_SIZE)?;
    let (store, bucket, key) = (ctx.store(), ctx.bucket.clone(), ctx.key.clone());
    let meta = blocking(move || {
        store.put(&bucket, &key, &mut inbound, &options).map_err(|e| fault.take().unwrap_or_else(|| e.into()))
    })
    .await?;
    let mut response = empty(StatusCode::OK);
    set(response.headers_mut(), "etag", &meta.etag);
    if let Some(version) = &meta.version_id {
        set(response.headers_mut(), "x-amz-version-id", version);
    }
    echo_checksum(&mut response, &spec);
    Ok(response)
}

/// `x-amz-copy-source`: `[/]bucket/key[?versionId=v]`, URL-encoded.
fn copy_source(value: &str) -> Result<(String, String, Option<String>), S3Error> {
    let bad = || S3Error::invalid_argument("Invalid copy source object key");
    let (path, version) = match value.split_once("?versionId=") {
        Some((path, version)) => (path, Some(version.to_owned())),
        None => (value, None),
    };
    let path = percent_decode(path.trim_start_matches('/'), false).ok_or_else(bad)?;
    let (bucket, key) = path.split_once('/').ok_or_else(bad)?;
    if bucket.is_empty() || key.is_empty() {
        return Err(bad());
    }
    Ok((bucket.to_owned(), key.to_owned(), version))
}

pub async fn copy(ctx: &Ctx<'_>) -> Result<Response, S3Error> {
    let (src_bucket, src_key, src_version) = copy_source(ctx.header("x-amz-copy-source").unwrap_or_default())?;
    let replace = match ctx.header("x-amz-metadata-directive").unwrap_or("COPY") {
        "COPY" => false,
        "REPLACE" => true,
        _ => return Err(S3Error::invalid_argument("Unknown metadata directive.")),
    };
    if !replace && src_version.is_none() && src_bucket == ctx.bucket && src_key == ctx.key {
        return Err(S3Error::invalid_request(
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        ));
    }
    let replacement = if replace { Some(put_options(&ctx.parts.headers)?) } else { None };
    let (store, bucket, key) = (ctx.store(), ctx.bucket.clone(), ctx.key.clone());
    let (source, meta) = blocking(move || {
        let (source, mut reader) = store.get(&src_bucket, &src_key, src_version.as_deref())?;
        if source.size > MAX_OBJECT_SIZE {
            return Err(S3Error::invalid_request(
                "The specified copy source is larger than the maximum allowable size for a copy source: 5368709120",
            ));
        }
        let options = replacement.unwrap_or_else(|| PutOptions {
            content_type: source.content_type.clone(),
            metadata: source.metadata.clone(),
        });
        let meta = store.put(&bucket, &key, &mut *reader, &options)?;
        Ok((source, meta))
    })
    .await?;
    let mut doc = Xml::document();
    doc.open_root("CopyObjectResult");
    doc.element("LastModified", &time::iso8601(meta.last_modified_ms));
    doc.element("ETag", &meta.etag);
    doc.close("CopyObjectResult");
    let mut response = xml(StatusCode::OK, doc.finish());
    if let Some(version) = &meta.version_id {
        set(response.headers_mut(), "x-amz-version-id", version);
    }
    if let Some(version) = &source.version_id {
        set(response.headers_mut(), "x-amz-copy-source-version-id", version);
    }
    Ok(response)
}

/// A single `bytes=` range against an object of `size` bytes: `Ok(None)` when the header is
/// not one S3 honours (it then sends the whole object), an error when it cannot be satisfied.
pub fn parse_range(value: &str, size: u64) -> Result<Option<Range<u64>>, S3Error> {
    let Some(spec) = value.trim().strip_prefix("bytes=") else { return Ok(None) };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((first, last)) = spec.split_once('-') else { return Ok(None) };
    let (first, last) = (first.trim(), last.trim());
    let unsatisfiable = || {
        S3Error::new(416, "InvalidRange", "The requested range is not satisfiable")
            .with("RangeRequested", value)
            .with("ActualObjectSize", size.to_string())
    };
    let range = match (first.parse::<u64>(), last.parse::<u64>()) {
        (Ok(start), Ok(end)) if start <= end => start..end.saturating_add(1).min(size),
        (Ok(_), Ok(_)) => return Ok(None),
        (Ok(start), Err(_)) if last.is_empty() => start..size,
        (Err(_), Ok(suffix)) if first.is_empty() => {
            if suffix == 0 {
                return Err(unsatisfiable());
            }
            size.saturating_sub(suffix)..size
        }
        _ => return Ok(None),
    };
    if range.start >= size {
        return Err(unsatisfiable());
    }
    Ok(Some(range))
}

/// `If-Match` / `If-None-Match` against the object's ETag.
fn preconditions(ctx: &Ctx<'_>, etag: &str) -> Result<Option<StatusCode>, S3Error> {
    let matches =
        |list: &str| list.split(',').any(|t| t.trim() == "*" || t.trim().trim_matches('"') == etag.trim_matches('"'));
    if let Some(list) = ctx.header("if-match")
        && !matches(list)
    {
        return Err(S3Error::new(
            412,
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
        )
        .with("Condition", "If-Match"));
    }
    if let Some(list) = ctx.header("if-none-match")
        && matches(list)
    {
        return Ok(Some(StatusCode::NOT_MODIFIED));
    }
    Ok(None)
}

/// GetObject, or HeadObject when `head`.
pub async fn get(ctx: &Ctx<'_>, head: bool) -> Result<Response, S3Error> {
    let version = ctx.param("versionId").map(str::to_owned);
    let (store, bucket, key) = (ctx.store(), ctx.bucket.clone(), ctx.key.clone());
    let meta = blocking(move || store.head(&bucket, &key, version.as_deref()).map_err(S3Error::from)).await?;
    if let Some(status) = preconditions(ctx, &meta.etag)? {
        let mut response = empty(status);
        set(response.headers_mut(), "etag", &meta.etag);
        return Ok(response);
    }
    let range = match ctx.header("range") {
        Some(value) if !head => parse_range(value, meta.size)?,
        _ => None,
    };
    let (status, span) = match &range {
        Some(range) => (StatusCode::PARTIAL_CONTENT, range.clone()),
        None => (StatusCode::OK, 0..meta.size),
    };
    let length = span.end - span.start;
    let body = if head {
        Body::empty()
    } else {
        // Read the version the head named, so that a concurrent put cannot mix two objects.
        let (store, bucket, key) = (ctx.store(), ctx.bucket.clone(), ctx.key.clone());
        let version = meta.version_id.clone();
        let span = span.clone();
        let (_, reader) =
            blocking(move || store.get_range(&bucket, &key, version.as_deref(), span).map_err(S3Error::from)).await?;
        outbound::stream(reader, length)
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    object_headers(headers, &meta);
    set(headers, "content-length", &length.to_string());
    if range.is_some() {
        set(headers, "content-range", &format!("bytes {}-{}/{}", span.start, span.end.saturating_sub(1), meta.size));
    }
    Ok(response)
}

pub async fn delete(ctx: &Ctx<'_>) -> Result<Response, S3Error> {
    if ctx.param("versionId").is_some() {
        return Err(S3Error::not_implemented("DeleteObject of one version"));
    }
    let (store, bucket, key) = (ctx.store(), ctx.bucket.clone(), ctx.key.clone());
    blocking(move || store.delete(&bucket, &key).map_err(S3Error::from)).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

/// S3 takes at most 1000 keys per DeleteObjects.
const MAX_DELETE: usize = 1000;

pub async fn delete_many(ctx: &Ctx<'_>, body: Body) -> Result<Response, S3Error> {
    let spec = BodySpec::from_headers(&ctx.parts.headers)?;
    let bytes = inbound::read_small(body, &spec, 8 * 1024 * 1024).await?;
    let text = String::from_utf8(bytes).map_err(|_| S3Error::malformed_xml())?;
    let root = x::parse(&text).filter(|r| r.name == "Delete").ok_or_else(S3Error::malformed_xml)?;
    let quiet = root.child_text("Quiet").is_some_and(|q| q.trim() == "true");
    let mut targets = Vec::new();
    for object in root.children_named("Object") {
        let key = object.child_text("Key").ok_or_else(S3Error::malformed_xml)?.to_owned();
        targets.push((key, object.child("VersionId").is_some()));
    }
    if targets.is_empty() || targets.len() > MAX_DELETE {
        return Err(S3Error::malformed_xml());
    }
    let (store, bucket) = (ctx.store(), ctx.bucket.clone());
    let results = blocking(move || {
        if !store.bucket_exists(&bucket)? {
            return Err(S3Error::no_such_bucket(&bucket));
        }
        Ok(targets
            .into_iter()
            .map(|(key, versioned)| {
                let result = if versioned {
                    Err(S3Error::not_implemented("DeleteObjects of one version"))
                } else {
                    store.delete(&bucket, &key).map_err(S3Error::from)
                };
                (key, result)
            })
            .collect::<Vec<_>>())
    })
    .await?;
    let mut doc = Xml::document();
    doc.open_root("DeleteResult");
    for (key, result) in results {
        match result {
            Ok(()) if quiet => {}
            Ok(()) => {
                doc.open("Deleted");
                doc.element("Key", &key);
                doc.close("Deleted");
            }
            Err(e) => {
                doc.open("Error");
                doc.element("Key", &key);
                doc.element("Code", e.code);
                doc.element("Message", &e.message);
                doc.close("Error");
            }
        }
    }
    doc.close("DeleteResult");
    Ok(xml(StatusCode::OK, doc.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_http_and_s3() {
        assert_eq!(parse_range("bytes=0-3", 10).expect("ok"), Some(0..4));
        assert_eq!(parse_range("bytes=5-", 10).expect("ok"), Some(5..10));
        assert_eq!(parse_range("bytes=-3", 10).expect("ok"), Some(7..10));
        assert_eq!(parse_range("bytes=-30", 10).expect("ok"), Some(0..10));
        assert_eq!(parse_range("bytes=8-100", 10).expect("ok"), Some(8..10));
        // Not honoured: the whole object.
        assert_eq!(parse_range("bytes=0-1,4-5", 10).expect("ok"), None);
        assert_eq!(parse_range("items=0-1", 10).expect("ok"), None);
        assert_eq!(parse_range("bytes=5-2", 10).expect("ok"), None);
        assert_eq!(parse_range("bytes=x-y", 10).expect("ok"), None);
        for bad in ["bytes=10-", "bytes=10-20", "bytes=-0"] {
            let e = parse_range(bad, 10).expect_err(bad);
            assert_eq!((e.status, e.code), (416, "InvalidRange"));
        }
        assert!(parse_range("bytes=0-", 0).is_err());
    }

    #[test]
    fn copy_sources_are_decoded() {
        assert_eq!(copy_source("/b/a%20key/x").expect("ok"), ("b".into(), "a key/x".into(), None));
        assert_eq!(copy_source("b/k?versionId=v1").expect("ok"), ("b".into(), "k".into(), Some("v1".into())));
        assert!(copy_source("just-bucket").is_err());
        assert!(copy_source("/b/").is_err());
    }
}

//! [`S3ObjectStore`]: the [`ObjectStore`] of any S3-compatible endpoint (AWS S3, MinIO, another
//! Kiln), over path-style (or virtual-hosted) SigV4-signed HTTP requests.
//!
//! Where S3 and the trait differ, the store does the closest honest thing:
//! - a put's body is read ahead (to memory up to 8 MiB, then to an anonymous temporary file)
//!   because S3 needs its length, and its SHA-256 and MD5 are sent so the endpoint checks them;
//! - a put (or a completed upload) answers with the object as a HEAD then describes it
//!   (pinned to the new version when the bucket keeps versions), so `last_modified_ms` is
//!   the endpoint's; if that HEAD is refused (write-only credentials), with what is known;
//! - one request that a kept-alive connection lost before any answer is sent again on a
//!   new connection (not CompleteMultipartUpload); nothing else is retried;
//! - listings carry no version ids, content types or user metadata (ListObjectsV2 has none);
//! - `delete` is S3's DeleteObject: in a versioned AWS bucket it adds a delete marker and
//!   keeps older versions, where Kiln's own stores drop every version;
//! - error messages name the bucket, key and endpoint; refusals of the credentials (e.g.
//!   `SignatureDoesNotMatch`) are [`ObjectError::Io`] naming S3's code.

mod config;
mod endpoint;
mod errors;
mod listing;
mod meta;
mod multipart;
mod sign;
mod spool;
mod time;
mod tls;
mod transport;

use std::fmt;
use std::io::Read;
use std::ops::Range;

use http::Method;

use crate::{
    CompletedPart, ListQuery, Listing, ObjectError, ObjectMeta, ObjectStore, PartMeta, PutOptions, Result, names,
};
pub use config::S3Config;
use spool::Spool;
use transport::{Payload, Request, Response, Transport};

/// Objects in an S3-compatible endpoint. Blocking; share one across threads (connections
/// are pooled).
pub struct S3ObjectStore {
    transport: Transport,
}

impl fmt::Debug for S3ObjectStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3ObjectStore").field("endpoint", &self.transport.endpoint_url()).finish_non_exhaustive()
    }
}

impl S3ObjectStore {
    /// Checks the configuration; nothing is sent until the first call.
    pub fn new(config: S3Config) -> Result<S3ObjectStore> {
        let missing = |what: &str| ObjectError::InvalidArgument(format!("S3 configuration: {what} is empty"));
        if config.region.trim().is_empty() {
            return Err(missing("the region"));
        }
        if config.access_key_id.is_empty() {
            return Err(missing("the access key id"));
        }
        if config.secret_access_key.is_empty() {
            return Err(missing("the secret access key"));
        }
        Ok(S3ObjectStore { transport: Transport::new(&config)? })
    }

    /// `http(s)://host[:port]` of the endpoint.
    pub fn endpoint(&self) -> String {
        self.transport.endpoint_url()
    }

    /// The description of `key` as it is now (of `version_id`, if given).
    fn describe(&self, bucket: &str, key: &str, version_id: Option<&str>) -> Result<ObjectMeta> {
        let response = self.transport.send(Request::new(Method::HEAD, Some(bucket), Some(key)).version(version_id))?;
        let size = meta::content_length(response.headers()).unwrap_or(0);
        Ok(meta::from_headers(bucket, key, response.headers(), size))
    }

    /// The description of a version just written, whose ETag and version id the write gave.
    fn written(
        &self,
        bucket: &str,
        key: &str,
        etag: &str,
        version_id: Option<&str>,
        fallback: ObjectMeta,
    ) -> ObjectMeta {
        match self.describe(bucket, key, version_id) {
            // Without a version id another writer may have come in between: only trust
            // a description of the same content.
            Ok(meta) if version_id.is_some() || meta.etag == etag => meta,
            _ => fallback,
        }
    }
}

/// The bucket's and key's names, checked here so that no malformed name reaches a URL.
fn check(bucket: &str, key: Option<&str>) -> Result<()> {
    names::validate_bucket(bucket)?;
    key.map_or(Ok(()), names::validate_key)
}

/// Content-Type and `x-amz-meta-*` headers of a put.
fn with_options<'a>(mut request: Request<'a>, options: &PutOptions) -> Result<Request<'a>> {
    if let Some(content_type) = &options.content_type {
        request = request.header("content-type", content_type)?;
    }
    for (name, value) in &options.metadata {
        request = request.header(&format!("x-amz-meta-{name}"), value)?;
    }
    Ok(request)
}

fn header(response: &Response, name: &str) -> Option<String> {
    response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// Reads what is left of a small answer, so that its connection can serve the next request.
fn finish(response: Response) {
    let _ = std::io::copy(&mut response.into_body().into_reader().take(64 * 1024), &mut std::io::sink());
}

/// A reader of nothing, for empty ranges.
fn empty_reader() -> Box<dyn Read + Send> {
    Box::new(std::io::empty())
}

impl ObjectStore for S3ObjectStore {
    fn create_bucket(&self, bucket: &str) -> Result<()> {
        check(bucket, None)?;
        let mut request = Request::new(Method::PUT, Some(bucket), None);
        // us-east-1 is the one region S3 wants no location constraint for.
        if self.transport.region() != "us-east-1" {
            let doc = format!(
                "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
                 <LocationConstraint>{}</LocationConstraint></CreateBucketConfiguration>",
                crate::xml::escape(self.transport.region())
            );
            request = request.payload(Payload::Bytes(doc.into_bytes()));
        }
        finish(self.transport.send(request)?);
        Ok(())
    }

    fn delete_bucket(&self, bucket: &str) -> Result<()> {
        check(bucket, None)?;
        finish(self.transport.send(Request::new(Method::DELETE, Some(bucket), None))?);
        Ok(())
    }

    fn list_buckets(&self) -> Result<Vec<(String, i64)>> {
        let (_, root) = self.transport.send_for_xml(Request::new(Method::GET, None, None))?;
        listing::buckets(&root)
    }

    fn bucket_exists(&self, bucket: &str) -> Result<bool> {
        check(bucket, None)?;
        match self.transport.send(Request::new(Method::HEAD, Some(bucket), None)) {
            Ok(response) => {
                finish(response);
                Ok(true)
            }
            Err(ObjectError::NoSuchBucket(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn put(&self, bucket: &str, key: &str, data: &mut dyn Read, options: &PutOptions) -> Result<ObjectMeta> {
        check(bucket, Some(key))?;
        let request = with_options(Request::new(Method::PUT, Some(bucket), Some(key)), options)?;
        let mut spool = Spool::read(data)?;
        let size = spool.size;
        let response = self.transport.send(request.payload(Payload::Spool(&mut spool)))?;
        let etag = header(&response, "etag").unwrap_or_default();
        let version_id = header(&response, "x-amz-version-id").filter(|v| v != "null");
        finish(response);
        let fallback = ObjectMeta {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            size,
            etag: etag.clone(),
            last_modified_ms: crate::fs::now_ms(),
            version_id: version_id.clone(),
            content_type: options.content_type.clone(),
            metadata: options.metadata.clone(),
        };
        Ok(self.written(bucket, key, &etag, version_id.as_deref(), fallback))
    }

    fn head(&self, bucket: &str, key: &str, version_id: Option<&str>) -> Result<ObjectMeta> {
        check(bucket, Some(key))?;
        self.describe(bucket, key, version_id)
    }

    fn get(&self, bucket: &str, key: &str, version_id: Option<&str>) -> Result<(ObjectMeta, Box<dyn Read + Send>)> {
        check(bucket, Some(key))?;
        let response = self.transport.send(Request::new(Method::GET, Some(bucket), Some(key)).version(version_id))?;
        let size = meta::content_length(response.headers()).unwrap_or(0);
        let meta = meta::from_headers(bucket, key, response.headers(), size);
        // Streamed: ureq fails the read if the connection ends before Content-Length bytes.
        Ok((meta, Box::new(response.into_body().into_reader())))
    }

    fn get_range(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        range: Range<u64>,
    ) -> Result<(ObjectMeta, Box<dyn Read + Send>)> {
        check(bucket, Some(key))?;
        if range.start >= range.end {
            return Ok((self.describe(bucket, key, version_id)?, empty_reader()));
        }
        let spec = match range.end {
            u64::MAX => format!("bytes={}-", range.start),
            end => format!("bytes={}-{}", range.start, end - 1),
        };
        let request = Request::new(Method::GET, Some(bucket), Some(key)).version(version_id).header("range", &spec)?;
        // A range past the end is empty, as the trait cuts ranges to the object.
        let Some(response) = self.transport.send_unless(request, "InvalidRange")? else {
            return Ok((self.describe(bucket, key, version_id)?, empty_reader()));
        };
        let headers = response.headers();
        if response.status().as_u16() == 206 {
            let size = meta::content_range_total(headers).unwrap_or(0);
            let meta = meta::from_headers(bucket, key, headers, size);
            return Ok((meta, Box::new(response.into_body().into_reader())));
        }
        // The whole object came (an endpoint that ignores ranges): cut it here.
        let size = meta::content_length(headers).unwrap_or(0);
        let meta = meta::from_headers(bucket, key, headers, size);
        let mut reader = response.into_body().into_reader();
        let start = range.start.min(size);
        let end = range.end.clamp(start, size);
        std::io::copy(&mut (&mut reader).take(start), &mut std::io::sink())
            .map_err(|e| ObjectError::Io(format!("reading {bucket}/{key} from {}: {e}", self.endpoint())))?;
        Ok((meta, Box::new(reader.take(end - start))))
    }

    fn delete(&self, bucket: &str, key: &str) -> Result<()> {
        check(bucket, Some(key))?;
        finish(self.transport.send(Request::new(Method::DELETE, Some(bucket), Some(key)))?);
        Ok(())
    }

    fn list(&self, bucket: &str, query: &ListQuery) -> Result<Listing> {
        check(bucket, None)?;
        let mut out = Listing::default();
        let mut continuation = query.continuation.clone();
        loop {
            let (page, truncated) = self.list_page(bucket, query, continuation.as_deref())?;
            out.objects.extend(page.objects);
            out.common_prefixes.extend(page.common_prefixes);
            // `max_keys == 0` means every key: follow the pages (each token must move on).
            if query.max_keys != 0 || !truncated {
                out.next_continuation = page.next_continuation;
                return Ok(out);
            }
            if page.next_continuation == continuation {
                return Err(ObjectError::Io(format!(
                    "listing {bucket} at {}: the listing does not advance",
                    self.endpoint()
                )));
            }
            continuation = page.next_continuation;
        }
    }

    fn create_multipart(&self, bucket: &str, key: &str, options: &PutOptions) -> Result<String> {
        check(bucket, Some(key))?;
        multipart::create(&self.transport, bucket, key, options)
    }

    fn upload_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: u32,
        data: &mut dyn Read,
    ) -> Result<PartMeta> {
        check(bucket, Some(key))?;
        multipart::upload_part(&self.transport, bucket, key, upload_id, part_number, data)
    }

    fn complete_multipart(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPart],
    ) -> Result<ObjectMeta> {
        check(bucket, Some(key))?;
        let (etag, version_id) = multipart::complete(&self.transport, bucket, key, upload_id, parts)?;
        // Size, type and metadata are unknown (0, none) without a HEAD, which write-only
        // credentials may not be allowed.
        let fallback = ObjectMeta {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            size: 0,
            etag: etag.clone(),
            last_modified_ms: crate::fs::now_ms(),
            version_id: version_id.clone(),
            content_type: None,
            metadata: Default::default(),
        };
        Ok(self.written(bucket, key, &etag, version_id.as_deref(), fallback))
    }

    fn abort_multipart(&self, bucket: &str, key: &str, upload_id: &str) -> Result<()> {
        check(bucket, Some(key))?;
        multipart::abort(&self.transport, bucket, key, upload_id)
    }
}

impl S3ObjectStore {
    /// One ListObjectsV2 request.
    fn list_page(&self, bucket: &str, query: &ListQuery, continuation: Option<&str>) -> Result<(Listing, bool)> {
        let mut request =
            Request::new(Method::GET, Some(bucket), None).query("list-type", "2").query("encoding-type", "url");
        if !query.prefix.is_empty() {
            request = request.query("prefix", query.prefix.clone());
        }
        if let Some(delimiter) = query.delimiter.as_deref().filter(|d| !d.is_empty()) {
            request = request.query("delimiter", delimiter);
        }
        if let Some(after) = &query.start_after {
            request = request.query("start-after", after.clone());
        }
        if let Some(token) = continuation {
            // An empty token is refused by S3 as by Kiln; sent as a bare name it would not be.
            if token.is_empty() {
                return Err(ObjectError::InvalidArgument("The continuation token provided is incorrect".to_owned()));
            }
            request = request.query("continuation-token", token);
        }
        if query.max_keys != 0 {
            request = request.query("max-keys", query.max_keys.to_string());
        }
        let (_, root) = self.transport.send_for_xml(request)?;
        listing::objects_page(bucket, &root)
    }
}

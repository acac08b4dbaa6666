//! Request bodies as a blocking `Read` for the object store, checked as they stream: the
//! declared SHA-256 of the payload, aws-chunked framing (and chunk signatures), the size cap,
//! Content-MD5 and the flexible checksum (from a header or an aws-chunked trailer). A check that
//! fails makes the read fail, so the store never commits the object, and leaves the S3 error
//! in the [`Fault`] for the handler to answer with.

use std::io::{self, BufReader, Read};
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use bytes::{Buf, Bytes};
use http::HeaderMap;
use http_body::Body as _;
use md5::{Digest as _, Md5};
use sha2::Sha256;
use tokio::runtime::Handle;

use crate::checksum::{self, Algorithm, Hasher};
use crate::chunked::{AwsChunked, ChunkSigning};
use crate::error::S3Error;

/// What the request's headers say about its body.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BodySpec {
    /// `x-amz-content-sha256` as hex: the SHA-256 of the payload as sent.
    pub sha256: Option<[u8; 32]>,
    /// `Content-Encoding: aws-chunked` or a `STREAMING-*` payload.
    pub chunked: bool,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`: chunk signatures to check.
    pub signed_chunks: bool,
    /// `x-amz-decoded-content-length`, or `Content-Length` of a plain body.
    pub length: Option<u64>,
    pub content_md5: Option<[u8; 16]>,
    /// The flexible checksum and its value; `None` as value when it comes in a trailer.
    pub checksum: Option<(Algorithm, Option<String>)>,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

impl BodySpec {
    pub fn from_headers(headers: &HeaderMap) -> Result<BodySpec, S3Error> {
        let mut spec = BodySpec::default();
        let declared = header(headers, "x-amz-content-sha256").unwrap_or_default();
        if declared.len() == 64 {
            let mut hash = [0u8; 32];
            if hex::decode_to_slice(declared, &mut hash).is_ok() {
                spec.sha256 = Some(hash);
            }
        }
        let encoding = header(headers, "content-encoding").unwrap_or_default();
        spec.chunked = declared.starts_with("STREAMING-")
            || encoding.split(',').any(|e| e.trim().eq_ignore_ascii_case("aws-chunked"));
        spec.signed_chunks = declared.starts_with("STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
        let length_header = if spec.chunked { "x-amz-decoded-content-length" } else { "content-length" };
        spec.length = match header(headers, length_header) {
            Some(text) => {
                Some(text.parse().map_err(|_| S3Error::invalid_argument(format!("Invalid {length_header}")))?)
            }
            None => None,
        };
        spec.content_md5 = header(headers, "content-md5").map(checksum::parse_content_md5).transpose()?;
        let in_header = Algorithm::ALL.into_iter().find_map(|a| header(headers, a.header()).map(|v| (a, v)));
        spec.checksum = match in_header {
            Some((algorithm, value)) => Some((algorithm, Some(value.to_owned()))),
            None => header(headers, "x-amz-trailer")
                .and_then(|names| names.split(',').find_map(|n| Algorithm::from_header(n.trim())))
                .map(|algorithm| (algorithm, None)),
        };
        Ok(spec)
    }
}

/// Where a failed check leaves its error.
#[derive(Clone, Default)]
pub struct Fault(Arc<Mutex<Option<S3Error>>>);

impl Fault {
    pub fn take(&self) -> Option<S3Error> {
        self.0.lock().ok().and_then(|mut slot| slot.take())
    }

    fn record(&self, e: &io::Error) {
        if let Some(s3) = e.get_ref().and_then(|inner| inner.downcast_ref::<S3Error>())
            && let Ok(mut slot) = self.0.lock()
        {
            slot.get_or_insert_with(|| s3.clone());
        }
    }
}

fn fail(e: S3Error) -> io::Error {
    io::Error::other(e)
}

/// The async body, read from a blocking thread.
struct BodyReader {
    body: Body,
    handle: Handle,
    pending: Bytes,
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pending.is_empty() {
            let body = &mut self.body;
            let frame = self.handle.block_on(std::future::poll_fn(|cx| Pin::new(&mut *body).poll_frame(cx)));
            match frame {
                None => return Ok(0),
                // The client went away or sent less than its Content-Length.
                Some(Err(_)) => return Err(fail(S3Error::incomplete_body())),
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        self.pending = data;
                    }
                }
            }
        }
        let n = self.pending.len().min(buf.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.advance(n);
        Ok(n)
    }
}

/// Checks the payload as sent against the declared SHA-256.
struct PayloadHash<R> {
    inner: R,
    expected: Option<([u8; 32], Sha256)>,
}

impl<R: Read> Read for PayloadHash<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some((expected, hash)) = &mut self.expected {
            if n > 0 {
                hash.update(&buf[..n]);
            } else if !buf.is_empty() {
                if std::mem::take(hash).finalize().as_slice() != expected {
                    return Err(fail(S3Error::new(
                        400,
                        "XAmzContentSHA256Mismatch",
                        "The provided 'x-amz-content-sha256' header does not match what was computed.",
                    )));
                }
                self.expected = None;
            }
        }
        Ok(n)
    }
}

enum Framing<R: Read> {
    Plain(R),
    Chunked(Box<AwsChunked<BufReader<R>>>),
}

impl<R: Read> Framing<R> {
    fn trailer(&self, name: &str) -> Option<&str> {
        match self {
            Framing::Plain(_) => None,
            Framing::Chunked(chunked) => chunked.trailers().iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()),
        }
    }
}

impl<R: Read> Read for Framing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Framing::Plain(r) => r.read(buf),
            Framing::Chunked(r) => r.read(buf),
        }
    }
}

/// The decoded content's checks: size cap, declared length, Content-MD5, checksum.
pub struct Inbound {
    inner: Framing<PayloadHash<BodyReader>>,
    fault: Fault,
    size: u64,
    max: u64,
    length: Option<u64>,
    md5: Option<([u8; 16], Md5)>,
    checksum: Option<(Algorithm, Hasher, Option<String>)>,
    done: bool,
}

impl Inbound {
    /// Wraps `body` for reading on a blocking thread of `handle`'s runtime. `signing` checks
    /// chunk signatures of a signed aws-chunked body. Fails early when the declared length
    /// is over `max`.
    pub fn new(
        body: Body,
        spec: &BodySpec,
        signing: Option<ChunkSigning>,
        max: u64,
        handle: Handle,
    ) -> Result<(Inbound, Fault), S3Error> {
        if spec.length.is_some_and(|length| length > max) {
            return Err(S3Error::entity_too_large(max));
        }
        let raw = BodyReader { body, handle, pending: Bytes::new() };
        let hashed = PayloadHash { inner: raw, expected: spec.sha256.map(|h| (h, Sha256::default())) };
        let inner = if spec.chunked {
            Framing::Chunked(Box::new(AwsChunked::new(BufReader::with_capacity(64 * 1024, hashed), signing)))
        } else {
            Framing::Plain(hashed)
        };
        let fault = Fault::default();
        let inbound = Inbound {
            inner,
            fault: fault.clone(),
            size: 0,
            max,
            length: spec.length,
            md5: spec.content_md5.map(|m| (m, checksum::md5())),
            checksum: spec.checksum.clone().map(|(a, value)| (a, Hasher::new(a), value)),
            done: false,
        };
        Ok((inbound, fault))
    }

    fn check_end(&mut self) -> Result<(), S3Error> {
        if self.length.is_some_and(|length| length != self.size) {
            return Err(S3Error::incomplete_body());
        }
        if let Some((expected, md5)) = self.md5.take()
            && md5.finalize().as_slice() != expected
        {
            return Err(S3Error::bad_digest("Content-MD5"));
        }
        if let Some((algorithm, hasher, value)) = self.checksum.take() {
            let expected = match value {
                Some(value) => value,
                None => self.inner.trailer(algorithm.header()).map(str::to_owned).ok_or_else(|| {
                    S3Error::invalid_request(format!("The {} trailer was declared but not sent", algorithm.header()))
                })?,
            };
            if hasher.finish().is_some_and(|actual| actual != expected) {
                return Err(S3Error::bad_digest(&format!("{} checksum", algorithm.name())));
            }
        }
        Ok(())
    }

    fn read_checked(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done {
            return Ok(0);
        }
        let n = self.inner.read(buf)?;
        if n == 0 {
            if !buf.is_empty() {
                self.check_end().map_err(fail)?;
                self.done = true;
            }
            return Ok(0);
        }
        self.size += n as u64;
        if self.size > self.max {
            return Err(fail(S3Error::entity_too_large(self.max)));
        }
        let data = &buf[..n];
        if let Some((_, md5)) = &mut self.md5 {
            md5.update(data);
        }
        if let Some((_, hasher, _)) = &mut self.checksum {
            hasher.update(data);
        }
        Ok(n)
    }
}

impl Read for Inbound {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let result = self.read_checked(buf);
        if let Err(e) = &result {
            self.fault.record(e);
        }
        result
    }
}

/// Reads a whole (small) body, checked the same way, for requests whose body is XML.
pub async fn read_small(body: Body, spec: &BodySpec, max: u64) -> Result<Vec<u8>, S3Error> {
    let (mut inbound, fault) = Inbound::new(body, spec, None, max, Handle::current())?;
    let read = tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        inbound.read_to_end(&mut out).map(|_| out)
    })
    .await
    .map_err(|e| S3Error::internal(format!("body reader panicked: {e}")))?;
    read.map_err(|e| fault.take().unwrap_or_else(|| S3Error::internal(format!("reading the body: {e}"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().expect("header value"));
        }
        map
    }

    async fn read(body: &'static [u8], pairs: &[(&'static str, &str)], max: u64) -> Result<Vec<u8>, &'static str> {
        let spec = BodySpec::from_headers(&headers(pairs)).map_err(|e| e.code)?;
        read_small(Body::from(body), &spec, max).await.map_err(|e| e.code)
    }

    const HELLO_SHA256: &str = "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9";

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn what_botocore_sends_over_http_is_accepted() {
        let pairs = [
            ("x-amz-content-sha256", HELLO_SHA256),
            ("x-amz-checksum-crc32", "DUoRhQ=="),
            ("x-amz-sdk-checksum-algorithm", "CRC32"),
            ("content-length", "11"),
        ];
        assert_eq!(read(b"hello world", &pairs, 100).await.as_deref(), Ok(&b"hello world"[..]));
        assert_eq!(
            read(b"hello world", &[("content-md5", "XrY7u+Ae7tCTyyK7j1rNww==")], 100).await.as_deref(),
            Ok(&b"hello world"[..])
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn each_check_fails_with_its_s3_error() {
        let wrong_sha = [("x-amz-content-sha256", "0000000000000000000000000000000000000000000000000000000000000000")];
        assert_eq!(read(b"hello world", &wrong_sha, 100).await, Err("XAmzContentSHA256Mismatch"));
        assert_eq!(read(b"hello world", &[("x-amz-checksum-crc32", "AAAAAA==")], 100).await, Err("BadDigest"));
        assert_eq!(read(b"hello world", &[("content-md5", "AAAAAAAAAAAAAAAAAAAAAA==")], 100).await, Err("BadDigest"));
        assert_eq!(read(b"hello world", &[("content-md5", "zz")], 100).await, Err("InvalidDigest"));
        assert_eq!(read(b"hello world", &[], 5).await, Err("EntityTooLarge"));
        assert_eq!(read(b"hello world", &[("content-length", "11")], 5).await, Err("EntityTooLarge"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn aws_chunked_bodies_are_decoded_and_their_trailer_checked() {
        let chunked = [
            ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
            ("content-encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", "11"),
            ("x-amz-trailer", "x-amz-checksum-crc32"),
        ];
        let good = b"b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
        assert_eq!(read(good, &chunked, 100).await.as_deref(), Ok(&b"hello world"[..]));
        let bad = b"b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n";
        assert_eq!(read(bad, &chunked, 100).await, Err("BadDigest"));
        let missing = b"b\r\nhello world\r\n0\r\n\r\n";
        assert_eq!(read(missing, &chunked, 100).await, Err("InvalidRequest"));
        let short = b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
        assert_eq!(read(short, &chunked, 100).await, Err("IncompleteBody"));
    }

    #[test]
    fn specs_read_the_headers() {
        let spec = BodySpec::from_headers(&headers(&[
            ("x-amz-content-sha256", HELLO_SHA256),
            ("content-length", "11"),
            ("x-amz-checksum-crc32c", "abc="),
        ]))
        .expect("spec");
        assert!(spec.sha256.is_some() && !spec.chunked && !spec.signed_chunks);
        assert_eq!(spec.length, Some(11));
        assert_eq!(spec.checksum, Some((Algorithm::Crc32c, Some("abc=".to_owned()))));
        let signed = BodySpec::from_headers(&headers(&[
            ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
            ("content-length", "999"),
            ("x-amz-decoded-content-length", "7"),
        ]))
        .expect("spec");
        assert!(signed.chunked && signed.signed_chunks && signed.sha256.is_none());
        assert_eq!(signed.length, Some(7));
        assert!(BodySpec::from_headers(&headers(&[("content-length", "x")])).is_err());
    }
}

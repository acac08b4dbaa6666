//! Signed requests over a blocking HTTP client (ureq): address, sign, send, and turn a
//! non-2xx answer into the [`ObjectError`] its S3 error code means.

use std::io::Read;
use std::time::SystemTime;

use http::{HeaderMap, HeaderName, HeaderValue, Method};
use kiln_wire::sigv4;
use md5::Digest as _;

use super::S3Config;
use super::endpoint::{Endpoint, encode};
use super::errors::{Failure, Subject, to_object_error, unreachable};
use super::sign::Signer;
use super::spool::{Body, Spool};
use crate::xml::{self, Element};
use crate::{ObjectError, Result};

pub type Response = http::Response<ureq::Body>;

/// Error documents are small; anything beyond this is not read.
const MAX_ERROR_BODY: u64 = 64 * 1024;
/// Listings of 1000 keys of up to 1 KiB, URL-encoded, fit with room to spare.
const MAX_XML_BODY: u64 = 32 * 1024 * 1024;

/// What a request carries.
pub enum Payload<'a> {
    Empty,
    /// A small document (CreateBucketConfiguration, CompleteMultipartUpload).
    Bytes(Vec<u8>),
    Spool(&'a mut Spool),
}

/// One S3 request, before addressing and signing.
pub struct Request<'a> {
    method: Method,
    subject: Subject<'a>,
    query: Vec<(&'static str, String)>,
    headers: HeaderMap,
    payload: Payload<'a>,
}

impl<'a> Request<'a> {
    pub fn new(method: Method, bucket: Option<&'a str>, key: Option<&'a str>) -> Request<'a> {
        Request {
            method,
            subject: Subject { bucket, key, ..Subject::default() },
            query: Vec::new(),
            headers: HeaderMap::new(),
            payload: Payload::Empty,
        }
    }

    /// A query parameter; an empty value is sent as a bare name (`?uploads`).
    pub fn query(mut self, name: &'static str, value: impl Into<String>) -> Request<'a> {
        self.query.push((name, value.into()));
        self
    }

    pub fn version(mut self, version_id: Option<&'a str>) -> Request<'a> {
        if let Some(version_id) = version_id {
            self.subject.version_id = Some(version_id);
            self.query.push(("versionId", version_id.to_owned()));
        }
        self
    }

    pub fn upload(mut self, upload_id: &'a str) -> Request<'a> {
        self.subject.upload_id = Some(upload_id);
        self.query.push(("uploadId", upload_id.to_owned()));
        self
    }

    /// A header; names are lower-case. Values that HTTP cannot carry are an error.
    pub fn header(mut self, name: &str, value: &str) -> Result<Request<'a>> {
        let bad = || ObjectError::InvalidArgument(format!("S3 cannot carry the header {name}: {value:?}"));
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| bad())?;
        let value = HeaderValue::from_str(value).map_err(|_| bad())?;
        self.headers.insert(name, value);
        Ok(self)
    }

    pub fn payload(mut self, payload: Payload<'a>) -> Request<'a> {
        self.payload = payload;
        self
    }

    pub fn subject(&self) -> Subject<'a> {
        self.subject
    }

    /// Whether sending the request twice does no harm: all but CompleteMultipartUpload (a
    /// repeated CreateMultipartUpload at worst leaves an unused upload behind).
    fn repeatable(&self) -> bool {
        self.method != Method::POST || self.query.iter().any(|(name, _)| *name == "uploads")
    }
}

/// An error that means the connection went away before any answer came.
fn dropped_connection(error: &ureq::Error) -> bool {
    use std::io::ErrorKind;
    matches!(error, ureq::Error::Io(e) if matches!(
        e.kind(),
        ErrorKind::UnexpectedEof | ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe
    ))
}

pub struct Transport {
    agent: ureq::Agent,
    endpoint: Endpoint,
    signer: Signer,
}

impl Transport {
    pub fn new(config: &S3Config) -> Result<Transport> {
        let endpoint = Endpoint::parse(&config.endpoint, config.path_style)?;
        let builder = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // S3 answers a wrong region with a redirect whose document says so: read it.
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_connect(Some(config.connect_timeout))
            .timeout_per_read(Some(config.read_timeout))
            .timeout_per_write(Some(config.read_timeout))
            .user_agent(concat!("kiln-objects/", env!("CARGO_PKG_VERSION")));
        let builder = if endpoint.is_https() { super::tls::configure(builder, &endpoint)? } else { builder };
        let signer = Signer {
            access_key_id: config.access_key_id.clone(),
            secret_access_key: config.secret_access_key.clone(),
            session_token: config.session_token.clone(),
            region: config.region.clone(),
        };
        Ok(Transport { agent: builder.build().new_agent(), endpoint, signer })
    }

    pub fn endpoint_url(&self) -> String {
        self.endpoint.url()
    }

    pub fn region(&self) -> &str {
        &self.signer.region
    }

    /// Sends `request`; a non-2xx answer is the error its S3 code means. HEAD answers carry
    /// no error document, so a failed HEAD is asked again as a GET to learn the code (should
    /// that GET succeed, as when the object appeared meanwhile, its answer is returned).
    pub fn send(&self, mut request: Request<'_>) -> Result<Response> {
        match self.send_once(&mut request)? {
            Ok(response) => Ok(response),
            Err(failure) if request.method == Method::HEAD => {
                request.method = Method::GET;
                match self.send_once(&mut request)? {
                    Ok(response) => Ok(response),
                    Err(again) => Err(self.failed(&request, if again.code.is_empty() { &failure } else { &again })),
                }
            }
            Err(failure) => Err(self.failed(&request, &failure)),
        }
    }

    /// Like [`Transport::send`], but an answer with S3 error code `code` is `Ok(None)`.
    pub fn send_unless(&self, mut request: Request<'_>, code: &str) -> Result<Option<Response>> {
        match self.send_once(&mut request)? {
            Ok(response) => Ok(Some(response)),
            Err(failure) if failure.code == code => Ok(None),
            Err(failure) => Err(self.failed(&request, &failure)),
        }
    }

    /// Sends `request` and reads its answer's headers and XML document.
    pub fn send_for_xml(&self, request: Request<'_>) -> Result<(HeaderMap, Element)> {
        let subject = request.subject();
        let method = request.method.clone();
        let what = format!("{method} {}", self.endpoint_url());
        let (parts, body) = self.send(request)?.into_parts();
        let body = read_limited(body, MAX_XML_BODY)
            .map_err(|e| ObjectError::Io(format!("{what}: reading the answer: {e}")))?;
        let root = std::str::from_utf8(&body)
            .ok()
            .and_then(xml::parse)
            .ok_or_else(|| ObjectError::Io(format!("{what}: the answer is not an XML document")))?;
        // CompleteMultipartUpload may fail after its 200 status line, with an Error document.
        if root.name == "Error" {
            let failure = Failure::from_body(parts.status.as_u16(), &body);
            return Err(to_object_error(&failure, &subject, method.as_str(), &self.endpoint_url()));
        }
        Ok((parts.headers, root))
    }

    fn failed(&self, request: &Request<'_>, failure: &Failure) -> ObjectError {
        to_object_error(failure, &request.subject, request.method.as_str(), &self.endpoint_url())
    }

    /// One exchange: `Ok(Err(_))` for an answer that is not a success.
    fn send_once(&self, request: &mut Request<'_>) -> Result<Result<Response, Failure>> {
        let mut sent = self.exchange(request)?;
        // A kept-alive connection that the server closed just as the request went out (it
        // may close one whose request body it did not read): once more, on a new connection.
        if sent.as_ref().err().is_some_and(dropped_connection) && request.repeatable() {
            sent = self.exchange(request)?;
        }
        let response =
            sent.map_err(|e| unreachable(&e, &request.subject, request.method.as_str(), &self.endpoint_url()))?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(Ok(response));
        }
        // An unreadable error document still leaves the status to go by.
        let body = read_limited(response.into_body(), MAX_ERROR_BODY).unwrap_or_default();
        Ok(Err(Failure::from_body(status, &body)))
    }

    /// Addresses, signs and sends `request`; the outer error is for a request that could
    /// not be built, the inner one for a request that got no answer.
    fn exchange(&self, request: &mut Request<'_>) -> Result<Result<Response, ureq::Error>> {
        let raw_query = raw_query(&request.query);
        let target = self.endpoint.target(request.subject.bucket, request.subject.key, &raw_query);
        let (headers, length) = self.signed_headers(request, &target.host, &target.path, &raw_query)?;
        let mut builder = http::Request::builder().method(request.method.clone()).uri(&target.url);
        for (name, value) in &headers {
            builder = builder.header(name, value);
        }
        let has_body = matches!(request.method, Method::PUT | Method::POST);
        if has_body {
            builder = builder.header("content-length", length);
        }
        let bad_request =
            |e: http::Error| ObjectError::InvalidArgument(format!("cannot build the request to {}: {e}", target.url));
        let sent = match (&mut request.payload, has_body) {
            (_, false) => self.agent.run(builder.body(()).map_err(bad_request)?),
            (Payload::Empty, true) => self.agent.run(builder.body(&[][..]).map_err(bad_request)?),
            (Payload::Bytes(bytes), true) => self.agent.run(builder.body(&bytes[..]).map_err(bad_request)?),
            (Payload::Spool(spool), true) => match &mut spool.body {
                Body::Memory(bytes) => self.agent.run(builder.body(&bytes[..]).map_err(bad_request)?),
                Body::File(file) => self.agent.run(builder.body(&*file).map_err(bad_request)?),
            },
        };
        Ok(sent)
    }

    /// The request's headers with `host`, `content-md5` for a body, and the signature; and
    /// the body's length.
    fn signed_headers(
        &self,
        request: &mut Request<'_>,
        host: &str,
        path: &str,
        raw_query: &str,
    ) -> Result<(HeaderMap, u64)> {
        let mut headers = request.headers.clone();
        let host =
            HeaderValue::from_str(host).map_err(|_| ObjectError::InvalidArgument(format!("bad host name {host}")))?;
        headers.insert("host", host);
        let (payload_hash, length) = match &mut request.payload {
            Payload::Empty => (sigv4::sha256_hex(b""), 0),
            Payload::Bytes(bytes) => {
                let md5 = md5::Md5::digest(&bytes[..]);
                headers.insert("content-md5", base64_value(&md5));
                (sigv4::sha256_hex(bytes), bytes.len() as u64)
            }
            Payload::Spool(spool) => {
                spool.rewind()?;
                headers.insert("content-md5", base64_value(&spool.md5));
                (hex::encode(spool.sha256), spool.size)
            }
        };
        self.signer.sign(request.method.as_str(), path, raw_query, &mut headers, &payload_hash, SystemTime::now())?;
        Ok((headers, length))
    }
}

fn base64_value(bytes: &[u8]) -> HeaderValue {
    use base64::Engine as _;
    let text = base64::engine::general_purpose::STANDARD.encode(bytes);
    // Base64 is always a valid header value.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `name=value&…`, encoded as SigV4 encodes (so it is also its own canonical form's input).
fn raw_query(params: &[(&'static str, String)]) -> String {
    let mut out = String::new();
    for (name, value) in params {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&encode(name, false));
        if !value.is_empty() {
            out.push('=');
            out.push_str(&encode(value, false));
        }
    }
    out
}

fn read_limited(body: ureq::Body, limit: u64) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    body.into_reader().take(limit + 1).read_to_end(&mut out)?;
    if out.len() as u64 > limit {
        return Err(std::io::Error::other(format!("the answer is larger than {limit} bytes")));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_encoded_and_bare_names_stay_bare() {
        let params = vec![("uploads", String::new()), ("prefix", "a b/ü+".to_owned()), ("max-keys", "2".to_owned())];
        assert_eq!(raw_query(&params), "uploads&prefix=a%20b%2F%C3%BC%2B&max-keys=2");
        assert_eq!(raw_query(&[]), "");
    }
}

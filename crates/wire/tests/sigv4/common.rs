//! Helpers shared by the SigV4 tests: owned requests, fixed clocks, and signing with the
//! `aws-sigv4` crate (the client-side reference implementation).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
    UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use http::{HeaderMap, HeaderName, HeaderValue};
use kiln_wire::sigv4::{Credentials, Request};

pub const AKID: &str = "AKIDEXAMPLE";
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

pub fn keys() -> Vec<Credentials> {
    vec![
        Credentials { access_key_id: "AKIDOTHER".to_owned(), secret_access_key: "another secret".to_owned() },
        Credentials { access_key_id: AKID.to_owned(), secret_access_key: SECRET.to_owned() },
    ]
}

/// `YYYYMMDDTHHMMSSZ` as a `SystemTime`.
pub fn at(amz: &str) -> SystemTime {
    let field = |range: std::ops::Range<usize>| -> i64 { amz[range].parse().expect("digits") };
    let (year, month, day) = (field(0..4), field(4..6), field(6..8));
    // Days since the epoch (H. Hinnant's days_from_civil), independent of the crate's copy.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    let secs = days * 86_400 + field(9..11) * 3600 + field(11..13) * 60 + field(13..15);
    UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).expect("after 1970"))
}

/// A request the tests own, lent to the verifier as a [`Request`].
#[derive(Clone, Debug)]
pub struct Owned {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Owned {
    pub fn new(method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Owned {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).expect("header name"),
                HeaderValue::from_str(value).expect("header value"),
            );
        }
        Owned {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers: map,
            body: body.to_vec(),
        }
    }

    pub fn request(&self) -> Request<'_> {
        Request {
            method: &self.method,
            raw_path: &self.path,
            raw_query: &self.query,
            headers: &self.headers,
            body: &self.body,
        }
    }

    pub fn set_header(&mut self, name: &'static str, value: &str) {
        self.headers.insert(name, HeaderValue::from_str(value).expect("header value"));
    }
}

/// How `sign_with_aws` signs: like the AWS SDKs do for the given service.
#[derive(Clone, Debug)]
pub struct Signing {
    pub access_key_id: String,
    pub secret: String,
    pub region: String,
    pub service: String,
    pub time: SystemTime,
    /// Presign into the query string for this many seconds instead of an `Authorization` header.
    pub presign_for: Option<u64>,
    /// Send `x-amz-content-sha256` (S3 clients do).
    pub content_sha256_header: bool,
    /// Sign `UNSIGNED-PAYLOAD` instead of the body's hash.
    pub unsigned_payload: bool,
    /// Sign this payload value instead (e.g. `STREAMING-UNSIGNED-PAYLOAD-TRAILER`).
    pub precomputed_payload: Option<String>,
}

impl Signing {
    pub fn new(service: &str, time: SystemTime) -> Signing {
        Signing {
            access_key_id: AKID.to_owned(),
            secret: SECRET.to_owned(),
            region: "us-east-1".to_owned(),
            service: service.to_owned(),
            time,
            presign_for: None,
            content_sha256_header: false,
            unsigned_payload: false,
            precomputed_payload: None,
        }
    }
}

/// Signs `owned` in place with aws-sigv4. S3 gets single encoding and no normalisation, as
/// the S3 SDKs configure it.
pub fn sign_with_aws(owned: &mut Owned, how: &Signing) {
    let identity =
        aws_credential_types::Credentials::new(&how.access_key_id, &how.secret, None, None, "kiln-tests").into();
    let mut settings = SigningSettings::default();
    if how.service == "s3" {
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    }
    if let Some(seconds) = how.presign_for {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(seconds));
    }
    if how.content_sha256_header {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&how.region)
        .name(&how.service)
        .time(how.time)
        .settings(settings)
        .build()
        .expect("signing params")
        .into();

    let host = owned.headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("example.amazonaws.com").to_owned();
    let query = if owned.query.is_empty() { String::new() } else { format!("?{}", owned.query) };
    let uri = format!("https://{host}{}{query}", owned.path);
    let headers: Vec<(String, String)> = owned
        .headers
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), value.to_str().expect("ascii header").to_owned()))
        .collect();
    let body = match &how.precomputed_payload {
        Some(value) => SignableBody::Precomputed(value.clone()),
        None if how.unsigned_payload => SignableBody::UnsignedPayload,
        None => SignableBody::Bytes(&owned.body),
    };
    let signable =
        SignableRequest::new(&owned.method, &uri, headers.iter().map(|(n, v)| (n.as_str(), v.as_str())), body)
            .expect("signable request");
    let (instructions, _signature) = sign(signable, &params).expect("signing").into_parts();

    let mut request = http::Request::builder().method(owned.method.as_str()).uri(&uri).body(()).expect("http request");
    *request.headers_mut() = owned.headers.clone();
    instructions.apply_to_request_http1x(&mut request);
    owned.path = request.uri().path().to_owned();
    owned.query = request.uri().query().unwrap_or("").to_owned();
    owned.headers = request.headers().clone();
}

/// A POST to CodeBuild's JSON endpoint, as the SDKs send it (before signing).
pub fn codebuild_request(body: &str) -> Owned {
    Owned::new(
        "POST",
        "/",
        &[
            ("host", "localhost:8080"),
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", "CodeBuild_20161006.StartBuild"),
        ],
        body.as_bytes(),
    )
}

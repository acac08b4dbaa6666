//! S3's error answers turned into [`ObjectError`]s that say which bucket, key and endpoint
//! they are about.

use crate::ObjectError;
use crate::xml;

/// What a failed request said: its status and, from the error document, S3's code and message
/// (empty when the answer had no document, as HEAD answers never do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl Failure {
    pub fn from_body(status: u16, body: &[u8]) -> Failure {
        let doc = std::str::from_utf8(body).ok().and_then(xml::parse).filter(|root| root.name == "Error");
        let text = |name: &str| doc.as_ref().and_then(|d| d.child_text(name)).unwrap_or_default().trim().to_owned();
        Failure { status, code: text("Code"), message: text("Message") }
    }
}

/// What a request was about.
#[derive(Debug, Default, Clone, Copy)]
pub struct Subject<'a> {
    pub bucket: Option<&'a str>,
    pub key: Option<&'a str>,
    pub version_id: Option<&'a str>,
    pub upload_id: Option<&'a str>,
}

impl Subject<'_> {
    /// `bucket/key`, `bucket`, or `/` (the bucket list).
    fn resource(&self) -> String {
        match (self.bucket, self.key) {
            (Some(bucket), Some(key)) => format!("{bucket}/{key}"),
            (Some(bucket), None) => bucket.to_owned(),
            _ => "/".to_owned(),
        }
    }
}

/// Codes that mean the credentials (or the clock, or the region they are scoped to) are wrong.
const CREDENTIAL_CODES: &[&str] = &[
    "AccessDenied",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
    "RequestTimeTooSkewed",
    "ExpiredToken",
    "InvalidToken",
    "TokenRefreshRequired",
    "AuthorizationHeaderMalformed",
];

pub fn to_object_error(failure: &Failure, subject: &Subject<'_>, method: &str, endpoint: &str) -> ObjectError {
    let bucket = subject.bucket.unwrap_or_default();
    let at_bucket = || format!("{bucket} (at {endpoint})");
    let at_object = || format!("{} (at {endpoint})", subject.resource());
    let described = || {
        let detail = if failure.message.is_empty() { String::new() } else { format!(": {}", failure.message) };
        let code = if failure.code.is_empty() { "no error code" } else { failure.code.as_str() };
        format!("{method} {} at {endpoint}: HTTP {} {code}{detail}", subject.resource(), failure.status)
    };
    match failure.code.as_str() {
        "NoSuchBucket" => ObjectError::NoSuchBucket(at_bucket()),
        "NoSuchKey" => ObjectError::NoSuchKey(at_object()),
        "NoSuchVersion" => ObjectError::NoSuchVersion(format!(
            "{} of {} (at {endpoint})",
            subject.version_id.unwrap_or_default(),
            subject.resource()
        )),
        "BucketAlreadyOwnedByYou" => ObjectError::BucketAlreadyOwnedByYou(at_bucket()),
        "BucketNotEmpty" => ObjectError::BucketNotEmpty(at_bucket()),
        "InvalidBucketName" => ObjectError::InvalidBucketName(at_bucket()),
        "KeyTooLongError" => ObjectError::InvalidKey(at_object()),
        "InvalidArgument" | "InvalidRequest" | "InvalidRange" => ObjectError::InvalidArgument(described()),
        "NoSuchUpload" => ObjectError::NoSuchUpload(format!(
            "{} for {} (at {endpoint})",
            subject.upload_id.unwrap_or_default(),
            subject.resource()
        )),
        "InvalidPart" => ObjectError::InvalidPart(described()),
        "InvalidPartOrder" => ObjectError::InvalidPartOrder,
        "EntityTooSmall" => ObjectError::EntityTooSmall(described()),
        code if CREDENTIAL_CODES.contains(&code) => {
            ObjectError::Io(format!("{} (check the S3 credentials, their region and the clock)", described()))
        }
        // No document (a HEAD, or a proxy's page): the status is all there is.
        "" if failure.status == 404 && subject.key.is_none() => ObjectError::NoSuchBucket(at_bucket()),
        "" if failure.status == 404 && subject.version_id.is_none() => ObjectError::NoSuchKey(at_object()),
        _ => ObjectError::Io(described()),
    }
}

/// A request that got no answer: the endpoint could not be reached, or stopped answering.
pub fn unreachable(error: &ureq::Error, subject: &Subject<'_>, method: &str, endpoint: &str) -> ObjectError {
    ObjectError::Io(format!("{method} {} at {endpoint}: no answer from the S3 endpoint: {error}", subject.resource()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENDPOINT: &str = "http://127.0.0.1:9";

    fn error(status: u16, code: &str, subject: Subject<'_>) -> ObjectError {
        let body = format!("<Error><Code>{code}</Code><Message>why &amp; how</Message></Error>");
        let failure = Failure::from_body(status, body.as_bytes());
        to_object_error(&failure, &subject, "GET", ENDPOINT)
    }

    #[test]
    fn codes_map_to_variants_that_name_the_bucket_key_and_endpoint() {
        let object = Subject { bucket: Some("bkt"), key: Some("a/b"), version_id: Some("v1"), upload_id: Some("u1") };
        let shown = |e: ObjectError| e.to_string();
        let e = error(404, "NoSuchBucket", object);
        assert!(matches!(&e, ObjectError::NoSuchBucket(m) if m == "bkt (at http://127.0.0.1:9)"), "{e}");
        let e = error(404, "NoSuchKey", object);
        assert!(matches!(&e, ObjectError::NoSuchKey(m) if m == "bkt/a/b (at http://127.0.0.1:9)"), "{e}");
        let e = error(404, "NoSuchVersion", object);
        assert!(matches!(&e, ObjectError::NoSuchVersion(m) if m.starts_with("v1 of bkt/a/b")), "{e}");
        let e = error(404, "NoSuchUpload", object);
        assert!(matches!(&e, ObjectError::NoSuchUpload(m) if m.starts_with("u1 for bkt/a/b")), "{e}");
        assert!(matches!(error(409, "BucketNotEmpty", object), ObjectError::BucketNotEmpty(_)));
        assert!(matches!(error(409, "BucketAlreadyOwnedByYou", object), ObjectError::BucketAlreadyOwnedByYou(_)));
        assert!(matches!(error(400, "InvalidPartOrder", object), ObjectError::InvalidPartOrder));
        assert!(matches!(error(400, "InvalidPart", object), ObjectError::InvalidPart(_)));
        assert!(matches!(error(400, "EntityTooSmall", object), ObjectError::EntityTooSmall(_)));
        let e = shown(error(400, "InvalidArgument", object));
        assert!(e.contains("why & how") && e.contains(ENDPOINT), "{e}");
        for code in ["SignatureDoesNotMatch", "AccessDenied", "InvalidAccessKeyId"] {
            let e = error(403, code, object);
            let m = shown(e);
            assert!(
                m.contains(code) && m.contains("credentials") && m.contains(ENDPOINT) && m.contains("bkt/a/b"),
                "{m}"
            );
        }
        let e = shown(error(503, "SlowDown", object));
        assert!(e.contains("HTTP 503 SlowDown") && e.contains(ENDPOINT), "{e}");
    }

    #[test]
    fn answers_without_a_document_fall_back_on_the_status() {
        let failure = Failure::from_body(404, b"");
        assert_eq!(failure.code, "");
        let bucket = Subject { bucket: Some("bkt"), ..Subject::default() };
        let object = Subject { key: Some("k"), ..bucket };
        assert!(matches!(to_object_error(&failure, &bucket, "HEAD", ENDPOINT), ObjectError::NoSuchBucket(_)));
        assert!(matches!(to_object_error(&failure, &object, "HEAD", ENDPOINT), ObjectError::NoSuchKey(_)));
        let page = Failure::from_body(502, b"<html>bad gateway</html>");
        let e = to_object_error(&page, &object, "GET", ENDPOINT).to_string();
        assert!(e.contains("HTTP 502 no error code"), "{e}");
    }
}

//! S3's errors: code, HTTP status and message as S3 sends them, rendered as its error XML.

use kiln_objects::ObjectError;
use kiln_wire::sigv4::{AuthError, SIGNATURE_MISMATCH};

use crate::xml::Xml;

/// One S3 error response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct S3Error {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    /// Elements S3 adds to some errors, e.g. `BucketName` or `Key`.
    pub details: Vec<(&'static str, String)>,
}

impl S3Error {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> S3Error {
        S3Error { status, code, message: message.into(), details: Vec::new() }
    }

    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> S3Error {
        self.details.push((name, value.into()));
        self
    }

    pub fn no_such_bucket(bucket: &str) -> S3Error {
        S3Error::new(404, "NoSuchBucket", "The specified bucket does not exist").with("BucketName", bucket)
    }

    pub fn no_such_key(key: &str) -> S3Error {
        S3Error::new(404, "NoSuchKey", "The specified key does not exist.").with("Key", key)
    }

    pub fn invalid_argument(message: impl Into<String>) -> S3Error {
        S3Error::new(400, "InvalidArgument", message)
    }

    pub fn invalid_request(message: impl Into<String>) -> S3Error {
        S3Error::new(400, "InvalidRequest", message)
    }

    pub fn malformed_xml() -> S3Error {
        S3Error::new(
            400,
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our published schema",
        )
    }

    pub fn not_implemented(what: &str) -> S3Error {
        S3Error::new(501, "NotImplemented", format!("Kiln's S3 API does not implement {what}"))
    }

    pub fn method_not_allowed() -> S3Error {
        S3Error::new(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
    }

    pub fn internal(message: impl Into<String>) -> S3Error {
        let message = message.into();
        tracing::error!("s3: internal error: {message}");
        S3Error::new(500, "InternalError", "We encountered an internal error. Please try again.")
    }

    pub fn entity_too_large(max: u64) -> S3Error {
        S3Error::new(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size.")
            .with("MaxSizeAllowed", max.to_string())
    }

    pub fn incomplete_body() -> S3Error {
        S3Error::new(
            400,
            "IncompleteBody",
            "You did not provide the number of bytes specified by the Content-Length HTTP header.",
        )
    }

    pub fn bad_digest(what: &str) -> S3Error {
        let message = if what == "Content-MD5" {
            "The Content-MD5 you specified did not match what we received.".to_owned()
        } else {
            format!("The {what} you specified did not match the calculated checksum.")
        };
        S3Error::new(400, "BadDigest", message)
    }

    /// The error document. `resource` is the request path.
    pub fn to_xml(&self, resource: &str, request_id: &str) -> String {
        let mut xml = Xml::document();
        xml.open("Error");
        xml.element("Code", self.code);
        xml.element("Message", &self.message);
        for (name, value) in &self.details {
            xml.element(name, value);
        }
        xml.element("Resource", resource);
        xml.element("RequestId", request_id);
        xml.element("HostId", request_id);
        xml.close("Error");
        xml.finish()
    }
}

impl From<ObjectError> for S3Error {
    fn from(e: ObjectError) -> S3Error {
        match e {
            ObjectError::NoSuchBucket(bucket) => S3Error::no_such_bucket(&bucket),
            ObjectError::NoSuchKey(key) => S3Error::no_such_key(&key),
            ObjectError::NoSuchVersion(version) => {
                S3Error::new(404, "NoSuchVersion", "The specified version does not exist.").with("VersionId", version)
            }
            ObjectError::BucketAlreadyOwnedByYou(bucket) => S3Error::new(
                409,
                "BucketAlreadyOwnedByYou",
                "Your previous request to create the named bucket succeeded and you already own it.",
            )
            .with("BucketName", bucket),
            ObjectError::BucketNotEmpty(bucket) => {
                S3Error::new(409, "BucketNotEmpty", "The bucket you tried to delete is not empty")
                    .with("BucketName", bucket)
            }
            ObjectError::InvalidBucketName(why) => {
                let bucket = why.split(':').next().unwrap_or_default().to_owned();
                S3Error::new(400, "InvalidBucketName", "The specified bucket is not valid.").with("BucketName", bucket)
            }
            ObjectError::InvalidKey(why) if why.contains("at most") => {
                S3Error::new(400, "KeyTooLongError", "Your key is too long")
            }
            ObjectError::InvalidKey(why) => S3Error::invalid_argument(why),
            ObjectError::InvalidArgument(why) => S3Error::invalid_argument(why),
            ObjectError::NoSuchUpload(upload) => S3Error::new(
                404,
                "NoSuchUpload",
                "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
            )
            .with("UploadId", upload),
            ObjectError::InvalidPart(_) => S3Error::new(
                400,
                "InvalidPart",
                "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
            ),
            ObjectError::InvalidPartOrder => S3Error::new(
                400,
                "InvalidPartOrder",
                "The list of parts was not in ascending order. Parts must be ordered by part number.",
            ),
            ObjectError::EntityTooSmall(_) => S3Error::new(
                400,
                "EntityTooSmall",
                "Your proposed upload is smaller than the minimum allowed object size.",
            ),
            ObjectError::Io(message) => S3Error::internal(message),
        }
    }
}

/// S3's answer to a failed authentication. The verifier words its errors for AWS JSON
/// services; S3 uses its own codes and 403s.
pub fn from_auth(e: &AuthError, presigned: bool) -> S3Error {
    match e {
        AuthError::MissingAuthenticationToken => S3Error::new(403, "AccessDenied", "Access Denied"),
        AuthError::IncompleteSignature(message) if presigned => {
            S3Error::new(400, "AuthorizationQueryParametersError", message.clone())
        }
        AuthError::IncompleteSignature(message) => S3Error::new(400, "AuthorizationHeaderMalformed", message.clone()),
        AuthError::UnrecognizedClient => {
            S3Error::new(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
        }
        AuthError::InvalidSignature(message) if message == SIGNATURE_MISMATCH => S3Error::new(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        ),
        AuthError::InvalidSignature(message)
            if message.starts_with("Signature expired") || message.starts_with("Signature not yet current") =>
        {
            if presigned {
                S3Error::new(403, "AccessDenied", "Request has expired")
            } else {
                S3Error::new(
                    403,
                    "RequestTimeTooSkewed",
                    "The difference between the request time and the current time is too large.",
                )
            }
        }
        AuthError::InvalidSignature(message) if message.starts_with("Missing required header") => {
            S3Error::invalid_request(message.clone())
        }
        AuthError::InvalidSignature(message) if message.starts_with("x-amz-content-sha256 must be") => {
            S3Error::invalid_argument(message.clone())
        }
        AuthError::InvalidSignature(message) => S3Error::new(403, "SignatureDoesNotMatch", message.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_documents_are_s3_s() {
        let xml = S3Error::no_such_key("a&b<c>").to_xml("/bkt/a&b<c>", "REQ1");
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code>\
             <Message>The specified key does not exist.</Message><Key>a&amp;b&lt;c&gt;</Key>\
             <Resource>/bkt/a&amp;b&lt;c&gt;</Resource><RequestId>REQ1</RequestId><HostId>REQ1</HostId></Error>"
        );
    }

    #[test]
    fn store_errors_map_to_s3_codes_and_statuses() {
        let cases = [
            (ObjectError::NoSuchBucket("b".into()), 404, "NoSuchBucket"),
            (ObjectError::NoSuchKey("k".into()), 404, "NoSuchKey"),
            (ObjectError::NoSuchVersion("v".into()), 404, "NoSuchVersion"),
            (ObjectError::BucketAlreadyOwnedByYou("b".into()), 409, "BucketAlreadyOwnedByYou"),
            (ObjectError::BucketNotEmpty("b".into()), 409, "BucketNotEmpty"),
            (ObjectError::InvalidBucketName("B: bad".into()), 400, "InvalidBucketName"),
            (ObjectError::InvalidKey("object keys are at most 1024 bytes long".into()), 400, "KeyTooLongError"),
            (ObjectError::InvalidKey("object keys must not contain NUL".into()), 400, "InvalidArgument"),
            (ObjectError::NoSuchUpload("u".into()), 404, "NoSuchUpload"),
            (ObjectError::InvalidPart("1".into()), 400, "InvalidPart"),
            (ObjectError::InvalidPartOrder, 400, "InvalidPartOrder"),
            (ObjectError::EntityTooSmall("1".into()), 400, "EntityTooSmall"),
            (ObjectError::Io("disk".into()), 500, "InternalError"),
        ];
        for (e, status, code) in cases {
            let s3 = S3Error::from(e);
            assert_eq!((s3.status, s3.code), (status, code));
        }
        let bucket = S3Error::from(ObjectError::InvalidBucketName("Bad_Name: rules".into()));
        assert_eq!(bucket.details, [("BucketName", "Bad_Name".to_owned())]);
    }

    #[test]
    fn auth_errors_map_to_s3_codes() {
        let cases = [
            (AuthError::MissingAuthenticationToken, false, 403, "AccessDenied"),
            (AuthError::UnrecognizedClient, false, 403, "InvalidAccessKeyId"),
            (AuthError::signature_mismatch(), false, 403, "SignatureDoesNotMatch"),
            (AuthError::InvalidSignature("Signature expired: x".into()), false, 403, "RequestTimeTooSkewed"),
            (AuthError::InvalidSignature("Signature expired: x".into()), true, 403, "AccessDenied"),
            (AuthError::IncompleteSignature("x".into()), false, 400, "AuthorizationHeaderMalformed"),
            (AuthError::IncompleteSignature("x".into()), true, 400, "AuthorizationQueryParametersError"),
            (
                AuthError::InvalidSignature("Missing required header for this request: x".into()),
                false,
                400,
                "InvalidRequest",
            ),
        ];
        for (e, presigned, status, code) in cases {
            let s3 = from_auth(&e, presigned);
            assert_eq!((s3.status, s3.code), (status, code), "{e:?}");
        }
    }
}

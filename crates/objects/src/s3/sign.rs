//! SigV4 header signing of S3 requests, with Kiln's own SigV4 pieces (`kiln_wire::sigv4`),
//! the same code its server verifies with.

use std::fmt;
use std::time::SystemTime;

use http::{HeaderMap, HeaderValue};
use kiln_wire::sigv4::{self, PathRule, SignatureLocation};

use super::time::amz_date;
use crate::{ObjectError, Result};

#[derive(Clone)]
pub struct Signer {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    pub region: String,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("access_key_id", &self.access_key_id)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// Adds `x-amz-date`, `x-amz-content-sha256`, the session token if any, and
    /// `authorization` to `headers`, which must hold `host`. Every header in the map is
    /// signed (S3 wants every `x-amz-*` header signed).
    pub fn sign(
        &self,
        method: &str,
        raw_path: &str,
        raw_query: &str,
        headers: &mut HeaderMap,
        payload_hash: &str,
        now: SystemTime,
    ) -> Result<()> {
        let amz_date = amz_date(now);
        headers.insert("x-amz-date", value(&amz_date)?);
        headers.insert("x-amz-content-sha256", value(payload_hash)?);
        if let Some(token) = &self.session_token {
            headers.insert("x-amz-security-token", value(token)?);
        }
        let mut names: Vec<&str> = headers.keys().map(|name| name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        let signed_headers = names.join(";");
        let request = sigv4::Request { method, raw_path, raw_query, headers, body: &[] };
        let canonical =
            sigv4::canonical_request(&request, &signed_headers, payload_hash, PathRule::Raw, SignatureLocation::Header);
        let date = &amz_date[..8];
        let scope = format!("{date}/{}/s3/aws4_request", self.region);
        let to_sign = sigv4::string_to_sign(&amz_date, &scope, &canonical);
        let signature =
            sigv4::signature(&sigv4::signing_key(&self.secret_access_key, date, &self.region, "s3"), &to_sign);
        let authorization = format!(
            "{} Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
            sigv4::ALGORITHM,
            self.access_key_id
        );
        headers.insert("authorization", value(&authorization)?);
        Ok(())
    }
}

fn value(text: &str) -> Result<HeaderValue> {
    HeaderValue::from_str(text)
        .map_err(|_| ObjectError::InvalidArgument("S3 credentials and region must be printable ASCII".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    /// The examples of "Signature Calculations for the Authorization Header: Transferring
    /// Payload in a Single Chunk" (Amazon S3 API reference), 2013-05-24T00:00:00Z.
    fn example() -> (Signer, SystemTime) {
        let signer = Signer {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
            region: "us-east-1".into(),
        };
        (signer, UNIX_EPOCH + Duration::from_secs(1_369_353_600))
    }

    fn signature(headers: &HeaderMap) -> String {
        let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).expect("signed");
        auth.rsplit_once("Signature=").map(|(_, s)| s.to_owned()).expect("signature")
    }

    #[test]
    fn get_object_matches_the_documented_signature() {
        let (signer, now) = example();
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("examplebucket.s3.amazonaws.com"));
        headers.insert("range", HeaderValue::from_static("bytes=0-9"));
        let empty = sigv4::sha256_hex(b"");
        signer.sign("GET", "/test.txt", "", &mut headers, &empty, now).expect("sign");
        assert_eq!(signature(&headers), "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
        let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).expect("signed");
        assert!(auth.contains("SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"), "{auth}");
    }

    #[test]
    fn list_objects_matches_the_documented_signature() {
        let (signer, now) = example();
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("examplebucket.s3.amazonaws.com"));
        let empty = sigv4::sha256_hex(b"");
        signer.sign("GET", "/", "max-keys=2&prefix=J", &mut headers, &empty, now).expect("sign");
        assert_eq!(signature(&headers), "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
    }

    #[test]
    fn a_session_token_is_sent_and_signed() {
        let (mut signer, now) = example();
        signer.session_token = Some("token/1".into());
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("h"));
        signer.sign("GET", "/", "", &mut headers, sigv4::UNSIGNED_PAYLOAD, now).expect("sign");
        assert_eq!(headers.get("x-amz-security-token").map(|v| v.as_bytes()), Some(&b"token/1"[..]));
        let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).expect("signed");
        assert!(auth.contains(";x-amz-security-token"), "{auth}");
        assert!(!format!("{signer:?}").contains("EXAMPLEKEY"));
    }
}

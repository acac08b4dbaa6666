//! Server-side AWS Signature Version 4 verification.
//!
//! Kiln serves several AWS services (CodeBuild `codebuild`, CloudWatch Logs `logs`, later S3,
//! SSM...) on one endpoint, so any region and service in the credential scope is accepted
//! and reported in [`Verified`]. Requests are verified exactly as received: `raw_path` and
//! `raw_query` must be the percent-encoded text from the request line, and `headers` must
//! hold a `host` header (for HTTP/2, copy `:authority` into one first).
//!
//! Both the `Authorization` header and presigned `X-Amz-*` query parameters are supported;
//! chunk-signed streaming payloads (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`) and SigV4a are not.
//! `X-Amz-Security-Token` is not checked: it is signed like any other header, and Kiln
//! issues no session tokens.

mod canonical;
mod checks;
mod encode;
mod error;
mod parse;
mod signing;
mod time;

pub use canonical::{PathRule, SignatureLocation, canonical_query, canonical_request, canonical_uri};
pub use error::{AuthError, SIGNATURE_MISMATCH};
pub use signing::{ALGORITHM, UNSIGNED_PAYLOAD, sha256_hex, signature, signing_key, string_to_sign};
pub use time::{civil_from_days, days_from_civil};

use std::fmt;
use std::time::SystemTime;

/// A received request, as the verifier needs it.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// The method, e.g. `POST`.
    pub method: &'a str,
    /// The path as received, still percent-encoded, without the query.
    pub raw_path: &'a str,
    /// The query string as received, without `?`; empty if none.
    pub raw_query: &'a str,
    /// The request headers.
    pub headers: &'a http::HeaderMap,
    /// The whole body.
    pub body: &'a [u8],
}

/// An access key the server accepts.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The public key id, e.g. `AKIDEXAMPLE`.
    pub access_key_id: String,
    /// The shared secret.
    pub secret_access_key: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .finish()
    }
}

/// Who signed a request, and for which region and service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The access key id from the credential.
    pub access_key_id: String,
    /// The credential scope's region.
    pub region: String,
    /// The credential scope's service, e.g. `codebuild` or `logs`.
    pub service: String,
}

/// Verifies the request's SigV4 signature against `keys` at time `now`.
///
/// Checks run in this order, the first failure winning: authentication present; parameters
/// well-formed (`IncompleteSignatureException`); request time within 15 minutes of `now`
/// (or within `X-Amz-Expires` for presigned URLs); `host` and the date header signed;
/// credential scope; access key known (`UnrecognizedClientException`); declared payload hash;
/// signature (compared in constant time).
pub fn verify(req: &Request<'_>, keys: &[Credentials], now: SystemTime) -> Result<Verified, AuthError> {
    verify_with(req, keys, now, checks::payload_hash)
}

/// Like [`verify`], for a body not read yet (S3 uploads are streamed, not buffered):
/// `req.body` is ignored and the canonical request takes the payload hash the request
/// declares in `x-amz-content-sha256` (S3 requires the header; a presigned S3 URL without it
/// means `UNSIGNED-PAYLOAD`). Besides a hex SHA-256 and `UNSIGNED-PAYLOAD`, S3's streaming
/// values (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`, `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`)
/// are accepted. **The caller must then check the body against the declared hash** (and
/// verify chunk signatures, or refuse chunk-signed bodies).
pub fn verify_unread_body(req: &Request<'_>, keys: &[Credentials], now: SystemTime) -> Result<Verified, AuthError> {
    verify_with(req, keys, now, checks::declared_payload_hash)
}

fn verify_with(
    req: &Request<'_>,
    keys: &[Credentials],
    now: SystemTime,
    payload_hash: fn(&Request<'_>, &parse::Claim) -> Result<String, AuthError>,
) -> Result<Verified, AuthError> {
    let claim = parse::parse(req)?.ok_or(AuthError::MissingAuthenticationToken)?;
    checks::time(&claim, time::Timestamp::from_system_time(now))?;
    checks::signed_headers(&claim)?;
    checks::scope(&claim)?;
    let key = keys.iter().find(|key| key.access_key_id == claim.access_key_id).ok_or(AuthError::UnrecognizedClient)?;
    let payload_hash = payload_hash(req, &claim)?;

    let scope = &claim.scope;
    let canonical = canonical_request(
        req,
        &claim.signed_headers,
        &payload_hash,
        PathRule::for_service(&scope.service),
        claim.location,
    );
    let to_sign = string_to_sign(&claim.time.amz(), &scope.text(), &canonical);
    let signing_key = signing_key(&key.secret_access_key, &scope.date, &scope.region, &scope.service);
    if !signing::signature_matches(&signing_key, &to_sign, &claim.signature) {
        return Err(AuthError::signature_mismatch());
    }
    Ok(verified(claim))
}

/// Parses just enough of the `Authorization` header (or presigned query) to report the
/// signer when no keys are configured: `Ok(None)` for an unauthenticated request, an error
/// only for malformed signature parameters. Neither time nor signature is checked.
pub fn parse_authorization(req: &Request<'_>) -> Result<Option<Verified>, AuthError> {
    Ok(parse::parse(req)?.map(verified))
}

fn verified(claim: parse::Claim) -> Verified {
    Verified { access_key_id: claim.access_key_id, region: claim.scope.region, service: claim.scope.service }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_secret() {
        let key = Credentials { access_key_id: "AKIDEXAMPLE".into(), secret_access_key: "s3cr3t-value".into() };
        let shown = format!("{key:?}");
        assert!(shown.contains("AKIDEXAMPLE"));
        assert!(!shown.contains("s3cr3t-value"));
    }
}

//! Checks on a parsed claim that do not need the secret: clock skew, required signed headers,
//! credential scope, and the declared payload hash. Each failure is an
//! `InvalidSignatureException`, worded as AWS words it.

use super::canonical::SignatureLocation;
use super::parse::Claim;
use super::signing::{TERMINATOR, UNSIGNED_PAYLOAD, sha256_hex};
use super::time::Timestamp;
use super::{AuthError, Request};

/// How far a header-signed request's time may be from the server's, either way.
pub(crate) const MAX_SKEW_SECONDS: i64 = 15 * 60;

/// The request time must lie within 15 minutes of `now`; a presigned request's may be up to
/// `X-Amz-Expires` in the past instead. Messages follow AWS's
/// "Signature expired: 20130301T000000Z is now earlier than 20130609T094515Z (20130609T100015Z - 15 min.)".
pub(crate) fn time(claim: &Claim, now: Timestamp) -> Result<(), AuthError> {
    let at = claim.time;
    let latest = now.plus(MAX_SKEW_SECONDS);
    if at > latest {
        return Err(AuthError::InvalidSignature(format!(
            "Signature not yet current: {} is still later than {} ({} + 15 min.)",
            at.amz(),
            latest.amz(),
            now.amz()
        )));
    }
    let (window, unit) = match claim.expires {
        Some(expires) => (expires, format!("{expires} sec.")),
        None => (MAX_SKEW_SECONDS, "15 min.".to_owned()),
    };
    let earliest = now.minus(window);
    if at < earliest {
        return Err(AuthError::InvalidSignature(format!(
            "Signature expired: {} is now earlier than {} ({} - {unit})",
            at.amz(),
            earliest.amz(),
            now.amz()
        )));
    }
    Ok(())
}

/// `host`, and for header auth the date header used, must be among the signed headers.
/// DynamoDB answers an unsigned host with InvalidSignatureException "'Host' or ':authority'
/// must be a 'SignedHeader' in the AWS Authorization." (aws/aws-sdk-php#2469).
pub(crate) fn signed_headers(claim: &Claim) -> Result<(), AuthError> {
    let signed = |wanted: &str| claim.signed_headers.split(';').any(|name| name.eq_ignore_ascii_case(wanted));
    if !signed("host") {
        return Err(AuthError::InvalidSignature(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".to_owned(),
        ));
    }
    if let Some(date_header) = claim.date_header
        && !signed(date_header)
    {
        let shown = if date_header == "date" { "Date" } else { "X-Amz-Date" };
        return Err(AuthError::InvalidSignature(format!(
            "'{shown}' must be a 'SignedHeader' in the AWS Authorization."
        )));
    }
    Ok(())
}

/// Any region and service are accepted (one endpoint serves them all), but they must be
/// present, the terminator must be `aws4_request` and the date must be the request's.
/// Wording and exception type from DynamoDB as recorded by dynalite.
pub(crate) fn scope(claim: &Claim) -> Result<(), AuthError> {
    let scope = &claim.scope;
    let mut problems = Vec::new();
    if scope.region.is_empty() {
        problems.push("Credential should be scoped to a valid region, not ''.".to_owned());
    }
    if scope.service.is_empty() {
        problems.push("Credential should be scoped to a valid service, not ''.".to_owned());
    }
    if scope.terminator != TERMINATOR {
        problems.push(format!(
            "Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{}'.",
            scope.terminator
        ));
    }
    if scope.date != claim.time.date() {
        problems.push(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{}'.",
            scope.date,
            claim.time.date(),
            claim.time.amz()
        ));
    }
    if problems.is_empty() { Ok(()) } else { Err(AuthError::InvalidSignature(problems.join(" "))) }
}

/// The hash the request declares: `x-amz-content-sha256`, or `X-Amz-Content-Sha256` on a
/// presigned URL.
fn declared_hash(req: &Request<'_>, claim: &Claim) -> Option<String> {
    req.headers
        .get("x-amz-content-sha256")
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        .or_else(|| claim.query_content_sha256.clone())
}

/// The payload hash for the canonical request. A declared hex hash (`x-amz-content-sha256`,
/// or `X-Amz-Content-Sha256` on a presigned URL) must be the body's; `UNSIGNED-PAYLOAD` is
/// taken only when declared, except that presigned S3 URLs imply it (S3's rule).
pub(crate) fn payload_hash(req: &Request<'_>, claim: &Claim) -> Result<String, AuthError> {
    let declared = declared_hash(req, claim);
    let Some(declared) = declared else {
        let presigned_s3 = claim.location == SignatureLocation::Query && claim.scope.service == "s3";
        return Ok(if presigned_s3 { UNSIGNED_PAYLOAD.to_owned() } else { sha256_hex(req.body) });
    };
    if declared == UNSIGNED_PAYLOAD {
        return Ok(declared);
    }
    if declared.len() != 64 || !declared.bytes().all(|b| b.is_ascii_hexdigit()) {
        // Streaming (chunk-signed) payloads are not supported.
        return Err(AuthError::InvalidSignature(format!(
            "Unsupported x-amz-content-sha256 value '{declared}': send the SHA-256 of the body or {UNSIGNED_PAYLOAD}."
        )));
    }
    if !declared.eq_ignore_ascii_case(&sha256_hex(req.body)) {
        // S3's XAmzContentSHA256Mismatch wording.
        return Err(AuthError::InvalidSignature(
            "The provided 'x-amz-content-sha256' header does not match what was computed.".to_owned(),
        ));
    }
    Ok(declared)
}

/// The payload values S3 accepts besides a hex SHA-256 (the streaming ones say how the body
/// is framed and signed; checking the body is the caller's job).
const S3_PAYLOAD_VALUES: [&str; 4] = [
    UNSIGNED_PAYLOAD,
    "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
];

/// The payload hash as declared, unchecked against the body (see `verify_unread_body`).
pub(crate) fn declared_payload_hash(req: &Request<'_>, claim: &Claim) -> Result<String, AuthError> {
    let declared = declared_hash(req, claim);
    let Some(declared) = declared else {
        if claim.location == SignatureLocation::Query {
            return Ok(UNSIGNED_PAYLOAD.to_owned());
        }
        // S3's wording (InvalidRequest).
        return Err(AuthError::InvalidSignature(
            "Missing required header for this request: x-amz-content-sha256".to_owned(),
        ));
    };
    let hex = declared.len() == 64 && declared.bytes().all(|b| b.is_ascii_hexdigit());
    if hex || S3_PAYLOAD_VALUES.contains(&declared.as_str()) {
        Ok(declared)
    } else {
        // S3's InvalidArgument wording.
        Err(AuthError::InvalidSignature(format!(
            "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value, not '{declared}'."
        )))
    }
}

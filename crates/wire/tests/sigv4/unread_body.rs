//! `verify_unread_body`: the signature is checked against the declared payload hash, the body
//! is left to the caller (S3 uploads are streamed).

use kiln_wire::sigv4::{AuthError, SIGNATURE_MISMATCH, verify, verify_unread_body};

use crate::common::{Owned, Signing, at, keys, sign_with_aws};

const NOW: &str = "20240102T030405Z";

fn s3_put(body: &[u8]) -> Owned {
    Owned::new("PUT", "/bucket/a%20key/%C3%BC", &[("host", "127.0.0.1:7171")], body)
}

fn signing() -> Signing {
    let mut how = Signing::new("s3", at(NOW));
    how.content_sha256_header = true;
    how
}

#[test]
fn the_declared_hash_is_signed_and_the_body_is_not_read() {
    let mut req = s3_put(b"hello");
    sign_with_aws(&mut req, &signing());
    let verified = verify_unread_body(&req.request(), &keys(), at(NOW)).expect("valid");
    assert_eq!(verified.service, "s3");
    // Another body does not matter here (the caller checks it); `verify` would notice.
    req.body = b"other".to_vec();
    assert!(verify_unread_body(&req.request(), &keys(), at(NOW)).is_ok());
    assert!(matches!(verify(&req.request(), &keys(), at(NOW)), Err(AuthError::InvalidSignature(_))));
    // A changed declaration breaks the signature.
    req.set_header("x-amz-content-sha256", &"0".repeat(64));
    assert_eq!(
        verify_unread_body(&req.request(), &keys(), at(NOW)),
        Err(AuthError::InvalidSignature(SIGNATURE_MISMATCH.to_owned()))
    );
}

#[test]
fn s3_streaming_payload_values_are_accepted_when_signed() {
    for value in [
        "UNSIGNED-PAYLOAD",
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
    ] {
        let mut req = s3_put(b"5\r\nhello\r\n0\r\n\r\n");
        let mut how = signing();
        how.precomputed_payload = Some(value.to_owned());
        sign_with_aws(&mut req, &how);
        assert_eq!(req.headers.get("x-amz-content-sha256").and_then(|v| v.to_str().ok()), Some(value));
        assert!(verify_unread_body(&req.request(), &keys(), at(NOW)).is_ok(), "{value}");
    }
}

#[test]
fn a_missing_or_unknown_declaration_is_refused() {
    let mut req = s3_put(b"hello");
    let mut how = signing();
    how.content_sha256_header = false;
    sign_with_aws(&mut req, &how);
    let err = verify_unread_body(&req.request(), &keys(), at(NOW)).expect_err("no header");
    assert!(err.to_string().contains("x-amz-content-sha256"), "{err}");

    let mut req = s3_put(b"hello");
    let mut how = signing();
    how.precomputed_payload = Some("STREAMING-SOMETHING-ELSE".to_owned());
    sign_with_aws(&mut req, &how);
    let err = verify_unread_body(&req.request(), &keys(), at(NOW)).expect_err("unknown value");
    assert!(err.to_string().contains("STREAMING-SOMETHING-ELSE"), "{err}");
}

#[test]
fn presigned_s3_urls_are_unsigned_payloads() {
    let mut req = s3_put(b"anything");
    let mut how = Signing::new("s3", at(NOW));
    how.presign_for = Some(300);
    how.unsigned_payload = true;
    sign_with_aws(&mut req, &how);
    assert!(verify_unread_body(&req.request(), &keys(), at(NOW)).is_ok());
}

//! One test per way a request can fail, checking the AWS code and message.

use kiln_wire::sigv4::{AuthError, SIGNATURE_MISMATCH, Verified, parse_authorization, verify};

use crate::common::{AKID, Owned, Signing, at, codebuild_request, keys, sign_with_aws};

const NOW: &str = "20261125T115500Z";
const BODY: &str = r#"{"projectName":"kiln"}"#;

fn signed(how: &Signing) -> Owned {
    let mut req = codebuild_request(BODY);
    sign_with_aws(&mut req, how);
    req
}

fn signed_now() -> Owned {
    signed(&Signing::new("codebuild", at(NOW)))
}

fn check(req: &Owned) -> Result<Verified, AuthError> {
    verify(&req.request(), &keys(), at(NOW))
}

/// A request with a hand-written `Authorization` header (and `x-amz-date` of `NOW`).
fn with_authorization(value: &str) -> Owned {
    let mut req = codebuild_request(BODY);
    req.set_header("x-amz-date", NOW);
    req.set_header("authorization", value);
    req
}

fn incomplete(req: &Owned) -> String {
    match check(req) {
        Err(AuthError::IncompleteSignature(message)) => message,
        other => panic!("expected IncompleteSignatureException, got {other:?}"),
    }
}

fn invalid(req: &Owned) -> String {
    match check(req) {
        Err(AuthError::InvalidSignature(message)) => message,
        other => panic!("expected InvalidSignatureException, got {other:?}"),
    }
}

const SCOPE: &str = "AKIDEXAMPLE/20261125/us-east-1/codebuild/aws4_request";
const SIG: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[test]
fn a_correctly_signed_request_reports_signer_region_and_service() {
    assert_eq!(
        check(&signed_now()),
        Ok(Verified {
            access_key_id: AKID.to_owned(),
            region: "us-east-1".to_owned(),
            service: "codebuild".to_owned(),
        })
    );
    let mut how = Signing::new("logs", at(NOW));
    how.region = "eu-west-3".to_owned();
    let verified = check(&signed(&how)).expect("logs request verifies");
    assert_eq!((verified.region.as_str(), verified.service.as_str()), ("eu-west-3", "logs"));
}

#[test]
fn no_authorization_is_a_missing_authentication_token() {
    let err = check(&codebuild_request(BODY)).expect_err("unsigned");
    assert_eq!(err, AuthError::MissingAuthenticationToken);
    assert_eq!(err.code(), "MissingAuthenticationTokenException");
    assert_eq!(err.status(), 400);
    assert_eq!(err.to_string(), "Request is missing Authentication Token");
    let bearer = {
        let mut req = codebuild_request(BODY);
        req.set_header("authorization", "Bearer abc.def");
        req
    };
    assert_eq!(check(&bearer), Err(AuthError::MissingAuthenticationToken));
}

#[test]
fn missing_parameters_are_listed_with_the_header() {
    let header = format!("AWS4-HMAC-SHA256 Credential={SCOPE}");
    assert_eq!(
        incomplete(&with_authorization(&header)),
        format!(
            "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization={header}"
        )
    );
    let err = check(&with_authorization(&header)).expect_err("incomplete");
    assert_eq!(err.code(), "IncompleteSignatureException");
    assert_eq!(err.status(), 400);
}

#[test]
fn a_missing_date_header_is_incomplete() {
    let mut req = signed_now();
    req.headers.remove("x-amz-date");
    let message = incomplete(&req);
    assert!(
        message.starts_with(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Credential="
        ),
        "{message}"
    );
}

#[test]
fn a_parameter_without_equals_is_incomplete() {
    // A stray space after `Credential=`, the classic copy-paste error.
    let header = format!("AWS4-HMAC-SHA256 Credential= {SCOPE}, SignedHeaders=host;x-amz-date, Signature={SIG}");
    assert_eq!(
        incomplete(&with_authorization(&header)),
        format!("'{SCOPE}' not a valid key=value pair (missing equal-sign) in Authorization header: '{header}'.")
    );
}

#[test]
fn an_unknown_algorithm_is_incomplete() {
    let header = format!("AWS4-ECDSA-P256-SHA256 Credential={SCOPE}, SignedHeaders=host;x-amz-date, Signature={SIG}");
    assert_eq!(
        incomplete(&with_authorization(&header)),
        "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256' (only AWS4-HMAC-SHA256 for now)."
    );
}

#[test]
fn a_credential_without_five_elements_is_incomplete() {
    let header = format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/aws4_request, SignedHeaders=host;x-amz-date, Signature={SIG}"
    );
    assert_eq!(
        incomplete(&with_authorization(&header)),
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/20261125/us-east-1/aws4_request'"
    );
}

#[test]
fn a_date_not_in_basic_format_is_incomplete() {
    let mut req = signed_now();
    req.set_header("x-amz-date", "2026-11-25T11:55:00Z");
    assert_eq!(
        incomplete(&req),
        "Date must be in ISO-8601 'basic format'. Got '2026-11-25T11:55:00Z'. See http://en.wikipedia.org/wiki/ISO_8601"
    );
}

#[test]
fn host_and_the_date_must_be_signed() {
    let header = format!("AWS4-HMAC-SHA256 Credential={SCOPE}, SignedHeaders=x-amz-date, Signature={SIG}");
    assert_eq!(
        invalid(&with_authorization(&header)),
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
    );
    let header = format!("AWS4-HMAC-SHA256 Credential={SCOPE}, SignedHeaders=content-type;host, Signature={SIG}");
    assert_eq!(
        invalid(&with_authorization(&header)),
        "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization."
    );
    let header = format!("AWS4-HMAC-SHA256 Credential={SCOPE}, SignedHeaders=, Signature={SIG}");
    assert!(invalid(&with_authorization(&header)).starts_with("'Host'"));
}

#[test]
fn the_scope_must_end_in_aws4_request_and_carry_the_request_date() {
    let header = format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/codebuild/aws5_request, SignedHeaders=host;x-amz-date, Signature={SIG}"
    );
    assert_eq!(
        invalid(&with_authorization(&header)),
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20261124' != '20261125', from '20261125T115500Z'."
    );
    let header = format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125//codebuild/aws4_request, SignedHeaders=host;x-amz-date, Signature={SIG}"
    );
    assert_eq!(invalid(&with_authorization(&header)), "Credential should be scoped to a valid region, not ''.");
}

#[test]
fn an_unknown_access_key_is_an_unrecognized_client() {
    let mut how = Signing::new("codebuild", at(NOW));
    how.access_key_id = "AKIDNOBODY".to_owned();
    let err = check(&signed(&how)).expect_err("unknown key");
    assert_eq!(err, AuthError::UnrecognizedClient);
    assert_eq!(err.code(), "UnrecognizedClientException");
    assert_eq!(err.to_string(), "The security token included in the request is invalid.");
    assert_eq!(err.status(), 400);
}

#[test]
fn a_wrong_secret_or_a_forged_signature_does_not_match() {
    let mut how = Signing::new("codebuild", at(NOW));
    how.secret = "not the secret".to_owned();
    let err = check(&signed(&how)).expect_err("wrong secret");
    assert_eq!(err.code(), "InvalidSignatureException");
    assert_eq!(err.to_string(), SIGNATURE_MISMATCH);
    let header = format!(
        "AWS4-HMAC-SHA256 Credential={SCOPE}, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature={SIG}"
    );
    assert_eq!(invalid(&with_authorization(&header)), SIGNATURE_MISMATCH);
    let header = format!(
        "AWS4-HMAC-SHA256 Credential={SCOPE}, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=not-hex"
    );
    assert_eq!(invalid(&with_authorization(&header)), SIGNATURE_MISMATCH);
}

#[test]
fn a_request_older_than_fifteen_minutes_has_expired() {
    let req = signed(&Signing::new("codebuild", at("20260101T000000Z")));
    assert_eq!(
        invalid(&req),
        "Signature expired: 20260101T000000Z is now earlier than 20261125T114000Z (20261125T115500Z - 15 min.)"
    );
}

#[test]
fn a_request_more_than_fifteen_minutes_ahead_is_not_yet_current() {
    let req = signed(&Signing::new("codebuild", at("20261125T121001Z")));
    assert_eq!(
        invalid(&req),
        "Signature not yet current: 20261125T121001Z is still later than 20261125T121000Z (20261125T115500Z + 15 min.)"
    );
}

#[test]
fn exactly_fifteen_minutes_either_way_is_accepted() {
    for (time, ok) in [
        ("20261125T114000Z", true),
        ("20261125T121000Z", true),
        ("20261125T113959Z", false),
        ("20261125T121001Z", false),
    ] {
        let req = signed(&Signing::new("codebuild", at(time)));
        assert_eq!(check(&req).is_ok(), ok, "{time}");
    }
}

#[test]
fn a_declared_body_hash_must_be_the_body_s() {
    let mut how = Signing::new("codebuild", at(NOW));
    how.content_sha256_header = true;
    let mut req = signed(&how);
    assert!(check(&req).is_ok());
    req.body = br#"{"projectName":"evil"}"#.to_vec();
    assert_eq!(invalid(&req), "The provided 'x-amz-content-sha256' header does not match what was computed.");
}

#[test]
fn unsigned_payload_is_accepted_only_when_declared() {
    let mut how = Signing::new("codebuild", at(NOW));
    how.unsigned_payload = true;
    how.content_sha256_header = true;
    let mut req = signed(&how);
    assert_eq!(req.headers.get("x-amz-content-sha256").map(|v| v.as_bytes()), Some(&b"UNSIGNED-PAYLOAD"[..]));
    req.body = b"anything at all".to_vec();
    assert!(check(&req).is_ok(), "declared unsigned payload");

    // Signed as UNSIGNED-PAYLOAD but not declared: the server hashes the body.
    how.content_sha256_header = false;
    assert_eq!(invalid(&signed(&how)), SIGNATURE_MISMATCH);

    let mut streaming = signed_now();
    streaming.set_header("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
    assert!(invalid(&streaming).starts_with("Unsupported x-amz-content-sha256 value"));
}

#[test]
fn presigned_urls_verify_until_they_expire() {
    let signed_at = at(NOW);
    let mut how = Signing::new("codebuild", signed_at);
    how.presign_for = Some(300);
    let req = signed(&how);
    assert!(req.headers.get("authorization").is_none());
    assert!(req.query.contains("X-Amz-Signature="));
    let later = |seconds: u64| signed_at + std::time::Duration::from_secs(seconds);
    assert!(verify(&req.request(), &keys(), later(300)).is_ok());
    assert_eq!(
        verify(&req.request(), &keys(), later(301)),
        Err(AuthError::InvalidSignature(
            "Signature expired: 20261125T115500Z is now earlier than 20261125T115501Z (20261125T120001Z - 300 sec.)"
                .to_owned()
        ))
    );
    let mut tampered = req.clone();
    tampered.body = b"{}".to_vec();
    assert_eq!(invalid(&tampered), SIGNATURE_MISMATCH);
}

#[test]
fn presigned_s3_urls_do_not_sign_the_body() {
    let mut how = Signing::new("s3", at(NOW));
    how.presign_for = Some(3600);
    how.unsigned_payload = true;
    let mut req = Owned::new("PUT", "/bucket/some%20key.txt", &[("host", "localhost:8080")], b"data");
    sign_with_aws(&mut req, &how);
    assert!(check(&req).is_ok());
    req.body = b"other data".to_vec();
    assert!(check(&req).is_ok(), "the body is not part of a presigned S3 signature");
}

#[test]
fn incomplete_presigned_parameters_are_listed() {
    let mut req = codebuild_request(BODY);
    req.query = format!("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={NOW}");
    assert_eq!(
        incomplete(&req),
        "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. Re-examine the query-string parameters."
    );
    let mut how = Signing::new("codebuild", at(NOW));
    how.presign_for = Some(300);
    let mut req = signed(&how);
    req.query = req.query.replace("X-Amz-Expires=300", "X-Amz-Expires=604801");
    assert!(incomplete(&req).starts_with("X-Amz-Expires must be non-negative and less than a week"));
    req.query = req.query.replace("X-Amz-Expires=604801", "X-Amz-Expires=soon");
    assert_eq!(incomplete(&req), "X-Amz-Expires should be a number");
}

#[test]
fn a_header_and_a_presigned_query_together_are_rejected() {
    let mut req = signed_now();
    req.query = "X-Amz-Algorithm=AWS4-HMAC-SHA256".to_owned();
    assert_eq!(
        invalid(&req),
        "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
    );
}

#[test]
fn s3_paths_are_signed_as_sent() {
    let mut req = Owned::new("GET", "/bucket/a%20b/../c%2Fd", &[("host", "localhost:8080")], b"");
    let mut how = Signing::new("s3", at(NOW));
    how.content_sha256_header = true;
    sign_with_aws(&mut req, &how);
    assert_eq!(req.path, "/bucket/a%20b/../c%2Fd");
    assert_eq!(check(&req).map(|v| v.service), Ok("s3".to_owned()));
}

#[test]
fn parse_authorization_reports_the_signer_without_checking_the_signature() {
    assert_eq!(parse_authorization(&codebuild_request(BODY).request()), Ok(None));
    let mut how = Signing::new("logs", at("20200101T000000Z"));
    how.secret = "whatever".to_owned();
    how.access_key_id = "AKIDANY".to_owned();
    assert_eq!(
        parse_authorization(&signed(&how).request()),
        Ok(Some(Verified {
            access_key_id: "AKIDANY".to_owned(),
            region: "us-east-1".to_owned(),
            service: "logs".to_owned(),
        }))
    );
    let mut presigned = how.clone();
    presigned.presign_for = Some(60);
    assert_eq!(
        parse_authorization(&signed(&presigned).request()).map(|v| v.map(|v| v.service)),
        Ok(Some("logs".to_owned()))
    );
    let broken = with_authorization("AWS4-HMAC-SHA256 Credential=AKID");
    assert!(matches!(parse_authorization(&broken.request()), Err(AuthError::IncompleteSignature(_))));
}

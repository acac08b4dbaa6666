//! Property test with aws-sigv4 as the oracle: whatever it signs, `verify` accepts; change
//! one byte of the body, a signed header, the path or the secret, and `verify` refuses with
//! the right code.

use std::time::Duration;

use kiln_wire::sigv4::{AuthError, Credentials, SIGNATURE_MISMATCH, verify};
use proptest::prelude::*;

use crate::common::{AKID, Owned, SECRET, Signing, at, keys, sign_with_aws};

#[derive(Clone, Debug)]
struct Case {
    method: &'static str,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    region: String,
    service: &'static str,
    presign: bool,
    content_sha256_header: bool,
    /// Seconds between signing and verifying, within the 15-minute window.
    skew: i64,
}

/// Strict SigV4 encoding, for building valid raw paths and queries.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn path() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        4 => "[ -~]{1,8}".prop_map(|s| encode(&s)),
        2 => "[A-Za-z0-9:@!$'()*,;=_-]{1,8}",
        1 => Just(".".to_owned()),
        1 => Just("..".to_owned()),
        1 => Just(String::new()),
    ];
    prop_oneof![
        Just("/".to_owned()),
        Just("/service/CodeBuild_20161006/operation/StartBuild".to_owned()),
        prop::collection::vec(segment, 1..5).prop_map(|s| format!("/{}", s.join("/"))),
    ]
}

fn query() -> impl Strategy<Value = String> {
    prop::collection::vec(("[ -~]{1,6}", "[ -~]{0,6}"), 0..4).prop_map(|pairs| {
        pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&")
    })
}

fn json_ish_body() -> impl Strategy<Value = Vec<u8>> {
    let value = prop_oneof![
        "[ -~]{0,12}".prop_map(|s| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))),
        any::<i32>().prop_map(|n| n.to_string()),
        Just("true".to_owned()),
        Just("null".to_owned()),
    ];
    prop_oneof![
        4 => prop::collection::vec(("[a-zA-Z]{1,10}", value), 0..6).prop_map(|fields| {
            let fields: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
            format!("{{{}}}", fields.join(",")).into_bytes()
        }),
        1 => prop::collection::vec(any::<u8>(), 0..64),
    ]
}

fn extra_headers() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![
        "x-kiln-[a-z]{1,6}",
        Just("x-amz-target".to_owned()),
        Just("x-amz-user-agent".to_owned()),
        Just("user-agent".to_owned()),
        Just("content-encoding".to_owned()),
        Just("X-Mixed-Case".to_owned()),
    ];
    // No leading or trailing whitespace: HTTP parsers strip it before we see the value.
    let value = prop_oneof![
        "[!-~]([ -~]{0,20}[!-~])?",
        // Runs of spaces, which the canonical form collapses.
        "[a-z]{1,4}( {1,3}[a-z\"]{1,4}){0,4}",
    ];
    prop::collection::vec((name, value), 0..5)
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop_oneof![4 => Just("POST"), 1 => Just("GET"), 1 => Just("PUT")],
        path(),
        query(),
        extra_headers(),
        json_ish_body(),
        "[a-z]{2}-[a-z]{4,9}-[1-9]",
        prop_oneof![Just("codebuild"), Just("logs"), Just("s3"), Just("ssm"), Just("secretsmanager"), Just("events"),],
        any::<bool>(),
        any::<bool>(),
        -900i64..=900,
    )
        .prop_map(|(method, path, query, headers, body, region, service, presign, sha, skew)| Case {
            method,
            path,
            query,
            headers,
            body,
            region,
            service,
            presign,
            content_sha256_header: sha,
            skew,
        })
}

const SIGNED_AT: &str = "20261125T115500Z";

/// Signs the case as an SDK would for its service.
fn sign_case(case: &Case) -> (Owned, bool) {
    let mut headers = vec![
        ("host".to_owned(), "localhost:8080".to_owned()),
        ("content-type".to_owned(), "application/x-amz-json-1.1".to_owned()),
    ];
    headers.extend(case.headers.iter().cloned());
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let target = if case.query.is_empty() { case.path.clone() } else { format!("{}?{}", case.path, case.query) };
    let mut req = Owned::new(case.method, &target, &headers, &case.body);

    let s3 = case.service == "s3";
    let mut how = Signing::new(case.service, at(SIGNED_AT));
    how.region = case.region.clone();
    how.presign_for = case.presign.then_some(900);
    // S3 clients always send x-amz-content-sha256 and presign without the body.
    how.content_sha256_header = case.content_sha256_header || s3;
    how.unsigned_payload = s3 && case.presign;
    sign_with_aws(&mut req, &how);
    (req, how.unsigned_payload)
}

fn now(case: &Case) -> std::time::SystemTime {
    let offset = Duration::from_secs(case.skew.unsigned_abs());
    if case.skew >= 0 { at(SIGNED_AT) + offset } else { at(SIGNED_AT) - offset }
}

fn code(result: Result<kiln_wire::sigv4::Verified, AuthError>) -> &'static str {
    match result {
        Ok(_) => "accepted",
        Err(e) => e.code(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn whatever_aws_sigv4_signs_verifies(case in case()) {
        let (req, _) = sign_case(&case);
        let verified = verify(&req.request(), &keys(), now(&case));
        prop_assert!(verified.is_ok(), "{:?}\n{:?}", verified, req);
        let verified = verified.expect("checked");
        prop_assert_eq!(verified.access_key_id, AKID);
        prop_assert_eq!(verified.region, case.region.clone());
        prop_assert_eq!(verified.service, case.service);
    }

    #[test]
    fn one_changed_byte_is_refused(case in case(), index in any::<prop::sample::Index>()) {
        let (req, body_unsigned) = sign_case(&case);
        let now = now(&case);

        let mut body = req.clone();
        if body.body.is_empty() {
            body.body.push(b' ');
        } else {
            let i = index.index(body.body.len());
            body.body[i] ^= 0x01;
        }
        let want = if body_unsigned { "accepted" } else { "InvalidSignatureException" };
        prop_assert_eq!(code(verify(&body.request(), &keys(), now)), want);

        let mut header = req.clone();
        header.set_header("content-type", "application/x-amz-json-1.0");
        prop_assert_eq!(
            verify(&header.request(), &keys(), now),
            Err(AuthError::InvalidSignature(SIGNATURE_MISMATCH.to_owned()))
        );

        let mut path = req.clone();
        path.path.push('x');
        prop_assert_eq!(code(verify(&path.request(), &keys(), now)), "InvalidSignatureException");

        let wrong_secret = [Credentials {
            access_key_id: AKID.to_owned(),
            secret_access_key: format!("{SECRET}x"),
        }];
        prop_assert_eq!(
            verify(&req.request(), &wrong_secret, now),
            Err(AuthError::InvalidSignature(SIGNATURE_MISMATCH.to_owned()))
        );

        let other_key = [Credentials {
            access_key_id: "AKIDOTHER".to_owned(),
            secret_access_key: SECRET.to_owned(),
        }];
        prop_assert_eq!(verify(&req.request(), &other_key, now), Err(AuthError::UnrecognizedClient));
    }
}

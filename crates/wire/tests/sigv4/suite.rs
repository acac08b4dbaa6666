//! The AWS SigV4 signing test suite (`tests/data/aws-signing-test-suite-v4`, from the CRT
//! suite as shipped in aws-sigv4 1.6.4; see its README). Every pure step is checked —
//! canonical request, string to sign, signature — for both the header and the presigned
//! query form, and then `verify` must accept the signed request.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use http::HeaderMap;
use kiln_wire::sigv4::{
    PathRule, SignatureLocation, Verified, canonical_request, sha256_hex, signature, signing_key, string_to_sign,
    verify,
};

use crate::common::{AKID, Owned, SECRET, at, keys};

/// Cases whose expectations contradict double encoding: their request line holds a raw
/// space, or `%20` that the suite expects to stay `%20` (aws-sigv4 skips them for the same
/// reason: "rely on single encoding of path segments").
const SKIPPED: [&str; 2] = ["get-space-normalized", "get-space-unnormalized"];

/// Presigned with `X-Amz-Security-Token` added after signing (IoT-style).
const TOKEN_AFTER_SIGNING: &str = "post-sts-header-after";

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/aws-signing-test-suite-v4")
}

fn read(dir: &Path, file: &str) -> Option<String> {
    fs::read_to_string(dir.join(file)).ok()
}

/// Parses the suite's raw HTTP/1.1 text. Lines that start with whitespace continue the
/// previous header (obsolete line folding), joined with a space as a proxy would.
fn parse_http(text: &str) -> Owned {
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut lines = head.lines();
    let request_line = lines.next().expect("request line");
    let request_line = request_line.strip_suffix(" HTTP/1.1").unwrap_or(request_line);
    let (method, target) = request_line.split_once(' ').expect("method and target");
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            let last = headers.last_mut().expect("a header to continue");
            last.1.push(' ');
            last.1.push_str(line.trim());
        } else {
            let (name, value) = line.split_once(':').expect("name:value");
            headers.push((name.to_owned(), value.trim().to_owned()));
        }
    }
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    Owned::new(method, target, &headers, body.as_bytes())
}

fn authorization_param<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    let value = headers.get("authorization").expect("authorization").to_str().expect("ascii");
    value.split([',', ' ']).find_map(|piece| piece.strip_prefix(name)?.strip_prefix('=')).expect("parameter present")
}

fn query_param(query: &str, name: &str) -> String {
    let raw = query.split('&').find_map(|pair| pair.strip_prefix(name)?.strip_prefix('=')).expect("parameter present");
    raw.replace("%2F", "/").replace("%3B", ";")
}

struct Context {
    region: String,
    service: String,
    time: SystemTime,
    amz_date: String,
    normalize: bool,
}

fn context(dir: &Path) -> Context {
    let json: serde_json::Value =
        serde_json::from_str(&read(dir, "context.json").expect("context.json")).expect("json");
    let text = |key: &str| json[key].as_str().expect(key).to_owned();
    // "2015-08-30T12:36:00Z" -> "20150830T123600Z"
    let amz_date: String = text("timestamp").chars().filter(|c| *c != '-' && *c != ':').collect();
    Context {
        region: text("region"),
        service: text("service"),
        time: at(&amz_date),
        amz_date,
        normalize: json["normalize"].as_bool().expect("normalize"),
    }
}

fn trimmed(text: &str) -> &str {
    text.trim_end_matches('\n')
}

/// Checks one signed form of one case; returns whether `verify` was run on it.
fn check_form(dir: &Path, ctx: &Context, location: SignatureLocation) -> bool {
    let prefix = match location {
        SignatureLocation::Header => "header",
        SignatureLocation::Query => "query",
    };
    let name = dir.file_name().and_then(|n| n.to_str()).expect("case name");
    let Some(signed) = read(dir, &format!("{prefix}-signed-request.txt")) else {
        return false;
    };
    let req = parse_http(&signed);
    let (signed_headers, provided) = match location {
        SignatureLocation::Header => (
            authorization_param(&req.headers, "SignedHeaders").to_owned(),
            authorization_param(&req.headers, "Signature").to_owned(),
        ),
        SignatureLocation::Query => {
            (query_param(&req.query, "X-Amz-SignedHeaders"), query_param(&req.query, "X-Amz-Signature"))
        }
    };
    if name == TOKEN_AFTER_SIGNING && location == SignatureLocation::Query {
        // The token was appended to the URL after signing; we sign every query parameter
        // but the signature, so this is refused (Kiln issues no session tokens).
        assert_eq!(
            verify(&req.request(), &keys(), ctx.time).map_err(|e| e.to_string()),
            Err(kiln_wire::sigv4::SIGNATURE_MISMATCH.to_owned()),
            "{name}"
        );
        return false;
    }
    let rule = if ctx.normalize { PathRule::Normalized } else { PathRule::Raw };

    let creq = canonical_request(&req.request(), &signed_headers, &sha256_hex(&req.body), rule, location);
    let creq = String::from_utf8(creq).expect("ascii");
    let want = read(dir, &format!("{prefix}-canonical-request.txt")).expect("canonical request");
    assert_eq!(creq, trimmed(&want), "{name} {prefix}: canonical request");

    let scope = format!("{}/{}/{}/aws4_request", &ctx.amz_date[..8], ctx.region, ctx.service);
    let sts = string_to_sign(&ctx.amz_date, &scope, creq.as_bytes());
    let want = read(dir, &format!("{prefix}-string-to-sign.txt")).expect("string to sign");
    assert_eq!(sts, trimmed(&want), "{name} {prefix}: string to sign");

    let key = signing_key(SECRET, &ctx.amz_date[..8], &ctx.region, &ctx.service);
    let sig = signature(&key, &sts);
    let want = read(dir, &format!("{prefix}-signature.txt")).expect("signature");
    assert_eq!(sig, trimmed(&want), "{name} {prefix}: signature");
    assert_eq!(sig, provided, "{name} {prefix}: signature in the signed request");

    // `verify` derives the path rule from the service, so only normalised cases apply.
    if !ctx.normalize {
        return false;
    }
    let verified = verify(&req.request(), &keys(), ctx.time);
    assert_eq!(
        verified,
        Ok(Verified { access_key_id: AKID.to_owned(), region: ctx.region.clone(), service: ctx.service.clone() }),
        "{name} {prefix}: verify"
    );
    true
}

#[test]
fn every_suite_case_matches_step_by_step_and_verifies() {
    let mut dirs: Vec<PathBuf> = fs::read_dir(suite_dir())
        .expect("suite directory")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.join("context.json").exists())
        .collect();
    dirs.sort();
    let (mut forms, mut verified) = (0, 0);
    for dir in &dirs {
        let name = dir.file_name().and_then(|n| n.to_str()).expect("name");
        if SKIPPED.contains(&name) {
            continue;
        }
        let ctx = context(dir);
        for location in [SignatureLocation::Header, SignatureLocation::Query] {
            forms += 1;
            verified += usize::from(check_form(dir, &ctx, location));
        }
    }
    // 38 cases, 2 skipped; of the rest 30 are normalised (verified in both forms but one)
    // and 6 unnormalised (pure steps only).
    assert_eq!(dirs.len(), 38);
    assert_eq!(forms, 72);
    assert_eq!(verified, 59);
}

#[test]
fn a_percent_encoded_path_is_encoded_again_for_non_s3_services() {
    // The suite's `double-url-encode` case: a Lambda invoke with an ARN in the path.
    let dir = suite_dir().join("double-url-encode");
    let req = parse_http(&read(&dir, "header-signed-request.txt").expect("request"));
    let creq = canonical_request(
        &req.request(),
        "host;x-amz-date",
        &sha256_hex(b""),
        PathRule::for_service("lambda"),
        SignatureLocation::Header,
    );
    let want = read(&dir, "header-canonical-request.txt").expect("creq");
    assert_eq!(String::from_utf8(creq).expect("ascii"), trimmed(&want));
    let sts = read(&dir, "header-string-to-sign.txt").expect("sts");
    let key = signing_key(SECRET, "20210511", "us-east-2", "lambda");
    assert_eq!(signature(&key, trimmed(&sts)), authorization_param(&req.headers, "Signature"));
    let verified = verify(&req.request(), &keys(), at("20210511T154045Z")).expect("verifies");
    assert_eq!(verified.service, "lambda");
    assert_eq!(verified.region, "us-east-2");
}

#[test]
fn reserved_characters_in_a_path_are_encoded_for_non_s3_services() {
    // The suite's `double-encode-path` case (its canonical request only: its date is stale).
    let dir = suite_dir().join("double-encode-path");
    let req = parse_http(&read(&dir, "header-signed-request.txt").expect("request"));
    let creq = canonical_request(
        &req.request(),
        "host;x-amz-date",
        &sha256_hex(b""),
        PathRule::Normalized,
        SignatureLocation::Header,
    );
    let want = read(&dir, "header-canonical-request.txt").expect("creq");
    let uri_line = |text: &str| text.lines().nth(1).map(str::to_owned);
    assert_eq!(uri_line(&String::from_utf8(creq).expect("ascii")), uri_line(&want));
    assert_eq!(uri_line(&want).as_deref(), Some("/test/%40connections/JBDvjfGEIAMCERw%253D"));
}

#[test]
fn the_old_suite_signs_with_the_http_date_header() {
    // The 2011 AWS suite's get-vanilla: `Date` instead of `x-amz-date`, service `host`.
    let req = Owned::new(
        "GET",
        "/",
        &[
            ("date", "Mon, 09 Sep 2011 23:36:00 GMT"),
            ("host", "host.foo.com"),
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20110909/us-east-1/host/aws4_request, SignedHeaders=date;host, Signature=b27ccfbfa7df52a200ff74193ca6e32d4b48b8856fab7ebf1c595d0670a7e470",
            ),
        ],
        b"",
    );
    let verified = verify(&req.request(), &keys(), at("20110909T233600Z")).expect("verifies");
    assert_eq!(verified.service, "host");
}

//! The SigV4 verifier on arbitrary requests. Input, newline-separated: method, raw path, raw
//! query, then `name: value` header lines up to an empty line, then the body.
#![no_main]

use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderName, HeaderValue};
use kiln_wire::sigv4::{self, Credentials, PathRule, Request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut lines = data.split(|&b| b == b'\n');
    let mut next = || std::str::from_utf8(lines.next().unwrap_or_default()).unwrap_or_default();
    let (method, raw_path, raw_query) = (next(), next(), next());
    let mut headers = HeaderMap::new();
    let mut consumed = method.len() + raw_path.len() + raw_query.len() + 3;
    for line in data.get(consumed.min(data.len())..).unwrap_or_default().split(|&b| b == b'\n') {
        consumed += line.len() + 1;
        if line.is_empty() {
            break;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else { continue };
        if let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(&line[..colon]), HeaderValue::from_bytes(line[colon + 1..].trim_ascii()))
        {
            headers.append(name, value);
        }
    }
    let body = data.get(consumed.min(data.len())..).unwrap_or_default();
    let req = Request { method, raw_path, raw_query, headers: &headers, body };
    let keys = [Credentials {
        access_key_id: "AKIDEXAMPLE".into(),
        secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
    }];
    // 2015-08-30T12:36:00Z, the date of AWS's SigV4 test suite.
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_938_160);
    let _ = sigv4::verify(&req, &keys, now);
    let _ = sigv4::verify_unread_body(&req, &keys, now);
    let _ = sigv4::parse_authorization(&req);
    let _ = sigv4::canonical_uri(raw_path, PathRule::for_service("s3"));
    let _ = sigv4::canonical_uri(raw_path, PathRule::for_service("codebuild"));
    let _ = sigv4::canonical_query(raw_query, true);
});

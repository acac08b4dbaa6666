//! Artifact links: presigned S3 GET URLs for Kiln's own S3 endpoint, so that a browser (which
//! cannot sign) can download what a build uploaded, and so the request goes to S3 rather than
//! to the console (it carries `X-Amz-*` query parameters).

use kiln_wire::sigv4::{self, Credentials, PathRule, SignatureLocation};

/// How long a link works (seconds).
const EXPIRES: u32 = 3600;

/// `(bucket, key)` of an `arn:aws:s3:::bucket/key` artifact location.
pub fn s3_object(location: &str) -> Option<(&str, &str)> {
    let rest = location.strip_prefix("arn:aws:s3:::")?;
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    (!bucket.is_empty()).then_some((bucket, key))
}

/// The presigned path and query (`/bucket/key?X-Amz-...`) for a GET through `host`.
pub fn presign_get(key: &Credentials, region: &str, host: &str, bucket: &str, object: &str, now_s: i64) -> String {
    let path = format!("/{}/{}", encode(bucket, false), encode(object, true));
    let days = now_s.div_euclid(86_400);
    let secs = now_s.rem_euclid(86_400);
    let (y, m, d) = kiln_wire::civil_from_days(days);
    let date = format!("{y:04}{m:02}{d:02}");
    let amz_date = format!("{date}T{:02}{:02}{:02}Z", secs / 3600, (secs / 60) % 60, secs % 60);
    let scope = format!("{date}/{region}/s3/aws4_request");
    let credential = encode(&format!("{}/{scope}", key.access_key_id), false);
    let query = format!(
        "X-Amz-Algorithm={}&X-Amz-Credential={credential}&X-Amz-Date={amz_date}&X-Amz-Expires={EXPIRES}&X-Amz-SignedHeaders=host",
        sigv4::ALGORITHM
    );
    let mut headers = http::HeaderMap::new();
    if let Ok(h) = http::HeaderValue::from_str(host) {
        headers.insert(http::header::HOST, h);
    }
    let request = sigv4::Request { method: "GET", raw_path: &path, raw_query: &query, headers: &headers, body: &[] };
    let canonical =
        sigv4::canonical_request(&request, "host", sigv4::UNSIGNED_PAYLOAD, PathRule::Raw, SignatureLocation::Query);
    let to_sign = sigv4::string_to_sign(&amz_date, &scope, &canonical);
    let signature = sigv4::signature(&sigv4::signing_key(&key.secret_access_key, &date, region, "s3"), &to_sign);
    format!("{path}?{query}&X-Amz-Signature={signature}")
}

/// SigV4's URI encoding: unreserved characters stay, `/` stays in keys.
fn encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') || (keep_slash && b == b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations() {
        assert_eq!(s3_object("arn:aws:s3:::bucket/a/b.zip"), Some(("bucket", "a/b.zip")));
        assert_eq!(s3_object("arn:aws:s3:::bucket"), Some(("bucket", "")));
        assert_eq!(s3_object("s3://bucket/x"), None);
        assert_eq!(s3_object("arn:aws:s3:::"), None);
    }

    #[test]
    fn presigned_urls_verify() {
        let key = Credentials { access_key_id: "AKID".into(), secret_access_key: "s3cret".into() };
        let now = std::time::SystemTime::now();
        let now_s = now.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
        let url = presign_get(&key, "us-east-1", "127.0.0.1:9", "arts", "p/out put.zip", now_s);
        let (path, query) = url.split_once('?').unwrap();
        assert_eq!(path, "/arts/p/out%20put.zip");
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::HOST, http::HeaderValue::from_static("127.0.0.1:9"));
        let req = sigv4::Request { method: "GET", raw_path: path, raw_query: query, headers: &headers, body: &[] };
        let verified = sigv4::verify_unread_body(&req, std::slice::from_ref(&key), now).unwrap();
        assert_eq!(verified.access_key_id, "AKID");
        let wrong = Credentials { access_key_id: "AKID".into(), secret_access_key: "other".into() };
        assert!(sigv4::verify_unread_body(&req, &[wrong], now).is_err());
    }
}

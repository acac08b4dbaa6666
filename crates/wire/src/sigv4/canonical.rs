//! Step 1 of SigV4: the canonical request, built from the request exactly as received.

use super::Request;
use super::encode::{percent_decode, uri_encode, uri_encode_into};

/// How the canonical URI is derived from the raw path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathRule {
    /// Every service but S3: remove `.`/`..` segments and repeated slashes, then percent-encode
    /// the (already encoded) path once more, as botocore's `SigV4Auth._normalize_url_path`
    /// (`quote(normalize_url_path(path), safe='/~')`) and aws-sigv4's default settings do.
    Normalized,
    /// S3: the raw path as sent, neither normalised nor re-encoded (`S3SigV4Auth`).
    Raw,
}

impl PathRule {
    /// The rule a signer uses for `service` (the credential scope's service name).
    pub fn for_service(service: &str) -> PathRule {
        if service == "s3" { PathRule::Raw } else { PathRule::Normalized }
    }
}

/// Where the signature travels; presigned (query) requests leave `X-Amz-Signature` out of the
/// canonical query string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureLocation {
    /// The `Authorization` header.
    Header,
    /// `X-Amz-*` query parameters (a presigned URL).
    Query,
}

/// The canonical request: method, URI, query, signed headers with their values, the signed
/// header list and the payload hash, one per line. Bytes, because header values may be
/// non-UTF-8.
pub fn canonical_request(
    req: &Request<'_>,
    signed_headers: &str,
    payload_hash: &str,
    path_rule: PathRule,
    location: SignatureLocation,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + req.raw_path.len() + req.raw_query.len());
    out.extend_from_slice(req.method.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(canonical_uri(req.raw_path, path_rule).as_bytes());
    out.push(b'\n');
    let drop_signature = location == SignatureLocation::Query;
    out.extend_from_slice(canonical_query(req.raw_query, drop_signature).as_bytes());
    out.push(b'\n');
    canonical_headers(&mut out, req.headers, signed_headers);
    out.push(b'\n');
    out.extend_from_slice(signed_headers.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(payload_hash.as_bytes());
    out
}

/// The canonical URI for a raw (percent-encoded, as received) path.
pub fn canonical_uri(raw_path: &str, rule: PathRule) -> String {
    match rule {
        PathRule::Raw if raw_path.is_empty() => "/".to_owned(),
        PathRule::Raw => raw_path.to_owned(),
        PathRule::Normalized => {
            let normalized = remove_dot_segments(raw_path);
            let mut out = String::with_capacity(normalized.len() + 16);
            uri_encode_into(&mut out, normalized.as_bytes(), true);
            out
        }
    }
}

/// RFC 3986 §5.2.4 plus the AWS rule that empty segments (`//`) collapse. The trailing slash
/// survives as in aws-sigv4's `normalize_uri_path` (`/a/.` → `/a/`).
fn remove_dot_segments(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut out = String::with_capacity(path.len() + 1);
    out.push('/');
    out.push_str(&segments.join("/"));
    let trailing = ["/", "/.", "/./", "/..", "/../"].iter().any(|end| path.ends_with(end));
    if trailing && !out.ends_with('/') {
        out.push('/');
    }
    out
}

/// The canonical query string: each `key=value` decoded then re-encoded with the SigV4 set,
/// sorted by encoded key then value. A key without `=` gets an empty value.
pub fn canonical_query(raw_query: &str, drop_signature: bool) -> String {
    let mut pairs: Vec<(String, String)> = raw_query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .filter_map(|piece| {
            let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
            let key = percent_decode(key);
            if drop_signature && key == b"X-Amz-Signature" {
                return None;
            }
            Some((uri_encode(&key), uri_encode(&percent_decode(value))))
        })
        .collect();
    pairs.sort();
    let mut out = String::with_capacity(raw_query.len() + 16);
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(key);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// One `name:value` line per signed header, in the order the signer listed them (signers
/// list them sorted). Repeated headers are joined with `,`; a signed header that is absent
/// gets an empty value, so the signature simply fails to match.
fn canonical_headers(out: &mut Vec<u8>, headers: &http::HeaderMap, signed_headers: &str) {
    for name in signed_headers.split(';') {
        let name = name.to_ascii_lowercase();
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        // An invalid header name finds nothing rather than panicking.
        for (i, value) in headers.get_all(name.as_str()).iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            push_trimmed(out, value.as_bytes());
        }
        out.push(b'\n');
    }
}

/// Trims spaces at both ends and collapses runs of spaces to one, as aws-sigv4's `trim_all`
/// (only the space character: S3 keeps other whitespace).
fn push_trimmed(out: &mut Vec<u8>, value: &[u8]) {
    let mut pending_space = false;
    let mut wrote = false;
    for &byte in value {
        if byte == b' ' {
            pending_space = wrote;
        } else {
            if pending_space {
                out.push(b' ');
                pending_space = false;
            }
            out.push(byte);
            wrote = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalized_paths_lose_dot_segments_and_repeated_slashes() {
        let cases = [
            ("", "/"),
            ("/", "/"),
            ("//", "/"),
            ("/./", "/"),
            ("/example/..", "/"),
            ("/example1/example2/../..", "/"),
            ("/./example", "/example"),
            ("//example//", "/example/"),
            ("/a/.", "/a/"),
            ("/../a", "/a"),
            ("a/b", "/a/b"),
        ];
        for (raw, want) in cases {
            assert_eq!(canonical_uri(raw, PathRule::Normalized), want, "{raw:?}");
        }
    }

    #[test]
    fn normalized_paths_are_encoded_once_more_but_raw_paths_are_not() {
        let raw = "/functions/arn%3Aaws%3Alambda/invocations";
        assert_eq!(canonical_uri(raw, PathRule::Normalized), "/functions/arn%253Aaws%253Alambda/invocations");
        assert_eq!(canonical_uri(raw, PathRule::Raw), raw);
        assert_eq!(canonical_uri("/test/@connections", PathRule::Normalized), "/test/%40connections");
        assert_eq!(canonical_uri("/a/../b", PathRule::Raw), "/a/../b");
        assert_eq!(canonical_uri("", PathRule::Raw), "/");
    }

    #[test]
    fn service_s3_alone_keeps_the_raw_path() {
        assert_eq!(PathRule::for_service("s3"), PathRule::Raw);
        assert_eq!(PathRule::for_service("codebuild"), PathRule::Normalized);
        assert_eq!(PathRule::for_service("logs"), PathRule::Normalized);
    }

    #[test]
    fn query_pairs_are_reencoded_and_sorted_by_key_then_value() {
        assert_eq!(
            canonical_query("Param-3=Value3&Param=Value2&%E1%88%B4=Value1", false),
            "%E1%88%B4=Value1&Param=Value2&Param-3=Value3"
        );
        assert_eq!(canonical_query("b=2&a=z&a=y&&c", false), "a=y&a=z&b=2&c=");
        assert_eq!(canonical_query("c+d=%2fx%20y", false), "c%2Bd=%2Fx%20y");
        assert_eq!(canonical_query("", false), "");
    }

    #[test]
    fn the_signature_parameter_is_dropped_only_for_presigned_requests() {
        let query = "X-Amz-Date=1&X-Amz-Signature=abc";
        assert_eq!(canonical_query(query, true), "X-Amz-Date=1");
        assert_eq!(canonical_query(query, false), "X-Amz-Date=1&X-Amz-Signature=abc");
    }

    #[test]
    fn header_values_are_trimmed_collapsed_and_joined() {
        let mut headers = http::HeaderMap::new();
        headers.append("my-header1", http::HeaderValue::from_static("  a   b  c "));
        headers.append("my-header1", http::HeaderValue::from_static("second"));
        headers.insert("tabbed", http::HeaderValue::from_static("x\t\ty"));
        let mut out = Vec::new();
        canonical_headers(&mut out, &headers, "My-Header1;tabbed;absent;bad name");
        assert_eq!(
            String::from_utf8(out).expect("ascii"),
            "my-header1:a b c,second\ntabbed:x\t\ty\nabsent:\nbad name:\n"
        );
    }
}

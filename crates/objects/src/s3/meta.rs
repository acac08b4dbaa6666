//! An object's description from the headers of a GET or HEAD answer.

use http::HeaderMap;

use super::time::parse_http_date;
use crate::ObjectMeta;

fn text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The description of `bucket/key` whose size is `size`.
pub fn from_headers(bucket: &str, key: &str, headers: &HeaderMap, size: u64) -> ObjectMeta {
    let metadata = headers
        .iter()
        .filter_map(|(name, value)| {
            let name = name.as_str().strip_prefix("x-amz-meta-")?;
            Some((name.to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
        })
        .collect();
    ObjectMeta {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        size,
        etag: text(headers, "etag").unwrap_or_default().to_owned(),
        last_modified_ms: text(headers, "last-modified").and_then(parse_http_date).unwrap_or(0),
        // S3 names the version of an object written while versioning was off "null".
        version_id: text(headers, "x-amz-version-id").filter(|v| !v.is_empty() && *v != "null").map(str::to_owned),
        content_type: text(headers, "content-type").map(str::to_owned),
        metadata,
    }
}

pub fn content_length(headers: &HeaderMap) -> Option<u64> {
    text(headers, "content-length")?.trim().parse().ok()
}

/// The object's whole size from `Content-Range: bytes 0-3/10` (or `bytes */10`).
pub fn content_range_total(headers: &HeaderMap) -> Option<u64> {
    let (_, total) = text(headers, "content-range")?.trim().strip_prefix("bytes ")?.rsplit_once('/')?;
    total.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn headers_describe_the_object() {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("etag", "\"abc\""),
            ("last-modified", "Mon, 12 Oct 2009 17:50:30 GMT"),
            ("x-amz-version-id", "v1"),
            ("content-type", "text/plain"),
            ("x-amz-meta-owner", "kiln"),
            ("content-length", "4"),
            ("content-range", "bytes 2-5/10"),
        ] {
            headers.insert(name, HeaderValue::from_static(value));
        }
        let meta = from_headers("b", "k", &headers, 10);
        assert_eq!(meta.etag, "\"abc\"");
        assert_eq!(meta.last_modified_ms, 1_255_369_830_000);
        assert_eq!(meta.version_id.as_deref(), Some("v1"));
        assert_eq!(meta.content_type.as_deref(), Some("text/plain"));
        assert_eq!(meta.metadata.get("owner").map(String::as_str), Some("kiln"));
        assert_eq!((meta.bucket.as_str(), meta.key.as_str(), meta.size), ("b", "k", 10));
        assert_eq!(content_length(&headers), Some(4));
        assert_eq!(content_range_total(&headers), Some(10));
        headers.insert("x-amz-version-id", HeaderValue::from_static("null"));
        headers.insert("content-range", HeaderValue::from_static("bytes */7"));
        assert_eq!(from_headers("b", "k", &headers, 0).version_id, None);
        assert_eq!(content_range_total(&headers), Some(7));
    }
}

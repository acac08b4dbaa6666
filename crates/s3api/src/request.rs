//! A path-style request taken apart: bucket and key from the path, parameters from the query.

use crate::error::S3Error;

/// What the path names: the service (`/`), a bucket (`/b`), or an object (`/b/k`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub bucket: Option<String>,
    pub key: Option<String>,
}

/// Splits `/bucket/key` (percent-encoded, as received). The key is everything after the
/// bucket's slash, slashes included; an empty key names the bucket.
pub fn parse_path(raw_path: &str) -> Result<Target, S3Error> {
    let invalid = || S3Error::new(400, "InvalidURI", "Couldn't parse the specified URI.");
    let path = raw_path.strip_prefix('/').unwrap_or(raw_path);
    if path.is_empty() {
        return Ok(Target { bucket: None, key: None });
    }
    let (bucket, key) = match path.split_once('/') {
        Some((bucket, key)) => (bucket, key),
        None => (path, ""),
    };
    let bucket = percent_decode(bucket, false).ok_or_else(invalid)?;
    let key = if key.is_empty() { None } else { Some(percent_decode(key, false).ok_or_else(invalid)?) };
    Ok(Target { bucket: Some(bucket), key })
}

/// The query's parameters, decoded (`+` is a space in a query, as S3 reads it).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Query(Vec<(String, Option<String>)>);

impl Query {
    pub fn parse(raw: &str) -> Result<Query, S3Error> {
        let mut params = Vec::new();
        for piece in raw.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = match piece.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (piece, None),
            };
            let decode = |text: &str| {
                percent_decode(text, true)
                    .ok_or_else(|| S3Error::invalid_argument(format!("Invalid query parameter encoding: {piece}")))
            };
            params.push((decode(name)?, value.map(decode).transpose()?));
        }
        Ok(Query(params))
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n == name)
    }

    /// The parameter's value; a parameter without `=` has the empty value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_deref().unwrap_or(""))
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(n, _)| n.as_str())
    }
}

/// `%XX` decoding to UTF-8; `None` for a bad escape or bytes that are not UTF-8.
pub fn percent_decode(text: &str, plus_is_space: bool) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// `encoding-type=url`: every byte but unreserved characters and `/` as `%XX` (botocore
/// decodes with `unquote_plus`, so a literal `+` must be escaped too).
pub fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for &byte in text.as_bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(bucket: Option<&str>, key: Option<&str>) -> Target {
        Target { bucket: bucket.map(str::to_owned), key: key.map(str::to_owned) }
    }

    #[test]
    fn paths_split_into_bucket_and_key() {
        assert_eq!(parse_path("/").expect("ok"), target(None, None));
        assert_eq!(parse_path("").expect("ok"), target(None, None));
        assert_eq!(parse_path("/bkt").expect("ok"), target(Some("bkt"), None));
        assert_eq!(parse_path("/bkt/").expect("ok"), target(Some("bkt"), None));
        assert_eq!(parse_path("/bkt/a%20b/%C3%BC%2Bc").expect("ok"), target(Some("bkt"), Some("a b/ü+c")));
        // A literal plus in a path is a plus; slashes and dots are kept as sent.
        assert_eq!(parse_path("/bkt/a+b//../c/").expect("ok"), target(Some("bkt"), Some("a+b//../c/")));
        assert_eq!(parse_path("/bkt/%FF").map_err(|e| e.code), Err("InvalidURI"));
        assert_eq!(parse_path("/bkt/%2").map_err(|e| e.code), Err("InvalidURI"));
    }

    #[test]
    fn queries_decode_names_and_values() {
        let q = Query::parse("list-type=2&prefix=a%2Fb+c&delete&versionId=").expect("ok");
        assert_eq!(q.get("list-type"), Some("2"));
        assert_eq!(q.get("prefix"), Some("a/b c"));
        assert!(q.has("delete"));
        assert_eq!(q.get("delete"), Some(""));
        assert_eq!(q.get("versionId"), Some(""));
        assert_eq!(q.get("missing"), None);
        assert!(Query::parse("prefix=%ZZ").is_err());
    }

    #[test]
    fn url_encoding_round_trips_through_unquote_plus_rules() {
        assert_eq!(url_encode("a b+c/ü&"), "a%20b%2Bc/%C3%BC%26");
        assert_eq!(percent_decode(&url_encode("a b+c/ü&"), true).as_deref(), Some("a b+c/ü&"));
    }
}

//! Cache keys and archive names.
//!
//! A cache is stored under its *version* (a hash of its paths, so a cache of other paths never
//! matches) and then, with `cache.key`, under the key; without one, under the one implicit name
//! of the project (or namespace). Keys are encoded so that each is one path segment and the
//! encoding of a prefix is a prefix of the encoding: fallback keys match by prefix.

use sha2::{Digest, Sha256};

/// The longest key accepted, in bytes.
pub const MAX_KEY_BYTES: usize = 256;

/// The archive name used without `cache.key`.
const IMPLICIT: &str = "default";

/// Why an evaluated key cannot be used, if it cannot.
pub fn check(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("the cache key is empty".to_string());
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(format!("the cache key is {} bytes long; at most {MAX_KEY_BYTES} are allowed", key.len()));
    }
    if key.chars().any(char::is_control) {
        return Err("the cache key contains control characters".to_string());
    }
    Ok(())
}

/// `0-9A-Za-z._-` as they are, every other byte as `%XX`.
pub fn encode(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for &byte in key.as_bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A hash of the cache's paths (build-relative patterns): order and repeats do not matter.
pub fn version(patterns: &[String]) -> String {
    let mut sorted: Vec<&str> = patterns.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let digest = Sha256::digest(sorted.join("\n").as_bytes());
    hex::encode(&digest[..8])
}

/// The archive's name in the cache store: `<version>/keys/<key>`, or `<version>/default`.
pub fn archive_name(version: &str, key: Option<&str>) -> String {
    match key {
        Some(key) => format!("{version}/keys/{}", encode(key)),
        None => format!("{version}/{IMPLICIT}"),
    }
}

/// What the archive names of keys starting with `prefix` start with.
pub fn prefix_name(version: &str, prefix: &str) -> String {
    format!("{version}/keys/{}", encode(prefix))
}

/// The key an archive name was made from (`None` for the implicit one).
pub fn key_of(name: &str) -> Option<String> {
    let (_, encoded) = name.split_once("/keys/")?;
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], escaped.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked() {
        assert!(check("npm-key-abc123").is_ok());
        assert_eq!(check(""), Err("the cache key is empty".to_string()));
        assert!(check(&"k".repeat(MAX_KEY_BYTES)).is_ok());
        assert!(check(&"k".repeat(MAX_KEY_BYTES + 1)).unwrap_err().contains("257 bytes"));
        assert!(check("a\nb").unwrap_err().contains("control"));
    }

    #[test]
    fn encoding_keeps_prefixes_and_round_trips() {
        assert_eq!(encode("npm-key_1.0"), "npm-key_1.0");
        assert_eq!(encode("a/b c%"), "a%2Fb%20c%25");
        assert_eq!(encode(".."), "..");
        for (key, prefix) in [("npm-key-abc", "npm-"), ("ü/x", "ü"), ("a b", "a ")] {
            assert!(encode(key).starts_with(&encode(prefix)), "{key} / {prefix}");
        }
        for key in ["npm-key-abc", "a/b c%", "ü-€", "%41"] {
            assert_eq!(key_of(&archive_name("v", Some(key))).as_deref(), Some(key));
        }
        assert_eq!(key_of(&archive_name("v", None)), None);
    }

    #[test]
    fn names_and_versions() {
        let v = version(&["src/node_modules/**/*".into(), "home/.m2/**/*".into()]);
        assert_eq!(v.len(), 16);
        assert_eq!(v, version(&["home/.m2/**/*".into(), "src/node_modules/**/*".into(), "home/.m2/**/*".into()]));
        assert_ne!(v, version(&["src/node_modules/**/*".into()]));
        assert_eq!(archive_name(&v, None), format!("{v}/default"));
        assert_eq!(archive_name(&v, Some("k 1")), format!("{v}/keys/k%201"));
        assert!(archive_name(&v, Some("npm-abc")).starts_with(&prefix_name(&v, "npm-")));
    }
}

//! Names from clients, checked and mapped to file names: bucket names by S3's rules, object keys
//! encoded (never used as paths), version and upload ids by their own fixed formats.

use sha2::{Digest, Sha256};

use crate::{ObjectError, Result};

/// S3's longest key, in UTF-8 bytes.
pub const MAX_KEY_BYTES: usize = 1024;

/// Encoded keys longer than this are stored under a hash of the key (file names are limited to
/// 255 bytes on common filesystems; the margin leaves room for nothing else but is cheap).
const MAX_ENCODED_NAME: usize = 200;

/// Marks a hashed file name; never produced by [`encode_key`]'s readable form (`~` is escaped).
const HASHED_PREFIX: char = '~';

/// S3's bucket naming rules for general purpose buckets: 3–63 characters of lowercase letters,
/// digits, dots and hyphens, starting and ending with a letter or digit, no `..`, not an IPv4
/// address, and none of the reserved prefixes and suffixes.
pub fn validate_bucket(name: &str) -> Result<()> {
    let bad = |why: &str| Err(ObjectError::InvalidBucketName(format!("{name}: {why}")));
    if !(3..=63).contains(&name.len()) {
        return bad("bucket names must be between 3 and 63 characters long");
    }
    if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-') {
        return bad("bucket names can consist only of lowercase letters, numbers, dots (.), and hyphens (-)");
    }
    let alnum = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !alnum(name.bytes().next()) || !alnum(name.bytes().last()) {
        return bad("bucket names must begin and end with a letter or number");
    }
    if name.contains("..") {
        return bad("bucket names must not contain two adjacent periods");
    }
    if name.split('.').count() == 4 && name.split('.').all(|part| part.parse::<u8>().is_ok()) {
        return bad("bucket names must not be formatted as an IP address");
    }
    if ["xn--", "sthree-", "amzn-s3-demo-"].iter().any(|p| name.starts_with(p)) {
        return bad("bucket names must not start with a reserved prefix");
    }
    if ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"].iter().any(|s| name.ends_with(s)) {
        return bad("bucket names must not end with a reserved suffix");
    }
    Ok(())
}

/// Keys are 1 to 1024 bytes of UTF-8 (guaranteed by `&str`). NUL is refused: no client needs
/// it and many tools that later see keys as paths break on it.
pub fn validate_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(ObjectError::InvalidKey("object keys must not be empty".to_owned()));
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(ObjectError::InvalidKey(format!(
            "object keys are at most {MAX_KEY_BYTES} bytes long, this one is {}",
            key.len()
        )));
    }
    if key.contains('\0') {
        return Err(ObjectError::InvalidKey("object keys must not contain NUL".to_owned()));
    }
    Ok(())
}

/// Bytes kept as they are in a file name; everything else is `%XX`. A leading `.` is escaped
/// too, so that no name is `.`, `..` or hidden; `/` is always escaped, so a name is one path
/// component whatever the key.
fn keep(byte: u8, first: bool) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' || (byte == b'.' && !first)
}

/// The file name of a key: readable (`%XX` escapes) when short enough, otherwise
/// `~<sha256 hex>`, in which case the key is only in the stored objects themselves.
pub fn encode_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 8);
    for (i, &byte) in key.as_bytes().iter().enumerate() {
        if keep(byte, i == 0) {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(hex_digit(byte >> 4));
            out.push(hex_digit(byte & 0xf));
        }
        if out.len() > MAX_ENCODED_NAME {
            return format!("{HASHED_PREFIX}{}", hex::encode(Sha256::digest(key.as_bytes())));
        }
    }
    out
}

/// What a file name in a bucket's object directory says about its key.
#[derive(Debug, PartialEq, Eq)]
pub enum DecodedName {
    /// The key itself.
    Key(String),
    /// A hashed name: the key must be read from the object.
    Hashed,
    /// Not a name this store writes.
    Foreign,
}

pub fn decode_name(name: &str) -> DecodedName {
    if name.starts_with(HASHED_PREFIX) {
        let hash = &name[1..];
        return if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            DecodedName::Hashed
        } else {
            DecodedName::Foreign
        };
    }
    let bytes = name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        if byte == b'%' {
            let (Some(hi), Some(lo)) = (bytes.get(i + 1).and_then(hex_value), bytes.get(i + 2).and_then(hex_value))
            else {
                return DecodedName::Foreign;
            };
            out.push(hi << 4 | lo);
            i += 3;
        } else if keep(byte, i == 0) {
            out.push(byte);
            i += 1;
        } else {
            return DecodedName::Foreign;
        }
    }
    match String::from_utf8(out) {
        // Only the canonical encoding of a key counts, so two names never mean one key.
        Ok(key) if !key.is_empty() && encode_key(&key) == name => DecodedName::Key(key),
        _ => DecodedName::Foreign,
    }
}

fn hex_digit(nibble: u8) -> char {
    char::from(b"0123456789ABCDEF"[usize::from(nibble & 0xf)])
}

fn hex_value(byte: &u8) -> Option<u8> {
    char::from(*byte).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// Version and upload ids are 32 lowercase hex digits: anything else names nothing (and never
/// reaches the filesystem).
pub fn is_id(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_single_safe_components_and_back() {
        let keys = [
            "a",
            "dir/file.txt",
            "../../etc/passwd",
            "/absolute",
            ".",
            "..",
            ".hidden",
            "a//b",
            "spaces and +plus%percent",
            "ünïcødé/日本",
            "~tilde",
            "back\\slash",
        ];
        for key in keys {
            let name = encode_key(key);
            assert!(!name.contains('/') && !name.contains('\0'), "{key:?} -> {name:?}");
            assert!(name != "." && name != ".." && !name.starts_with('.'), "{key:?} -> {name:?}");
            assert!(name.len() <= MAX_ENCODED_NAME + 3, "{key:?}");
            assert_eq!(decode_name(&name), DecodedName::Key(key.to_owned()), "{key:?} -> {name:?}");
        }
        assert_eq!(encode_key("../x"), "%2E.%2Fx");
        assert_eq!(encode_key("a b/c.txt"), "a%20b%2Fc.txt");
    }

    #[test]
    fn long_keys_are_hashed_and_distinct() {
        let a = "k".repeat(500);
        let b = format!("{}j", "k".repeat(499));
        let (na, nb) = (encode_key(&a), encode_key(&b));
        assert!(na.starts_with('~') && na.len() == 65);
        assert_ne!(na, nb);
        assert_eq!(decode_name(&na), DecodedName::Hashed);
        // 67 escaped bytes (201 chars) tip over; 66 (198) do not.
        assert!(encode_key(&"/".repeat(67)).starts_with('~'));
        assert_eq!(decode_name(&encode_key(&"/".repeat(66))), DecodedName::Key("/".repeat(66)));
    }

    #[test]
    fn names_the_store_does_not_write_are_foreign() {
        for name in ["", ".", "..", ".x", "a/b", "a%2", "a%zz", "%2e", "~abc", "a b", "%FF", "%61"] {
            assert_eq!(decode_name(name), DecodedName::Foreign, "{name:?}");
        }
    }

    #[test]
    fn bucket_names_follow_s3_rules() {
        for good in ["abc", "my-bucket", "my.bucket.1", "a".repeat(63).as_str(), "1bucket"] {
            assert!(validate_bucket(good).is_ok(), "{good}");
        }
        let too_long = "a".repeat(64);
        for bad in [
            "ab",
            too_long.as_str(),
            "MyBucket",
            "my_bucket",
            "-bucket",
            "bucket-",
            ".bucket",
            "my..bucket",
            "192.168.5.4",
            "xn--bucket",
            "sthree-x",
            "bucket-s3alias",
            "bucket--ol-s3",
            "a/b",
            "a b",
            "..",
        ] {
            assert!(matches!(validate_bucket(bad), Err(ObjectError::InvalidBucketName(_))), "{bad}");
        }
    }

    #[test]
    fn keys_are_checked_for_length_and_nul() {
        assert!(validate_key("x").is_ok());
        assert!(validate_key(&"x".repeat(1024)).is_ok());
        assert!(validate_key("").is_err());
        assert!(validate_key(&"x".repeat(1025)).is_err());
        assert!(validate_key("a\0b").is_err());
    }

    #[test]
    fn ids_are_32_lowercase_hex_digits() {
        assert!(is_id("0123456789abcdef0123456789abcdef"));
        assert!(!is_id("0123456789ABCDEF0123456789abcdef"));
        assert!(!is_id("../../../../../../../../../etc/x"));
        assert!(!is_id(""));
    }
}

//! Percent-encoding as SigV4 defines it (RFC 3986 unreserved characters pass, everything else
//! becomes `%XX` with upper-case hex), and the lenient decoding applied to received query strings.

/// Bytes that SigV4 never escapes.
fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~')
}

/// Appends `bytes` to `out`, escaping every byte except the unreserved ones (and `/` when
/// `keep_slash`, which is how path segments are joined).
pub(crate) fn uri_encode_into(out: &mut String, bytes: &[u8], keep_slash: bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &byte in bytes {
        if is_unreserved(byte) || (keep_slash && byte == b'/') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
}

/// Escapes a query key or value.
pub(crate) fn uri_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    uri_encode_into(&mut out, bytes, false);
    out
}

/// Decodes `%XX` escapes. A `%` not followed by two hex digits is kept as a literal byte, and
/// `+` stays `+` (the AWS test suite's `get-query-plus` signs `c+d` as `c%2Bd`).
pub(crate) fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) =
                (bytes.get(i + 1).and_then(|b| hex_value(*b)), bytes.get(i + 2).and_then(|b| hex_value(*b)))
        {
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreserved_characters_pass_and_the_rest_is_escaped_in_upper_case_hex() {
        assert_eq!(uri_encode(b"AZaz09-_.~"), "AZaz09-_.~");
        assert_eq!(uri_encode(b"a b/c+d=e%"), "a%20b%2Fc%2Bd%3De%25");
        assert_eq!(uri_encode("ሴ".as_bytes()), "%E1%88%B4");
    }

    #[test]
    fn slash_is_kept_only_when_asked() {
        let mut out = String::new();
        uri_encode_into(&mut out, b"/a b/", true);
        assert_eq!(out, "/a%20b/");
    }

    #[test]
    fn decoding_accepts_either_hex_case_and_keeps_broken_escapes_and_plus() {
        assert_eq!(percent_decode("%2f%2F"), b"//");
        assert_eq!(percent_decode("%zz%4"), b"%zz%4");
        assert_eq!(percent_decode("a+b"), b"a+b");
        assert_eq!(percent_decode("%E1%88%B4"), "ሴ".as_bytes());
    }
}

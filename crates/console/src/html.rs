//! Escaping for HTML text and attributes, and percent-encoding for URL path segments.

use std::fmt::Write as _;

/// Text safe inside an element or a double-quoted attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One URL path segment (or query value): everything but unreserved characters and `:` is
/// percent-encoded, so a segment can never add `/`, `?` or `#`.
pub fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b':') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Decodes `%XX` escapes (and `+` as space when `plus` is set); invalid escapes stay as written.
pub fn percent_decode(text: &str, plus: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// The fields of an `application/x-www-form-urlencoded` body or a query string.
pub fn form_fields(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(name, true), percent_decode(value, true))
        })
        .collect()
}

/// The first value of a form field.
pub fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(escape(r#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
        assert_eq!(escape("plain ünïcode"), "plain ünïcode");
    }

    #[test]
    fn segments_cannot_break_out_of_the_path() {
        assert_eq!(segment("p:1234-ab"), "p:1234-ab");
        assert_eq!(segment("a/b?c#d e"), "a%2Fb%3Fc%23d%20e");
        assert_eq!(segment("\"><script>"), "%22%3E%3Cscript%3E");
    }

    #[test]
    fn decodes_forms() {
        let fields = form_fields("csrf=a%2Bb&sourceVersion=refs%2Fheads%2Fmain+x&empty=&bad=%zz%4");
        assert_eq!(field(&fields, "csrf"), Some("a+b"));
        assert_eq!(field(&fields, "sourceVersion"), Some("refs/heads/main x"));
        assert_eq!(field(&fields, "empty"), Some(""));
        assert_eq!(field(&fields, "bad"), Some("%zz%4"));
        assert_eq!(field(&fields, "missing"), None);
        assert_eq!(percent_decode("%E2%9C%93", false), "✓");
        assert_eq!(percent_decode("a+b", false), "a+b");
    }
}

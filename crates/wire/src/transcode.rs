//! AWS JSON 1.1 text straight into Smithy RPC v2 CBOR, without the model types in between.
//!
//! Stored documents are the model's JSON already; answering a CBOR call by decoding a hundred
//! of them into typed values only to encode them again costs more than the rest of the call.
//! JSON does not say which numbers are timestamps (CBOR tag 1), so the caller names those
//! members (`kiln_model::codebuild::BUILD_TIMESTAMP_MEMBERS`, checked by the model's generator).

use std::borrow::Cow;

/// CBOR major types (RFC 8949 §3.1).
const UNSIGNED: u8 = 0;
const NEGATIVE: u8 = 1;
const TEXT: u8 = 3;
const ARRAY: u8 = 4;
const MAP: u8 = 5;
/// Tag 1, "epoch-based date/time", in one byte (major type 6, value 1).
const EPOCH_TAG: u8 = 0xc1;
const FALSE: u8 = 0xf4;
const TRUE: u8 = 0xf5;
const NULL: u8 = 0xf6;
const FLOAT64: u8 = 0xfb;

/// Appends the CBOR form of the JSON value `json` to `out`, tagging the numbers held by a
/// member named in `timestamps` as epoch times. Maps and arrays get definite lengths, as the
/// typed encoder writes them. On an error `out` may hold part of the value.
pub fn json_to_cbor(json: &str, timestamps: &[&str], out: &mut Vec<u8>) -> Result<(), TranscodeError> {
    let mut t = Transcoder { text: json, at: 0, timestamps, out };
    t.value(false, 0)?;
    t.skip_space();
    if t.at < t.text.len() {
        return Err(t.error("trailing characters"));
    }
    Ok(())
}

/// JSON that is not valid, with where the transcoder stopped.
#[derive(Debug, thiserror::Error)]
#[error("invalid JSON at byte {at}: {problem}")]
pub struct TranscodeError {
    pub at: usize,
    pub problem: &'static str,
}

/// Appends a CBOR text string.
pub fn write_text(out: &mut Vec<u8>, text: &str) {
    write_head(out, TEXT, text.len() as u64);
    out.extend_from_slice(text.as_bytes());
}

/// Appends the head of a map of `entries` pairs; the pairs follow.
pub fn write_map_head(out: &mut Vec<u8>, entries: usize) {
    write_head(out, MAP, entries as u64);
}

/// Appends the head of an array of `items` items; the items follow.
pub fn write_array_head(out: &mut Vec<u8>, items: usize) {
    write_head(out, ARRAY, items as u64);
}

/// A CBOR head: the major type and an argument in its shortest form (RFC 8949 §3).
fn head(major: u8, n: u64) -> ([u8; 9], usize) {
    let mut bytes = [0u8; 9];
    let top = major << 5;
    let len = match n {
        0..=23 => {
            bytes[0] = top | n as u8;
            1
        }
        24..=0xff => {
            bytes[0] = top | 24;
            bytes[1] = n as u8;
            2
        }
        0x100..=0xffff => {
            bytes[0] = top | 25;
            bytes[1..3].copy_from_slice(&(n as u16).to_be_bytes());
            3
        }
        0x1_0000..=0xffff_ffff => {
            bytes[0] = top | 26;
            bytes[1..5].copy_from_slice(&(n as u32).to_be_bytes());
            5
        }
        _ => {
            bytes[0] = top | 27;
            bytes[1..9].copy_from_slice(&n.to_be_bytes());
            9
        }
    };
    (bytes, len)
}

fn write_head(out: &mut Vec<u8>, major: u8, n: u64) {
    let (bytes, len) = head(major, n);
    out.extend_from_slice(&bytes[..len]);
}

/// Starts a container whose length JSON tells only at its end: one byte is kept for the head,
/// enough for up to 23 items, which nearly every container in a document has.
fn open_container(out: &mut Vec<u8>) -> usize {
    out.push(0);
    out.len() - 1
}

/// Writes the head of the container opened at `start`, now that it is known to hold `n` items,
/// moving them along only if the head needs more than the byte kept.
fn close_container(out: &mut Vec<u8>, start: usize, major: u8, n: u64) {
    let (bytes, len) = head(major, n);
    out[start] = bytes[0];
    if len > 1 {
        out.splice(start + 1..start + 1, bytes[1..len].iter().copied());
    }
}

/// Deeper nesting is refused rather than risk the stack (serde_json's limit too).
const MAX_DEPTH: usize = 128;

/// A single pass over JSON text, writing CBOR as it goes. Stored documents are a few KiB of
/// short keys and strings; serde_json's generic visitor machinery cost more than the bytes.
struct Transcoder<'a> {
    text: &'a str,
    at: usize,
    timestamps: &'a [&'a str],
    out: &'a mut Vec<u8>,
}

impl<'a> Transcoder<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn error(&self, problem: &'static str) -> TranscodeError {
        TranscodeError { at: self.at, problem }
    }

    fn skip_space(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes().get(self.at) {
            self.at += 1;
        }
    }

    /// The next byte that is not white space, not consumed.
    fn peek(&mut self) -> Result<u8, TranscodeError> {
        self.skip_space();
        self.bytes().get(self.at).copied().ok_or_else(|| self.error("unexpected end"))
    }

    fn expect(&mut self, byte: u8, problem: &'static str) -> Result<(), TranscodeError> {
        if self.peek()? != byte {
            return Err(self.error(problem));
        }
        self.at += 1;
        Ok(())
    }

    /// One value; `timestamp` when its member names a timestamp.
    fn value(&mut self, timestamp: bool, depth: usize) -> Result<(), TranscodeError> {
        if depth > MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        match self.peek()? {
            b'{' => self.map(depth),
            b'[' => self.array(depth),
            b'"' => {
                let text = self.string()?;
                write_text(self.out, &text);
                Ok(())
            }
            b't' => self.literal(b"true", TRUE),
            b'f' => self.literal(b"false", FALSE),
            b'n' => self.literal(b"null", NULL),
            b'-' | b'0'..=b'9' => self.number(timestamp),
            _ => Err(self.error("expected a value")),
        }
    }

    fn literal(&mut self, word: &[u8], cbor: u8) -> Result<(), TranscodeError> {
        if !self.bytes()[self.at..].starts_with(word) {
            return Err(self.error("expected true, false or null"));
        }
        self.at += word.len();
        self.out.push(cbor);
        Ok(())
    }

    fn map(&mut self, depth: usize) -> Result<(), TranscodeError> {
        self.container(MAP, b'}', "expected ',' or '}'", |t| {
            if t.peek()? != b'"' {
                return Err(t.error("expected a member name"));
            }
            let key = t.string()?;
            write_text(t.out, &key);
            let timestamp = t.timestamps.contains(&&*key);
            t.expect(b':', "expected ':'")?;
            t.value(timestamp, depth + 1)
        })
    }

    fn array(&mut self, depth: usize) -> Result<(), TranscodeError> {
        self.container(ARRAY, b']', "expected ',' or ']'", |t| t.value(false, depth + 1))
    }

    /// A map or an array at its opening bracket: `item` (a member, or a value) separated by
    /// commas up to `close`, written under a head of the `major` type once their number is known.
    fn container(
        &mut self,
        major: u8,
        close: u8,
        problem: &'static str,
        mut item: impl FnMut(&mut Self) -> Result<(), TranscodeError>,
    ) -> Result<(), TranscodeError> {
        self.at += 1; // '{' or '['
        let start = open_container(self.out);
        let mut n = 0u64;
        if self.peek()? == close {
            self.at += 1;
        } else {
            loop {
                item(self)?;
                n += 1;
                match self.peek()? {
                    b',' => self.at += 1,
                    b if b == close => {
                        self.at += 1;
                        break;
                    }
                    _ => return Err(self.error(problem)),
                }
            }
        }
        close_container(self.out, start, major, n);
        Ok(())
    }

    /// A string at `"`: borrowed from the text unless it has escapes.
    fn string(&mut self) -> Result<Cow<'a, str>, TranscodeError> {
        let (text, json) = (self.text, self.bytes());
        self.at += 1; // '"'
        let begin = self.at;
        let Some(len) = plain_len(&json[begin..]) else { return Err(self.error("unterminated string")) };
        self.at += len;
        if json[self.at] == b'"' {
            self.at += 1;
            // It starts and ends next to ASCII quotes, so it is whole characters of `text`.
            return text.get(begin..self.at - 1).map(Cow::Borrowed).ok_or_else(|| self.error("invalid UTF-8"));
        }
        let mut decoded = json[begin..self.at].to_vec();
        loop {
            match json.get(self.at).copied() {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    self.at += 1;
                    break;
                }
                Some(b'\\') => self.escape(&mut decoded)?,
                Some(b) if b < 0x20 => return Err(self.error("control character in string")),
                Some(b) => {
                    decoded.push(b);
                    self.at += 1;
                }
            }
        }
        String::from_utf8(decoded).map(Cow::Owned).map_err(|_| self.error("invalid UTF-8"))
    }

    /// An escape at `\`, decoded onto `text`.
    fn escape(&mut self, text: &mut Vec<u8>) -> Result<(), TranscodeError> {
        let Some(&kind) = self.bytes().get(self.at + 1) else { return Err(self.error("unterminated string")) };
        self.at += 2;
        let byte = match kind {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let mut c = u32::from(self.hex4()?);
                if (0xd800..0xdc00).contains(&c) {
                    // A high surrogate: its low half must follow as another \u escape.
                    if self.bytes().get(self.at..self.at + 2) != Some(b"\\u") {
                        return Err(self.error("lone surrogate"));
                    }
                    self.at += 2;
                    let low = u32::from(self.hex4()?);
                    if !(0xdc00..0xe000).contains(&low) {
                        return Err(self.error("lone surrogate"));
                    }
                    c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
                }
                let c = char::from_u32(c).ok_or_else(|| self.error("lone surrogate"))?;
                text.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                return Ok(());
            }
            _ => return Err(self.error("unknown escape")),
        };
        text.push(byte);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u16, TranscodeError> {
        let digits = self.bytes().get(self.at..self.at + 4).ok_or_else(|| self.error("short \\u escape"))?;
        let digits = std::str::from_utf8(digits).map_err(|_| self.error("bad \\u escape"))?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(self.error("bad \\u escape"));
        }
        let value = u16::from_str_radix(digits, 16).map_err(|_| self.error("bad \\u escape"))?;
        self.at += 4;
        Ok(value)
    }

    /// A number: an integer stays one (a float past 64 bits, as serde_json reads it), anything
    /// with a fraction or exponent is a float.
    fn number(&mut self, timestamp: bool) -> Result<(), TranscodeError> {
        let begin = self.at;
        let len = self.bytes()[begin..]
            .iter()
            .position(|b| !matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
            .unwrap_or(self.text.len() - begin);
        // Only ASCII was taken, so the slice is whole characters.
        let text = self.text.get(begin..begin + len).ok_or_else(|| self.error("bad number"))?;
        if !valid_number(text.as_bytes()) {
            return Err(self.error("bad number"));
        }
        self.at += len;
        if timestamp {
            self.out.push(EPOCH_TAG);
        }
        // serde_json reads "-0" as the float -0.0; every other integer parses as u64 or i64.
        let integer = !text.contains(['.', 'e', 'E']) && text != "-0";
        if integer && let Ok(n) = text.parse::<u64>() {
            write_head(self.out, UNSIGNED, n);
        } else if integer && let Ok(n) = text.parse::<i64>() {
            // -1 - n for n < 0: the negative integers' argument.
            write_head(self.out, NEGATIVE, (-1 - n) as u64);
        } else {
            let v: f64 = text.parse().map_err(|_| self.error("bad number"))?;
            if !v.is_finite() {
                return Err(self.error("number out of range"));
            }
            self.out.push(FLOAT64);
            self.out.extend_from_slice(&v.to_be_bytes());
        }
        Ok(())
    }
}

/// How many bytes of `bytes` come before the first that ends a string's plain run: a quote,
/// a backslash or a control character. Eight bytes at a time: strings are most of a document.
fn plain_len(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = ONES * 0x80;
    let mut at = 0;
    while let Some(word) = bytes.get(at..at + 8) {
        let Ok(word) = <[u8; 8]>::try_from(word) else { break };
        let w = u64::from_le_bytes(word);
        // The usual "has a zero byte" test, on w ^ '"', on w ^ '\\' and on w < 0x20 (which
        // subtracts 0x20 from every byte): it may flag a byte after the first real match, but
        // never misses one and never flags one before it, so the scan below starts in time.
        let quote = w ^ (ONES * u64::from(b'"'));
        let backslash = w ^ (ONES * u64::from(b'\\'));
        let found = (quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (w.wrapping_sub(ONES * 0x20) & !w);
        if found & HIGH != 0 {
            break;
        }
        at += 8;
    }
    bytes[at..].iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20).map(|n| at + n)
}

/// JSON's number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
fn valid_number(b: &[u8]) -> bool {
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let from = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i > from
    };
    let int_start = i;
    if !digits(&mut i) || (b[int_start] == b'0' && i - int_start > 1) {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(&mut i) {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a panic is a test failure
mod tests {
    use super::*;
    use ciborium::Value as Cbor;

    fn transcode(json: &str, timestamps: &[&str]) -> Cbor {
        let mut out = Vec::new();
        json_to_cbor(json, timestamps, &mut out).unwrap();
        ciborium::from_reader(out.as_slice()).unwrap()
    }

    fn cbor_of<T: serde::Serialize>(value: &T) -> Cbor {
        let mut out = Vec::new();
        ciborium::into_writer(value, &mut out).unwrap();
        ciborium::from_reader(out.as_slice()).unwrap()
    }

    #[test]
    fn scalars_keep_their_kind() {
        let json = r#"{"s":"é\"x","i":7,"big":300,"neg":-5,"min":-9223372036854775808,"f":2.5,"t":true,"n":null}"#;
        let expected = Cbor::Map(vec![
            (Cbor::Text("s".into()), Cbor::Text("é\"x".into())),
            (Cbor::Text("i".into()), Cbor::Integer(7.into())),
            (Cbor::Text("big".into()), Cbor::Integer(300.into())),
            (Cbor::Text("neg".into()), Cbor::Integer((-5).into())),
            (Cbor::Text("min".into()), Cbor::Integer(i64::MIN.into())),
            (Cbor::Text("f".into()), Cbor::Float(2.5)),
            (Cbor::Text("t".into()), Cbor::Bool(true)),
            (Cbor::Text("n".into()), Cbor::Null),
        ]);
        assert_eq!(transcode(json, &[]), expected);
    }

    #[test]
    fn named_members_become_epoch_times_at_any_depth() {
        let json = r#"{"startTime":1548717462.5,"phases":[{"startTime":1548717463,"phaseType":"BUILD"}],"other":1.5}"#;
        let Cbor::Map(top) = transcode(json, &["startTime"]) else { panic!("not a map") };
        assert_eq!(top[0].1, Cbor::Tag(1, Box::new(Cbor::Float(1_548_717_462.5))));
        let Cbor::Array(phases) = &top[1].1 else { panic!("not an array") };
        let Cbor::Map(phase) = &phases[0] else { panic!("not a map") };
        assert_eq!(phase[0].1, Cbor::Tag(1, Box::new(Cbor::Integer(1_548_717_463.into()))));
        assert_eq!(phase[1].1, Cbor::Text("BUILD".into()), "a string member is never tagged");
        assert_eq!(top[2].1, Cbor::Float(1.5), "other numbers are not tagged");
    }

    #[test]
    fn long_containers_get_longer_heads() {
        for n in [0usize, 23, 24, 255, 256, 70_000] {
            let items: Vec<u32> = (0..n as u32).collect();
            let json = serde_json::to_string(&items).unwrap();
            assert_eq!(transcode(&json, &[]), cbor_of(&items), "{n} items");
            let map: std::collections::BTreeMap<String, u32> = items.iter().map(|i| (format!("k{i}"), *i)).collect();
            assert_eq!(transcode(&serde_json::to_string(&map).unwrap(), &[]), cbor_of(&map), "{n} entries");
        }
    }

    #[test]
    fn a_typed_value_transcodes_to_what_the_typed_encoder_writes() {
        use kiln_model::codebuild::{BUILD_TIMESTAMP_MEMBERS, Build, BuildPhase};
        let build = Build {
            id: Some("p:1".into()),
            build_number: Some(42),
            build_complete: Some(true),
            start_time: Some(kiln_model::Timestamp(1_700_000_000.125)),
            end_time: Some(kiln_model::Timestamp(1_700_000_060.0)),
            phases: Some(vec![BuildPhase {
                start_time: Some(kiln_model::Timestamp(1_700_000_001.5)),
                duration_in_seconds: Some(3),
                ..Default::default()
            }]),
            ..Default::default()
        };
        let json = serde_json::to_string(&build).unwrap();
        assert_eq!(transcode(&json, BUILD_TIMESTAMP_MEMBERS), cbor_of(&build));
    }

    /// Any JSON value: what serde_json reads it as, encoded by ciborium, is what the transcoder
    /// writes (none of its members are timestamps).
    fn json_value() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        use serde_json::Value as J;
        let leaf = prop_oneof![
            Just(J::Null),
            any::<bool>().prop_map(J::Bool),
            any::<i64>().prop_map(J::from),
            any::<u64>().prop_map(J::from),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(J::from),
            any::<String>().prop_map(J::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..8).prop_map(J::Array),
                proptest::collection::btree_map(any::<String>(), inner, 0..8)
                    .prop_map(|m| J::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn any_json_transcodes_like_serde_json_then_ciborium(value in json_value(), pretty: bool) {
            let text = if pretty { serde_json::to_string_pretty(&value) } else { serde_json::to_string(&value) };
            proptest::prop_assert_eq!(transcode(&text.unwrap(), &[]), cbor_of(&value));
        }

        #[test]
        fn any_text_is_transcoded_or_refused_like_serde_json(text in "[\\[\\]{}\",:0-9eE.+\\-a-z\\\\ ]{0,40}") {
            let ours = json_to_cbor(&text, &[], &mut Vec::new()).is_ok();
            let theirs = serde_json::from_str::<serde_json::Value>(&text).is_ok();
            proptest::prop_assert_eq!(ours, theirs, "{:?}", text);
        }
    }

    #[test]
    fn a_plain_run_ends_at_the_first_quote_backslash_or_control_character() {
        let naive = |b: &[u8]| b.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20);
        // Every byte value as the end, at every position of a word and past it, after bytes
        // that sit next to the ones looked for (0x21, 0x5b, 0x1f+1, high bytes).
        for end in 0..=255u8 {
            for at in 0..20 {
                let mut bytes: Vec<u8> =
                    (0..at).map(|i| [b'a', 0x21, 0x5b, 0x5d, 0x20, 0x80, 0xff, 0xe9][i % 8]).collect();
                bytes.push(end);
                bytes.extend_from_slice(b"xy\"z");
                assert_eq!(plain_len(&bytes), naive(&bytes), "{end:#x} at {at}");
            }
        }
        assert_eq!(plain_len(b"no end at all"), None);
    }

    #[test]
    fn edge_numbers_read_as_serde_json_reads_them() {
        for text in ["-0", "0", "-0.0", "18446744073709551615", "18446744073709551616", "-9223372036854775809", "5E-3"]
        {
            let expected: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(transcode(text, &[]), cbor_of(&expected), "{text}");
        }
    }

    #[test]
    fn escapes_are_decoded() {
        let json = r#"["a\"b\\c\/\b\f\n\r\t", "\u00e9\ud83d\ude00"]"#;
        let expected: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(transcode(json, &[]), cbor_of(&expected));
    }

    #[test]
    fn malformed_json_is_an_error() {
        let deep = "[".repeat(200) + &"]".repeat(200);
        for bad in [
            "",
            "{",
            r#"{"a":}"#,
            "[1,]",
            "{} {}",
            r#"{1:2}"#,
            "01",
            "1.",
            "-",
            r#""\ud800""#,
            r#""\x""#,
            "1e400",
            "\"\u{1}\"",
            &deep,
        ] {
            assert!(json_to_cbor(bad, &[], &mut Vec::new()).is_err(), "{bad:?}");
        }
    }
}

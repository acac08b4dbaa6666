//! YAML text → a small positioned tree.
//!
//! serde-saphyr does the parsing (with its budgets against alias bombs); we
//! deserialize into an untyped tree so that validation can report CodeBuild's
//! own messages and lines. Scalars that YAML would read as numbers, booleans
//! or nulls keep their source text (`3.10` stays "3.10", `yes` stays "yes"),
//! taken from the span of the node where it was defined.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, Spanned};

use crate::error::{BuildspecError, shown};

/// 1-based line and column of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Pos {
    pub line: usize,
    pub column: usize,
}

impl Pos {
    #[cfg(test)]
    pub(crate) const fn new(line: usize, column: usize) -> Self {
        Self { line, column }
    }

    fn from_location(loc: &Location) -> Self {
        // Saturate rather than fail: positions only feed messages.
        let line = usize::try_from(loc.line()).unwrap_or(usize::MAX);
        let column = usize::try_from(loc.column()).unwrap_or(usize::MAX);
        Self { line, column }
    }
}

/// A YAML node with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Value {
    pub pos: Pos,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    /// An empty value, `~` or `null` (unquoted).
    Null,
    /// Any other scalar, as text.
    Scalar(String),
    Seq(Vec<Value>),
    Map(Vec<Entry>),
}

/// One `key: value` pair; keys are always scalars.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub key: String,
    pub key_pos: Pos,
    pub value: Value,
}

impl Value {
    /// How this node reads in a message: `found {describe} instead`.
    pub(crate) fn describe(&self) -> String {
        match &self.kind {
            Kind::Null => "an empty value".to_owned(),
            Kind::Scalar(text) => format!("the scalar `{}`", shown(text)),
            Kind::Seq(_) => "a list".to_owned(),
            Kind::Map(_) => "subkeys".to_owned(),
        }
    }
}

// Tighter than serde-saphyr's defaults: a buildspec is at most 256 KiB and
// only a few levels deep, so anything beyond this is an attack or a mistake.
const MAX_DEPTH: usize = 32;
const MAX_NODES: usize = 200_000;
const MAX_ALIASES: usize = 10_000;
const MAX_REPLAYED_EVENTS: usize = 200_000;

/// Parses one YAML document. An empty stream or document gives `Kind::Null`.
pub(crate) fn load(text: &str) -> Result<Value, BuildspecError> {
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: MAX_DEPTH,
            max_nodes: MAX_NODES,
            max_aliases: MAX_ALIASES,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: MAX_REPLAYED_EVENTS,
        },
        // `.inf` and `.nan` are ordinary text to us; never let them fail.
        non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::PassThrough,
    };
    let root: Spanned<Node> = serde_saphyr::from_str_with_options(text, options).map_err(|err| parse_error(&err))?;
    Ok(convert(text, root))
}

/// The parser's own message and position, without its source snippet.
fn parse_error(err: &serde_saphyr::Error) -> BuildspecError {
    let mut inner = err;
    while let serde_saphyr::Error::AliasError { error, .. } | serde_saphyr::Error::WithSnippet { error, .. } = inner {
        inner = error;
    }
    let formatter = serde_saphyr::UserMessageFormatter;
    let text = serde_saphyr::MessageFormatter::format_message(&formatter, inner);
    // Keep the message on one line: it ends up in a single log line.
    let message: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    match err.location() {
        Some(loc) if loc.line() > 0 => BuildspecError::at(message, Pos::from_location(&loc)),
        _ => BuildspecError::new(message),
    }
}

/// Untyped node as serde hands it over. Non-string scalars keep only a
/// fallback rendering; their text is recovered from the source span.
enum Node {
    Str(String),
    Other(String),
    Null,
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(Spanned<Node>, Spanned<Node>)>),
}

fn convert(src: &str, node: Spanned<Node>) -> Value {
    let pos = Pos::from_location(&node.referenced);
    let kind = match node.value {
        Node::Null => Kind::Null,
        Node::Str(text) => Kind::Scalar(text),
        Node::Other(fallback) => Kind::Scalar(source_text(src, &node.defined).map_or(fallback, str::to_owned)),
        Node::Seq(items) => Kind::Seq(items.into_iter().map(|n| convert(src, n)).collect()),
        Node::Map(pairs) => Kind::Map(
            pairs
                .into_iter()
                .map(|(k, v)| Entry {
                    key_pos: Pos::from_location(&k.referenced),
                    key: key_text(src, k),
                    value: convert(src, v),
                })
                .collect(),
        ),
    };
    Value { pos, kind }
}

/// Keys are names: a null key reads as its spelling, a collection key (rare
/// `? [a, b]` syntax) as its source text, so it still shows in messages.
fn key_text(src: &str, key: Spanned<Node>) -> String {
    match key.value {
        Node::Str(text) => text,
        Node::Other(fallback) => source_text(src, &key.defined).map_or(fallback, str::to_owned),
        Node::Null | Node::Seq(_) | Node::Map(_) => source_text(src, &key.defined).unwrap_or_default().to_owned(),
    }
}

fn source_text<'a>(src: &'a str, loc: &Location) -> Option<&'a str> {
    let span = loc.span();
    let start = usize::try_from(span.byte_offset()?).ok()?;
    let len = usize::try_from(span.byte_len()?).ok()?;
    src.get(start..start.checked_add(len)?)
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML node")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }

    fn visit_char<E: de::Error>(self, v: char) -> Result<Node, E> {
        Ok(Node::Str(v.to_string()))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Other(v.to_string()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Other(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Other(v.to_string()))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Node, E> {
        Ok(Node::Other(v.to_string()))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Node, E> {
        Ok(Node::Other(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Other(v.to_string()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        Node::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut pairs = Vec::new();
        while let Some(pair) = map.next_entry()? {
            pairs.push(pair);
        }
        Ok(Node::Map(pairs))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a panic is a test failure
mod tests {
    use super::*;

    fn scalar(v: &Value) -> &str {
        match &v.kind {
            Kind::Scalar(s) => s,
            other => panic!("not a scalar: {other:?}"),
        }
    }

    fn entries(v: &Value) -> &[Entry] {
        match &v.kind {
            Kind::Map(e) => e,
            other => panic!("not a map: {other:?}"),
        }
    }

    #[test]
    fn plain_scalars_keep_their_source_text() {
        let root = load("a: 3.10\nb: yes\nc: 0x1F\nd: .inf\ne: 1e999\nf: 007\ng: \"q: x\"\n").unwrap();
        let got: Vec<(&str, &str)> = entries(&root).iter().map(|e| (e.key.as_str(), scalar(&e.value))).collect();
        assert_eq!(
            got,
            [("a", "3.10"), ("b", "yes"), ("c", "0x1F"), ("d", ".inf"), ("e", "1e999"), ("f", "007"), ("g", "q: x"),]
        );
    }

    #[test]
    fn aliases_take_text_from_the_anchor() {
        let root = load("a: &n 3.10\nb: *n\n").unwrap();
        let e = entries(&root);
        assert_eq!(scalar(&e[1].value), "3.10");
        // The alias is reported where it is used.
        assert_eq!(e[1].value.pos.line, 2);
    }

    #[test]
    fn nulls_and_positions() {
        let root = load("a:\n  b: ~\n  c:\n    - x\n").unwrap();
        let a = &entries(&root)[0];
        assert_eq!(a.key_pos, Pos::new(1, 1));
        let inner = entries(&a.value);
        assert_eq!(inner[0].value.kind, Kind::Null);
        assert_eq!(inner[1].value.pos.line, 4);
    }

    #[test]
    fn syntax_error_has_line_and_no_snippet() {
        let err = load("a: [x, y\n").unwrap_err();
        assert_eq!(err.line, Some(1));
        assert!(!err.message.contains('\n'), "{}", err.message);
        assert!(err.message.contains("bracket"), "{}", err.message);
    }

    #[test]
    fn alias_bomb_is_rejected() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        for pair in names.windows(2) {
            let (prev, name) = (pair[0], pair[1]);
            let refs = vec![format!("*{prev}"); 10].join(", ");
            text.push_str(&format!("{name}: &{name} [{refs}]\n"));
        }
        let err = load(&text).unwrap_err();
        assert!(err.line.is_some());
        assert!(err.message.contains("too large or too complex"), "{}", err.message);
    }

    #[test]
    fn deep_nesting_is_rejected_not_overflowed() {
        let text = format!("{}x{}", "[".repeat(5000), "]".repeat(5000));
        assert!(load(&text).is_err());
        let text = (0..200).fold(String::new(), |mut acc, depth| {
            acc.push_str(&" ".repeat(depth * 2));
            acc.push_str("k:\n");
            acc
        });
        assert!(load(&text).is_err());
    }
}

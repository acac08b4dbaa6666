//! One alternative of a pattern field, and whether it matches the event's leaf values there.

use serde_json::Value;

use super::cidr::IpRange;
use super::numeric::{self, Range};
use super::wildcard::Wildcard;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Matcher {
    Exact(Literal),
    Prefix(Affix),
    Suffix(Affix),
    EqualsIgnoreCase(String),
    Wildcard(Wildcard),
    Numeric(Range),
    Cidr(IpRange),
    /// `exists: true` (some leaf is there) or `exists: false` (none is).
    Exists(bool),
    AnythingBut(Exclusion),
}

/// An exact value. Strings match only strings, numbers only numbers (by value: `5` is `5.0`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    String(String),
    Number(f64),
    Bool(bool),
    Null,
}

/// The text of a prefix or suffix match.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Affix {
    pub text: String,
    pub ignore_case: bool,
}

/// What `anything-but` excludes. Any leaf that is not excluded matches, whatever its type (as
/// Event Ruler, which starts from "matched" and only fails on a hit).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Exclusion {
    Strings(Vec<String>),
    Numbers(Vec<f64>),
    Prefix(String),
    Suffix(String),
    IgnoreCase(Vec<String>),
    Wildcards(Vec<Wildcard>),
}

impl Matcher {
    /// `leaves` are all the leaf values at the field (none when it is absent).
    pub fn matches_leaves(&self, leaves: &[&Value]) -> bool {
        match self {
            Matcher::Exists(wanted) => leaves.is_empty() != *wanted,
            other => leaves.iter().any(|leaf| other.matches(leaf)),
        }
    }

    fn matches(&self, leaf: &Value) -> bool {
        match self {
            Matcher::Exact(literal) => literal.matches(leaf),
            Matcher::Prefix(affix) => leaf.as_str().is_some_and(|s| affix.is_prefix_of(s)),
            Matcher::Suffix(affix) => leaf.as_str().is_some_and(|s| affix.is_suffix_of(s)),
            Matcher::EqualsIgnoreCase(text) => leaf.as_str().is_some_and(|s| fold(s) == fold(text)),
            Matcher::Wildcard(wildcard) => leaf.as_str().is_some_and(|s| wildcard.matches(s)),
            Matcher::Numeric(range) => numeric::comparable(leaf).is_some_and(|n| range.contains(n)),
            Matcher::Cidr(range) => leaf.as_str().is_some_and(|s| range.contains(s)),
            Matcher::Exists(_) => true,
            Matcher::AnythingBut(exclusion) => !exclusion.hits(leaf),
        }
    }
}

impl Literal {
    fn matches(&self, leaf: &Value) -> bool {
        match (self, leaf) {
            (Literal::String(want), Value::String(got)) => want == got,
            (Literal::Number(want), Value::Number(got)) => got.as_f64() == Some(*want),
            (Literal::Bool(want), Value::Bool(got)) => want == got,
            (Literal::Null, Value::Null) => true,
            _ => false,
        }
    }
}

impl Affix {
    fn is_prefix_of(&self, s: &str) -> bool {
        if self.ignore_case { fold(s).starts_with(&fold(&self.text)) } else { s.starts_with(&self.text) }
    }

    fn is_suffix_of(&self, s: &str) -> bool {
        if self.ignore_case { fold(s).ends_with(&fold(&self.text)) } else { s.ends_with(&self.text) }
    }
}

impl Exclusion {
    fn hits(&self, leaf: &Value) -> bool {
        match (self, leaf) {
            (Exclusion::Strings(values), Value::String(s)) => values.iter().any(|v| v == s),
            (Exclusion::Numbers(values), Value::Number(n)) => n.as_f64().is_some_and(|n| values.contains(&n)),
            (Exclusion::Prefix(prefix), Value::String(s)) => s.starts_with(prefix.as_str()),
            (Exclusion::Suffix(suffix), Value::String(s)) => s.ends_with(suffix.as_str()),
            (Exclusion::IgnoreCase(values), Value::String(s)) => values.iter().any(|v| fold(v) == fold(s)),
            (Exclusion::Wildcards(wildcards), Value::String(s)) => wildcards.iter().any(|w| w.matches(s)),
            _ => false,
        }
    }
}

/// Case folding for the `equals-ignore-case` variants.
fn fold(s: &str) -> String {
    s.to_lowercase()
}

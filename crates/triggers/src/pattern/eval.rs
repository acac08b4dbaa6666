//! The parsed pattern tree and how it walks an event.
//!
//! Walking the pattern and the event together keeps Event Ruler's array consistency for free:
//! an object pattern applied to an array of objects must match one element as a whole.

use serde_json::{Map, Value};

use super::matcher::Matcher;

/// An object of the pattern: every field must match, and one branch of `$or` when there is one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ObjectPattern {
    pub fields: Vec<(String, FieldPattern)>,
    /// The `$or` branches (at least two), each applied to the same event object; empty when
    /// the object has no `$or`.
    pub any_of: Vec<ObjectPattern>,
}

/// What a field of the pattern holds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FieldPattern {
    /// A nested object: applies to the event's object(s) at this field.
    Object(ObjectPattern),
    /// Alternatives for the event's leaf values at this field; one must match.
    Values(Vec<Matcher>),
}

impl ObjectPattern {
    /// `event` is the event's object at this position; `None` when there is none (the field is
    /// missing, or holds a leaf), in which case only absence can match.
    pub fn matches(&self, event: Option<&Map<String, Value>>) -> bool {
        let fields_match = self.fields.iter().all(|(name, field)| field.matches(event.and_then(|e| e.get(name))));
        fields_match && (self.any_of.is_empty() || self.any_of.iter().any(|branch| branch.matches(event)))
    }
}

impl FieldPattern {
    fn matches(&self, value: Option<&Value>) -> bool {
        match self {
            FieldPattern::Values(matchers) => {
                let mut found = Vec::new();
                leaves(value, &mut found);
                matchers.iter().any(|m| m.matches_leaves(&found))
            }
            FieldPattern::Object(pattern) => {
                let mut found = Vec::new();
                objects(value, &mut found);
                if found.is_empty() {
                    pattern.matches(None)
                } else {
                    found.into_iter().any(|o| pattern.matches(Some(o)))
                }
            }
        }
    }
}

/// The leaf values at a field: the value itself, or the leaves of an array, at any depth.
/// Objects are not leaves.
fn leaves<'a>(value: Option<&'a Value>, out: &mut Vec<&'a Value>) {
    match value {
        None | Some(Value::Object(_)) => {}
        Some(Value::Array(items)) => items.iter().for_each(|item| leaves(Some(item), out)),
        Some(leaf) => out.push(leaf),
    }
}

/// The objects at a field: the value itself, or the objects in an array, at any depth.
fn objects<'a>(value: Option<&'a Value>, out: &mut Vec<&'a Map<String, Value>>) {
    match value {
        Some(Value::Object(fields)) => out.push(fields),
        Some(Value::Array(items)) => items.iter().for_each(|item| objects(Some(item), out)),
        _ => {}
    }
}

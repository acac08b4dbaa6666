//! EventBridge event patterns, and what a rule's target makes of a matched event.
//!
//! [`Pattern::parse`] validates a pattern as EventBridge does (same rules, and the wording of its
//! `InvalidEventPatternException` reasons, which come from AWS's Event Ruler) and
//! [`Pattern::matches`] applies it with Event Ruler's semantics:
//!
//! - a pattern is a JSON object; nested objects follow the event's objects, and each field
//!   holds a non-empty array of alternatives: exact values (string, number, `true`, `false`,
//!   `null`), or one-key match expressions (`prefix`, `suffix`, `equals-ignore-case`,
//!   `wildcard`, `anything-but`, `numeric`, `exists`, `cidr`);
//! - all fields must match (AND), any alternative of a field may (OR), and `$or` lists at least
//!   two objects of which one must match;
//! - arrays in the event match when any element does; fields matched inside one array of
//!   objects must all come from the same element (Event Ruler's array consistency);
//! - only leaves are values: `exists` and every other expression look at strings, numbers,
//!   booleans and nulls, never at objects.
//!
//! [`path::JsonPath`] is the JSONPath subset of `InputPath` and `InputPathsMap`;
//! [`template::InputTransformer`] renders an `InputTemplate`.

mod cidr;
mod error;
mod eval;
mod matcher;
mod numeric;
mod parse;
pub mod path;
pub mod template;
mod wildcard;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use error::PatternError;

use serde_json::Value;

/// A valid event pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    root: eval::ObjectPattern,
}

impl Pattern {
    /// Parses and validates a pattern given as JSON text (PutRule's `EventPattern`).
    pub fn parse(text: &str) -> Result<Pattern, PatternError> {
        let value: Value = serde_json::from_str(text).map_err(|e| PatternError::new(e.to_string()))?;
        Pattern::from_value(&value)
    }

    /// Validates a pattern already parsed as JSON.
    pub fn from_value(value: &Value) -> Result<Pattern, PatternError> {
        Ok(Pattern { root: parse::root(value)? })
    }

    /// Whether `event` (the whole event, as EventBridge delivers it) matches.
    pub fn matches(&self, event: &Value) -> bool {
        match event {
            Value::Object(fields) => self.root.matches(Some(fields)),
            _ => self.root.matches(None),
        }
    }
}

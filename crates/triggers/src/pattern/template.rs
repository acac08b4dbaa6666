//! `InputTransformer`: variables taken from the event by JSON path (`InputPathsMap`), put into
//! `InputTemplate` where it says `<name>`.
//!
//! As EventBridge does, a placeholder inside a JSON string of the template is replaced by the
//! bare text of the value (a string without its quotes; an object or array with its quotes
//! removed), and anywhere else by the value's JSON (a string with its quotes). Values are not
//! escaped inside strings. A variable whose path finds nothing in the event is replaced by
//! nothing. Placeholders naming no variable stay as they are.

use std::collections::BTreeMap;

use serde_json::Value;

use super::path::{JsonPath, PathError};

/// Variables EventBridge defines itself.
const RULE_ARN: &str = "aws.events.rule-arn";
const RULE_NAME: &str = "aws.events.rule-name";
const INGESTION_TIME: &str = "aws.events.event.ingestion-time";
/// The event without its `detail`.
const EVENT: &str = "aws.events.event";
/// The whole event.
const EVENT_JSON: &str = "aws.events.event.json";

/// The most variables a transformer may define.
const MAX_VARIABLES: usize = 100;

/// A checked `InputTransformer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputTransformer {
    paths: BTreeMap<String, JsonPath>,
    template: String,
}

/// Why an `InputTransformer` is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransformerError {
    #[error("InputPathsMap has {0} entries; at most {MAX_VARIABLES} are allowed")]
    TooMany(usize),
    #[error("InputPathsMap key {0:?} is not valid: keys use letters, digits, '_' and '-'")]
    BadKey(String),
    #[error("InputPathsMap value for {key}: {error}")]
    BadPath { key: String, error: PathError },
}

/// What the predefined variables stand for, for one rule.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub rule_arn: &'a str,
    pub rule_name: &'a str,
    /// When EventBridge received the event, ISO 8601.
    pub ingestion_time: &'a str,
}

impl InputTransformer {
    pub fn new(paths_map: &BTreeMap<String, String>, template: &str) -> Result<Self, TransformerError> {
        if paths_map.len() > MAX_VARIABLES {
            return Err(TransformerError::TooMany(paths_map.len()));
        }
        let mut paths = BTreeMap::new();
        for (key, path) in paths_map {
            if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                return Err(TransformerError::BadKey(key.clone()));
            }
            let path = JsonPath::parse(path).map_err(|error| TransformerError::BadPath { key: key.clone(), error })?;
            paths.insert(key.clone(), path);
        }
        Ok(InputTransformer { paths, template: template.to_string() })
    }

    /// The template with its placeholders filled from `event`.
    pub fn render(&self, event: &Value, context: &Context<'_>) -> String {
        let mut out = String::with_capacity(self.template.len());
        let mut in_string = false;
        let mut escaped = false;
        let mut rest = self.template.as_str();
        while let Some(c) = rest.chars().next() {
            if c == '<'
                && let Some((name, after)) = placeholder(rest)
                && let Some(value) = self.lookup(name, event, context)
            {
                if let Some(value) = value {
                    out.push_str(&if in_string { bare_text(&value) } else { value.to_string() });
                }
                rest = after;
                continue;
            }
            if in_string && escaped {
                escaped = false;
            } else if in_string && c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = !in_string;
            }
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
        out
    }

    /// `None` when `name` is no variable; `Some(None)` when it is one the event has no value for.
    fn lookup(&self, name: &str, event: &Value, context: &Context<'_>) -> Option<Option<Value>> {
        let predefined = match name {
            RULE_ARN => Value::String(context.rule_arn.to_string()),
            RULE_NAME => Value::String(context.rule_name.to_string()),
            INGESTION_TIME => Value::String(context.ingestion_time.to_string()),
            EVENT_JSON => event.clone(),
            EVENT => {
                let mut without_detail = event.clone();
                if let Value::Object(fields) = &mut without_detail {
                    fields.remove("detail");
                }
                without_detail
            }
            _ => return self.paths.get(name).map(|path| path.select(event)),
        };
        Some(Some(predefined))
    }
}

/// `<name>` at the start of `text`: the name and the text after the `>`.
fn placeholder(text: &str) -> Option<(&str, &str)> {
    let inner = text.strip_prefix('<')?;
    let end = inner.find('>')?;
    let name = &inner[..end];
    let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    valid.then(|| (name, &inner[end + 1..]))
}

/// A value as text inside a JSON string: strings bare, anything else without its quotes.
fn bare_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string().replace('"', ""),
    }
}

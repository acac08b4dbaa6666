//! The JSONPath that `InputPath` and `InputPathsMap` accept: `$`, then dot-notation names
//! (letters, digits, `-`, `_`, `/` and the like), array indices `[0]`, and the wildcards `.*`
//! and `[*]`. Bracketed names and recursive descent (`..`) are not supported, as in
//! EventBridge, which asks for dot notation.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
    /// `.*` or `[*]`: every member of an object or element of an array.
    Any,
}

/// A parsed path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath {
    text: String,
    steps: Vec<Step>,
}

/// Why a path is not one EventBridge can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path} is not a valid JSON path: {why}")]
pub struct PathError {
    pub path: String,
    pub why: String,
}

impl JsonPath {
    pub fn parse(text: &str) -> Result<JsonPath, PathError> {
        let fail = |why: &str| PathError { path: text.to_string(), why: why.to_string() };
        let mut rest = text.strip_prefix('$').ok_or_else(|| fail("it must start with $"))?;
        let mut steps = Vec::new();
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('.') {
                let end = after.find(['.', '[']).unwrap_or(after.len());
                let (name, next) = after.split_at(end);
                if name.is_empty() {
                    return Err(fail("a name is missing after '.'"));
                }
                if name.contains([']', ' ', '\'', '"']) {
                    return Err(fail("names use dot notation (letters, digits, '-', '_', '/')"));
                }
                steps.push(if name == "*" { Step::Any } else { Step::Key(name.to_string()) });
                rest = next;
            } else if let Some(after) = rest.strip_prefix('[') {
                let (inside, next) = after.split_once(']').ok_or_else(|| fail("'[' is not closed"))?;
                let step = match inside {
                    "*" => Step::Any,
                    digits => Step::Index(digits.parse().map_err(|_| fail("brackets hold an index or *"))?),
                };
                steps.push(step);
                rest = next;
            } else {
                return Err(fail("expected '.' or '['"));
            }
        }
        Ok(JsonPath { text: text.to_string(), steps })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The value the path names in `root`. A path with wildcards names the list of what it
    /// reaches (possibly empty); one without names a single value, or nothing.
    pub fn select(&self, root: &Value) -> Option<Value> {
        let indefinite = self.steps.contains(&Step::Any);
        let mut current = vec![root];
        for step in &self.steps {
            current = current.into_iter().flat_map(|value| children(value, step)).collect();
        }
        if indefinite {
            Some(Value::Array(current.into_iter().cloned().collect()))
        } else {
            current.first().map(|v| (*v).clone())
        }
    }
}

fn children<'a>(value: &'a Value, step: &Step) -> Vec<&'a Value> {
    match (step, value) {
        (Step::Key(name), Value::Object(fields)) => fields.get(name).into_iter().collect(),
        (Step::Index(i), Value::Array(items)) => items.get(*i).into_iter().collect(),
        (Step::Any, Value::Object(fields)) => fields.values().collect(),
        (Step::Any, Value::Array(items)) => items.iter().collect(),
        _ => Vec::new(),
    }
}

//! Model-constraint validation with AWS's error wording.
//!
//! The generator implements [`Validate`] for every structure; the free functions below are
//! the checks it calls. Paths follow AWS's JSON services: members are joined with `.`, list
//! elements are `name.<1-based index>.member`, map values are `name.<key>`. So a bad
//! environment variable reads `environmentVariablesOverride.1.member.name`.
//!
//! `pattern` constraints are not checked: many botocore patterns are Java regexes.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

/// A value that can check itself against its model constraints.
pub trait Validate {
    /// Appends every constraint violation in `self` to `errors`; `path` is where `self`
    /// sits in the request (`""` for the request itself).
    fn validate_into(&self, path: &str, errors: &mut Vec<ValidationError>);
}

/// Checks a whole request, collecting every violation.
pub fn validate<T: Validate>(value: &T) -> Result<(), ValidationErrors> {
    let mut errors = Vec::new();
    value.validate_into("", &mut errors);
    if errors.is_empty() { Ok(()) } else { Err(ValidationErrors(errors)) }
}

/// Shown instead of the value of a `sensitive` member (as the AWS SDK for Java does).
pub const REDACTED: &str = "*** Sensitive Data Redacted ***";

/// One violated constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// Where the value sits, e.g. `source.location`.
    pub path: String,
    /// The offending value as AWS prints it; `None` for a missing value (printed `null`).
    pub value: Option<String>,
    /// The constraint, e.g. `Member must not be null`.
    pub message: String,
}

impl ValidationError {
    /// A required member that is absent.
    pub fn null(path: String) -> Self {
        Self { path, value: None, message: "Member must not be null".to_owned() }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            None => f.write_str("Value null")?,
            Some(value) => write!(f, "Value '{value}'")?,
        }
        write!(f, " at '{}' failed to satisfy constraint: {}", self.path, self.message)
    }
}

impl std::error::Error for ValidationError {}

/// Every violation found in one request; never empty when returned by [`validate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationErrors(pub Vec<ValidationError>);

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        let noun = if n == 1 { "error" } else { "errors" };
        write!(f, "{n} validation {noun} detected: ")?;
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

/// The path of a structure member.
pub fn member_path(parent: &str, member: &str) -> String {
    if parent.is_empty() { member.to_owned() } else { format!("{parent}.{member}") }
}

/// The path of a list element; AWS counts from 1.
pub fn element_path(list: &str, index: usize) -> String {
    format!("{list}.{}.member", index.saturating_add(1))
}

/// The path of a map value.
pub fn entry_path(map: &str, key: &str) -> String {
    format!("{map}.{key}")
}

/// String length in characters (not bytes).
pub fn string_length(
    value: &str,
    path: &str,
    min: Option<usize>,
    max: Option<usize>,
    errors: &mut Vec<ValidationError>,
) {
    check_length(value.chars().count(), path, min, max, || value.to_owned(), errors);
}

/// Like [`string_length`], but never echoes the value.
pub fn sensitive_string_length(
    value: &str,
    path: &str,
    min: Option<usize>,
    max: Option<usize>,
    errors: &mut Vec<ValidationError>,
) {
    check_length(value.chars().count(), path, min, max, || REDACTED.to_owned(), errors);
}

/// Number of list elements.
pub fn list_length<T: Serialize>(
    value: &[T],
    path: &str,
    min: Option<usize>,
    max: Option<usize>,
    errors: &mut Vec<ValidationError>,
) {
    check_length(value.len(), path, min, max, || show_list(value), errors);
}

/// Number of map entries.
pub fn map_length<V: Serialize>(
    value: &BTreeMap<String, V>,
    path: &str,
    min: Option<usize>,
    max: Option<usize>,
    errors: &mut Vec<ValidationError>,
) {
    check_length(value.len(), path, min, max, || show_map(value), errors);
}

/// Integer and long ranges (integers are widened to i64 by the caller).
pub fn int_range(value: i64, path: &str, min: Option<i64>, max: Option<i64>, errors: &mut Vec<ValidationError>) {
    let message = match (min, max) {
        (Some(min), _) if value < min => {
            format!("Member must have value greater than or equal to {min}")
        }
        (_, Some(max)) if value > max => {
            format!("Member must have value less than or equal to {max}")
        }
        _ => return,
    };
    errors.push(ValidationError { path: path.to_owned(), value: Some(value.to_string()), message });
}

/// Double and float ranges.
pub fn float_range(value: f64, path: &str, min: Option<f64>, max: Option<f64>, errors: &mut Vec<ValidationError>) {
    let message = match (min, max) {
        (Some(min), _) if value < min => {
            format!("Member must have value greater than or equal to {min}")
        }
        (_, Some(max)) if value > max => {
            format!("Member must have value less than or equal to {max}")
        }
        _ => return,
    };
    errors.push(ValidationError { path: path.to_owned(), value: Some(value.to_string()), message });
}

fn check_length(
    len: usize,
    path: &str,
    min: Option<usize>,
    max: Option<usize>,
    show: impl FnOnce() -> String,
    errors: &mut Vec<ValidationError>,
) {
    let message = match (min, max) {
        (Some(min), _) if len < min => {
            format!("Member must have length greater than or equal to {min}")
        }
        (_, Some(max)) if len > max => {
            format!("Member must have length less than or equal to {max}")
        }
        _ => return,
    };
    errors.push(ValidationError { path: path.to_owned(), value: Some(show()), message });
}

/// Java's `List.toString()` style, which is what AWS echoes: `[a, b]`.
fn show_list<T: Serialize>(items: &[T]) -> String {
    let shown: Vec<String> = items.iter().map(show_item).collect();
    format!("[{}]", shown.join(", "))
}

/// Java's `Map.toString()` style: `{k=v, k2=v2}`.
fn show_map<V: Serialize>(map: &BTreeMap<String, V>) -> String {
    let shown: Vec<String> = map.iter().map(|(k, v)| format!("{k}={}", show_item(v))).collect();
    format!("{{{}}}", shown.join(", "))
}

/// Strings and enums bare, anything else as compact JSON.
fn show_item<T: Serialize>(item: &T) -> String {
    match serde_json::to_value(item) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => "?".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(check: impl FnOnce(&mut Vec<ValidationError>)) -> Option<String> {
        let mut errors = Vec::new();
        check(&mut errors);
        assert!(errors.len() <= 1, "{errors:?}");
        errors.pop().map(|e| e.to_string())
    }

    #[test]
    fn string_length_counts_chars() {
        // Two chars, four bytes: passes min 2 and max 2.
        assert_eq!(one(|e| string_length("éé", "n", Some(2), Some(2), e)), None);
        assert_eq!(
            one(|e| string_length("x", "projectName", Some(2), Some(150), e)).as_deref(),
            Some(
                "Value 'x' at 'projectName' failed to satisfy constraint: \
                 Member must have length greater than or equal to 2"
            )
        );
        assert_eq!(
            one(|e| string_length("abcd", "a.b", None, Some(3), e)).as_deref(),
            Some(
                "Value 'abcd' at 'a.b' failed to satisfy constraint: \
                 Member must have length less than or equal to 3"
            )
        );
    }

    #[test]
    fn sensitive_values_are_not_echoed() {
        let shown = one(|e| sensitive_string_length("", "token", Some(1), None, e));
        assert_eq!(
            shown.as_deref(),
            Some(
                "Value '*** Sensitive Data Redacted ***' at 'token' failed to satisfy \
                 constraint: Member must have length greater than or equal to 1"
            )
        );
    }

    #[test]
    fn ranges() {
        assert_eq!(
            one(|e| int_range(1, "timeoutInMinutes", Some(5), Some(2160), e)).as_deref(),
            Some(
                "Value '1' at 'timeoutInMinutes' failed to satisfy constraint: \
                 Member must have value greater than or equal to 5"
            )
        );
        assert_eq!(
            one(|e| int_range(2161, "t", Some(5), Some(2160), e)).as_deref(),
            Some(
                "Value '2161' at 't' failed to satisfy constraint: \
                 Member must have value less than or equal to 2160"
            )
        );
        assert_eq!(one(|e| int_range(5, "t", Some(5), Some(5), e)), None);
        assert_eq!(
            one(|e| float_range(100.5, "p", Some(0.0), Some(100.0), e)).as_deref(),
            Some(
                "Value '100.5' at 'p' failed to satisfy constraint: \
                 Member must have value less than or equal to 100"
            )
        );
    }

    #[test]
    fn collections_are_shown_java_style() {
        let ids = vec!["a".to_owned(), "b".to_owned()];
        assert_eq!(
            one(|e| list_length(&ids, "ids", None, Some(1), e)).as_deref(),
            Some(
                "Value '[a, b]' at 'ids' failed to satisfy constraint: \
                 Member must have length less than or equal to 1"
            )
        );
        let empty: Vec<String> = Vec::new();
        assert!(one(|e| list_length(&empty, "ids", Some(1), None, e)).is_some());
        let map = BTreeMap::from([("k".to_owned(), 1), ("l".to_owned(), 2)]);
        assert_eq!(
            one(|e| map_length(&map, "m", None, Some(1), e)).as_deref(),
            Some(
                "Value '{k=1, l=2}' at 'm' failed to satisfy constraint: \
                 Member must have length less than or equal to 1"
            )
        );
    }

    #[test]
    fn paths() {
        assert_eq!(member_path("", "projectName"), "projectName");
        assert_eq!(member_path("source", "location"), "source.location");
        assert_eq!(element_path("environmentVariablesOverride", 0), "environmentVariablesOverride.1.member");
        assert_eq!(entry_path("tags", "env"), "tags.env");
    }

    #[test]
    fn errors_display_counts() {
        let one_error = ValidationErrors(vec![ValidationError::null("projectName".to_owned())]);
        assert_eq!(
            one_error.to_string(),
            "1 validation error detected: Value null at 'projectName' failed to satisfy \
             constraint: Member must not be null"
        );
        let two = ValidationErrors(vec![ValidationError::null("a".to_owned()), ValidationError::null("b".to_owned())]);
        assert!(two.to_string().starts_with("2 validation errors detected: Value null at 'a'"));
        assert!(two.to_string().contains("; Value null at 'b'"));
    }
}

//! Typed reads from the YAML tree, each naming the buildspec path
//! (`env/variables`, `artifacts/files[2]`) in its error.

use crate::error::{BuildspecError, shown};
use crate::model::Warning;
use crate::yaml::{Entry, Kind, Value};

pub(crate) type Result<T> = std::result::Result<T, BuildspecError>;

/// State carried through validation.
#[derive(Debug, Default)]
pub(crate) struct Ctx {
    pub warnings: Vec<Warning>,
    /// Commands and `finally` commands seen so far, across phases.
    pub commands: usize,
}

impl Ctx {
    /// Records keys not in `known` as a warning for `section`.
    pub(crate) fn warn_unknown(&mut self, entries: &[Entry], known: &[&str], section: &str) {
        let unknown: Vec<&Entry> = entries.iter().filter(|e| !known.contains(&e.key.as_str())).collect();
        if let Some(first) = unknown.first() {
            self.warnings.push(Warning {
                section: section.to_owned(),
                keys: unknown.iter().map(|e| e.key.clone()).collect(),
                line: first.key_pos.line,
            });
        }
    }
}

/// `Expected {path} to be {expected}: found {what} instead`, at the value.
pub(crate) fn type_error(path: &str, expected: &str, value: &Value) -> BuildspecError {
    BuildspecError::at(format!("Expected {path} to be {expected}: found {} instead", value.describe()), value.pos)
}

/// The entries of a mapping section; an empty value is an empty mapping.
pub(crate) fn map<'a>(value: &'a Value, path: &str) -> Result<&'a [Entry]> {
    match &value.kind {
        Kind::Map(entries) => Ok(entries),
        Kind::Null => Ok(&[]),
        _ => Err(type_error(path, "a mapping", value)),
    }
}

pub(crate) fn get<'a>(entries: &'a [Entry], key: &str) -> Option<&'a Value> {
    entries.iter().find(|e| e.key == key).map(|e| &e.value)
}

/// A scalar as text; an empty value is `None`.
pub(crate) fn opt_string(value: &Value, path: &str) -> Result<Option<String>> {
    match &value.kind {
        Kind::Scalar(text) => Ok(Some(text.clone())),
        Kind::Null => Ok(None),
        _ => Err(type_error(path, "of string type", value)),
    }
}

/// A yes/no flag. YAML 1.1 spellings are accepted (`yes`, `no`, `true`,
/// `false`, `on`, `off`, any case); an empty value is no.
pub(crate) fn flag(value: &Value, path: &str) -> Result<bool> {
    let text = match &value.kind {
        Kind::Null => return Ok(false),
        Kind::Scalar(text) => text,
        _ => return Err(type_error(path, "yes or no", value)),
    };
    match text.to_ascii_lowercase().as_str() {
        "yes" | "true" | "on" => Ok(true),
        "no" | "false" | "off" => Ok(false),
        _ => Err(BuildspecError::at(
            format!("Invalid value `{}` for {path}: expected yes or no", shown(text)),
            value.pos,
        )),
    }
}

/// A list of strings; an empty value is an empty list. With `allow_scalar`,
/// a lone scalar counts as a one-item list (for path lists such as `files`).
pub(crate) fn string_list(value: &Value, path: &str, allow_scalar: bool) -> Result<Vec<String>> {
    match &value.kind {
        Kind::Null => Ok(Vec::new()),
        Kind::Scalar(text) if allow_scalar => Ok(vec![text.clone()]),
        Kind::Seq(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match &item.kind {
                Kind::Scalar(text) => Ok(text.clone()),
                _ => Err(type_error(&format!("{path}[{i}]"), "of string type", item)),
            })
            .collect(),
        _ => Err(type_error(path, "a list of strings", value)),
    }
}

/// A mapping of names to scalar values, in file order; an empty value reads
/// as "" (what CodeBuild's YAML decoder gives for a string).
pub(crate) fn string_map(value: &Value, path: &str) -> Result<Vec<(String, String)>> {
    map(value, path)?
        .iter()
        .map(|entry| match &entry.value.kind {
            Kind::Scalar(text) => Ok((entry.key.clone(), text.clone())),
            Kind::Null => Ok((entry.key.clone(), String::new())),
            _ => Err(type_error(&format!("{path}/{}", entry.key), "a scalar", &entry.value)),
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a panic is a test failure
mod tests {
    use super::*;
    use crate::yaml::load;

    fn value(text: &str) -> Value {
        load(text).unwrap()
    }

    #[test]
    fn flags_accept_yaml_1_1_spellings() {
        for (text, want) in [("yes", true), ("No", false), ("TRUE", true), ("off", false)] {
            assert_eq!(flag(&value(text), "x").unwrap(), want, "{text}");
        }
        let err = flag(&value("maybe"), "artifacts/discard-paths").unwrap_err();
        assert_eq!(err.message, "Invalid value `maybe` for artifacts/discard-paths: expected yes or no");
    }

    #[test]
    fn list_items_must_be_scalars() {
        let err = string_list(&value("- a\n- b: c\n"), "cache/paths", false).unwrap_err();
        assert_eq!(err.message, "Expected cache/paths[1] to be of string type: found subkeys instead");
        assert_eq!(err.line, Some(2));
        assert_eq!(string_list(&value("'**/*'"), "f", true).unwrap(), ["**/*"]);
        assert!(string_list(&value("'**/*'"), "f", false).is_err());
    }

    #[test]
    fn unknown_keys_become_one_warning_per_section() {
        let root = value("a: 1\nzz: 2\nyy: 3\n");
        let mut ctx = Ctx::default();
        ctx.warn_unknown(map(&root, "").unwrap(), &["a"], "env");
        assert_eq!(ctx.warnings, [Warning { section: "env".into(), keys: vec!["zz".into(), "yy".into()], line: 2 }]);
    }
}

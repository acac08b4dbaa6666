//! The one error type of this crate: a message CodeBuild would report as
//! `YAML_FILE_ERROR`, plus where in the buildspec it points.

use std::fmt;

use crate::yaml::Pos;

/// Why a buildspec was rejected.
///
/// `Display` renders the text CodeBuild puts after `YAML_FILE_ERROR Message:`:
/// the message, then ` at line L` when the line is known, then the note.
/// For example
/// `Expected Commands[0] to be of string type: found subkeys instead at line 6, value of the key tag on line 5 might be empty`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildspecError {
    /// What is wrong, without the location.
    pub message: String,
    /// 1-based line of the offending node, when known.
    pub line: Option<usize>,
    /// 1-based column of the offending node, when known.
    pub column: Option<usize>,
    /// Text CodeBuild prints after the location (starts with `, `), if any.
    pub note: Option<String>,
}

impl BuildspecError {
    /// An error with no location (whole-document problems such as size).
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self { message: one_line(message.into()), line: None, column: None, note: None }
    }

    /// An error pointing at a node of the document.
    pub(crate) fn at(message: impl Into<String>, pos: Pos) -> Self {
        Self { message: one_line(message.into()), line: Some(pos.line), column: Some(pos.column), note: None }
    }

    pub(crate) fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }
}

/// Messages end up in one log line: escape line breaks and other controls
/// that came in with keys or values.
fn one_line(message: String) -> String {
    if !message.chars().any(char::is_control) {
        return message;
    }
    message.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect()
}

/// Longest user value quoted in a message, in characters.
const SHOWN_CHARS: usize = 60;

/// A value from the file as quoted in a message: cut short when long.
pub(crate) fn shown(text: &str) -> String {
    match text.char_indices().nth(SHOWN_CHARS) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}

impl fmt::Display for BuildspecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(line) = self.line {
            write!(f, " at line {line}")?;
        }
        if let Some(note) = &self.note {
            f.write_str(note)?;
        }
        Ok(())
    }
}

impl std::error::Error for BuildspecError {}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a panic is a test failure
mod tests {
    use super::*;

    #[test]
    fn display_adds_line_then_note() {
        let err = BuildspecError::at("Expected Commands[0] to be of string type", Pos::new(6, 9))
            .with_note(", value of the key tag on line 5 might be empty");
        assert_eq!(
            err.to_string(),
            "Expected Commands[0] to be of string type at line 6, value of the key tag on line 5 might be empty"
        );
        assert_eq!(err.column, Some(9));
    }

    #[test]
    fn user_text_is_cut_and_kept_on_one_line() {
        let long = "é".repeat(100);
        assert_eq!(shown(&long), format!("{}...", "é".repeat(60)));
        assert_eq!(shown("short"), "short");
        let err = BuildspecError::new("bad `a\nb\t`");
        assert_eq!(err.message, "bad `a\\nb\\t`");
    }

    #[test]
    fn display_without_location_is_the_message() {
        assert_eq!(BuildspecError::new("too big").to_string(), "too big");
    }
}

//! Message and name helpers shared by the formats.

use crate::MAX_MESSAGE_CHARS;

/// Joins a short message (an attribute, `<message>`) and its body (element
/// text, stack trace) as CodeBuild shows them: trimmed, one line apart, the
/// message left out when the body already repeats it, cut to
/// [`MAX_MESSAGE_CHARS`]. `None` when both are blank.
pub(crate) fn message(head: Option<&str>, body: Option<&str>) -> Option<String> {
    let head = head.map(str::trim).filter(|s| !s.is_empty());
    let body = body.map(str::trim).filter(|s| !s.is_empty());
    let joined = match (head, body) {
        (None, None) => return None,
        (Some(one), None) | (None, Some(one)) => one.to_owned(),
        (Some(head), Some(body)) if body.contains(head) => body.to_owned(),
        (Some(head), Some(body)) => format!("{head}\n{body}"),
    };
    Some(truncate(joined))
}

/// Cuts `text` to [`MAX_MESSAGE_CHARS`] characters, never inside a character.
fn truncate(mut text: String) -> String {
    if let Some((cut, _)) = text.char_indices().nth(MAX_MESSAGE_CHARS) {
        text.truncate(cut);
        // The cut may leave trailing whitespace; messages are kept trimmed.
        let kept = text.trim_end().len();
        text.truncate(kept);
    }
    text
}

/// Splits a dotted full test name (`Ns.Class.Method(1, "a.b")`) at the last
/// dot before any argument list: `("Ns.Class", "Method(1, \"a.b\")")`.
/// A name without such a dot has an empty first part.
pub(crate) fn split_full_name(full: &str) -> (&str, &str) {
    let head = full.find('(').map_or(full, |paren| &full[..paren]);
    match head.rfind('.') {
        Some(dot) => (&full[..dot], &full[dot + 1..]),
        None => ("", full),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_trims_and_drops_blanks() {
        assert_eq!(message(None, None), None);
        assert_eq!(message(Some("  "), Some("\n\t")), None);
        assert_eq!(message(Some(" boom "), None).as_deref(), Some("boom"));
        assert_eq!(message(None, Some("\n  at x\n")).as_deref(), Some("at x"));
        assert_eq!(message(Some("boom"), Some("  at x\n")).as_deref(), Some("boom\nat x"));
    }

    #[test]
    fn body_repeating_the_message_is_kept_alone() {
        let body = "java.lang.AssertionError: expected 1\n\tat A.b(A.java:3)";
        assert_eq!(message(Some("expected 1"), Some(body)).as_deref(), Some(body));
    }

    #[test]
    fn cuts_at_the_character_limit() {
        let long = "é".repeat(MAX_MESSAGE_CHARS + 10);
        let cut = message(Some(&long), None).unwrap();
        assert_eq!(cut.chars().count(), MAX_MESSAGE_CHARS);
        let exact = "x".repeat(MAX_MESSAGE_CHARS);
        assert_eq!(message(Some(&exact), None).unwrap(), exact);
        let spaced = format!("{}  {}", "x".repeat(MAX_MESSAGE_CHARS - 1), "y");
        assert_eq!(message(Some(&spaced), None).unwrap(), "x".repeat(MAX_MESSAGE_CHARS - 1));
    }

    #[test]
    fn splits_full_names_before_arguments() {
        assert_eq!(split_full_name("Ns.Class.Method"), ("Ns.Class", "Method"));
        assert_eq!(split_full_name("Ns.Class.Method(1,\"a.b\")"), ("Ns.Class", "Method(1,\"a.b\")"));
        assert_eq!(split_full_name("Method"), ("", "Method"));
        assert_eq!(split_full_name("M(\"x.y\")"), ("", "M(\"x.y\")"));
        assert_eq!(split_full_name(""), ("", ""));
        assert_eq!(split_full_name("Trailing."), ("Trailing", ""));
    }
}

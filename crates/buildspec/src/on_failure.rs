//! `on-failure`: `ABORT | CONTINUE | RETRY | RETRY-<count> | RETRY-<regex> |
//! RETRY-<count>-<regex>`.

use crate::error::shown;
use crate::model::OnFailure;

/// Retries when `RETRY` gives no count.
pub const DEFAULT_RETRY_COUNT: u32 = 3;
/// Largest retry count CodeBuild accepts.
pub const MAX_RETRY_COUNT: u32 = 100;

/// Parses an `on-failure` value; the error is the reason, to follow the value
/// in a message. The keywords are matched case-insensitively, the regex is
/// kept as written. A suffix of digits only is a count, so `RETRY-404` is a
/// (too large) count, not a regex.
pub(crate) fn parse(text: &str) -> Result<OnFailure, String> {
    let upper = text.to_ascii_uppercase();
    if upper == "ABORT" {
        return Ok(OnFailure::Abort);
    }
    if upper == "CONTINUE" {
        return Ok(OnFailure::Continue);
    }
    if upper == "RETRY" {
        return Ok(OnFailure::Retry { count: DEFAULT_RETRY_COUNT, pattern: None });
    }
    let Some(rest) = upper.strip_prefix("RETRY-").and(text.get("RETRY-".len()..)) else {
        return Err("expected ABORT, CONTINUE, RETRY, RETRY-<count>, RETRY-<regex> or RETRY-<count>-<regex>".into());
    };
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let (count, pattern) = match (&rest[..digits], &rest[digits..]) {
        ("", pattern) => (DEFAULT_RETRY_COUNT, Some(pattern)),
        (count, "") => (retry_count(count)?, None),
        (count, tail) => match tail.strip_prefix('-') {
            Some(pattern) => (retry_count(count)?, Some(pattern)),
            // Digits glued to more text (`RETRY-5xx`) are all regex.
            None => (DEFAULT_RETRY_COUNT, Some(rest)),
        },
    };
    let pattern = match pattern {
        None => None,
        Some("") => return Err("the retry regex is empty".into()),
        Some(pattern) => {
            // CodeBuild matches with Go's RE2; the regex crate has the same syntax.
            regex::Regex::new(pattern)
                .map_err(|_| format!("`{}` is not a valid regular expression", shown(pattern)))?;
            Some(pattern.to_owned())
        }
    };
    Ok(OnFailure::Retry { count, pattern })
}

fn retry_count(digits: &str) -> Result<u32, String> {
    digits
        .parse::<u32>()
        .ok()
        .filter(|n| *n <= MAX_RETRY_COUNT)
        .ok_or_else(|| format!("retry count {digits} is out of range 0-{MAX_RETRY_COUNT}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a panic is a test failure
mod tests {
    use super::*;

    fn retry(count: u32, pattern: Option<&str>) -> OnFailure {
        OnFailure::Retry { count, pattern: pattern.map(str::to_owned) }
    }

    #[test]
    fn accepted_forms() {
        let cases = [
            ("ABORT", OnFailure::Abort),
            ("continue", OnFailure::Continue),
            ("RETRY", retry(3, None)),
            ("RETRY-0", retry(0, None)),
            ("RETRY-100", retry(100, None)),
            ("RETRY-timeout", retry(3, Some("timeout"))),
            ("RETRY-5-Connection (reset|refused)", retry(5, Some("Connection (reset|refused)"))),
            ("RETRY-2-5\\d\\d", retry(2, Some("5\\d\\d"))),
            ("RETRY-5xx", retry(3, Some("5xx"))),
            ("RETRY-.*-x", retry(3, Some(".*-x"))),
        ];
        for (text, want) in cases {
            assert_eq!(parse(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn rejected_forms() {
        let cases = [
            ("STOP", "expected ABORT"),
            ("", "expected ABORT"),
            ("RETRY-101", "retry count 101 is out of range 0-100"),
            ("RETRY-99999999999", "out of range"),
            ("RETRY-", "the retry regex is empty"),
            ("RETRY-3-", "the retry regex is empty"),
            ("RETRY-(", "`(` is not a valid regular expression"),
        ];
        for (text, want) in cases {
            let err = parse(text).unwrap_err();
            assert!(err.contains(want), "{text}: {err}");
        }
    }
}

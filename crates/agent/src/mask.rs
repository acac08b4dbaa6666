//! Hiding secret values in build output, as CodeBuild does: every occurrence becomes `***`.
//!
//! All occurrences of all secrets are found in the original text first (overlapping ones
//! too), and each stretch of overlapping matches becomes one `***`, so two secrets that
//! overlap leave no character of either behind.
//!
//! Lines are masked one at a time, so a value with line breaks (a PEM key, pretty JSON) can
//! never match whole: each of its lines of at least [`MIN_LINE_PART`] characters is hidden on
//! its own instead (shorter ones, like a lone `}`, would hide too much of the log). A
//! single-line secret that a command prints split across two lines is not recognised.

use std::borrow::Cow;

/// What a hidden value is replaced with.
pub const MASK: &str = "***";

/// The shortest line of a multi-line secret that is hidden on its own.
pub const MIN_LINE_PART: usize = 4;

/// The secrets of one build, longest first, without duplicates or empty values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Secrets(Vec<String>);

impl Secrets {
    pub fn add(&mut self, values: impl IntoIterator<Item = String>) {
        for value in values {
            let lines: Vec<String> = if value.contains('\n') {
                let long = value.lines().map(str::trim).filter(|l| l.chars().count() >= MIN_LINE_PART);
                long.map(str::to_string).collect()
            } else {
                Vec::new()
            };
            for v in std::iter::once(value).chain(lines) {
                if !v.is_empty() && !self.0.contains(&v) {
                    self.0.push(v);
                }
            }
        }
        self.0.sort_by_key(|v| std::cmp::Reverse(v.len()));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The values hidden, longest first (the lines of multi-line values among them).
    pub fn values(&self) -> &[String] {
        &self.0
    }

    /// `text` with every occurrence of every secret replaced by [`MASK`].
    pub fn mask<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut spans: Vec<(usize, usize)> = Vec::new();
        for secret in &self.0 {
            let mut from = 0;
            while let Some(found) = text.get(from..).and_then(|rest| rest.find(secret.as_str())) {
                let start = from + found;
                spans.push((start, start + secret.len()));
                // Step one character, not one byte, so overlapping matches are found too.
                from = start + text[start..].chars().next().map_or(1, char::len_utf8);
            }
        }
        if spans.is_empty() {
            return Cow::Borrowed(text);
        }
        spans.sort_unstable();
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        let mut current: Option<(usize, usize)> = None;
        for (start, end) in spans {
            match current {
                // Overlapping matches join into one hidden stretch.
                Some((s, e)) if start < e => current = Some((s, e.max(end))),
                _ => {
                    if let Some((s, e)) = current {
                        out.push_str(&text[copied..s]);
                        out.push_str(MASK);
                        copied = e;
                    }
                    current = Some((start, end));
                }
            }
        }
        if let Some((s, e)) = current {
            out.push_str(&text[copied..s]);
            out.push_str(MASK);
            copied = e;
        }
        out.push_str(&text[copied..]);
        Cow::Owned(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(values: &[&str]) -> Secrets {
        let mut s = Secrets::default();
        s.add(values.iter().map(|v| v.to_string()));
        s
    }

    #[test]
    fn every_occurrence_is_masked() {
        let s = secrets(&["hunter2"]);
        assert_eq!(s.mask("pw=hunter2 again hunter2!"), "pw=*** again ***!");
        assert_eq!(s.mask("Running command echo \"hunter2\""), "Running command echo \"***\"");
        assert!(matches!(s.mask("nothing here"), Cow::Borrowed(_)));
        assert_eq!(s.mask("hunter2hunter2"), "******", "adjacent occurrences each masked");
    }

    #[test]
    fn overlapping_and_nested_secrets_leave_nothing_behind() {
        let s = secrets(&["abc", "bcd"]);
        assert_eq!(s.mask("xabcdx"), "x***x");
        let s = secrets(&["pass", "password123"]);
        assert_eq!(s.mask("password123 and pass"), "*** and ***");
        let s = secrets(&["aa"]);
        assert_eq!(s.mask("aaa"), "***", "overlapping occurrences of one secret");
    }

    #[test]
    fn unicode_and_empty_values() {
        let s = secrets(&["", "ünï€"]);
        assert_eq!(s.mask("x ünï€ y"), "x *** y");
        assert!(secrets(&[""]).is_empty(), "an empty value would mask everything");
    }

    #[test]
    fn lines_of_multi_line_secrets_are_masked_one_by_one() {
        let s = secrets(&["-----BEGIN KEY-----\nMIIEabc\n}\n-----END KEY-----\n"]);
        assert_eq!(s.mask("-----BEGIN KEY-----"), "***");
        assert_eq!(s.mask("  MIIEabc"), "  ***");
        assert_eq!(s.mask("} stays"), "} stays", "short lines are not hidden on their own");
    }

    #[test]
    fn a_secret_split_across_lines_is_not_recognised() {
        // Documented limit: masking works line by line.
        let s = secrets(&["topsecret"]);
        assert_eq!(s.mask("top"), "top");
        assert_eq!(s.mask("secret"), "secret");
    }
}

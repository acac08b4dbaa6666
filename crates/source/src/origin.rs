//! Configuring the `origin` remote of the freshly initialised checkout.
//!
//! Writes the section `git remote add origin <location>` would write straight into
//! `.git/config`, byte for byte, which saves a git process per fetch. Falls back to
//! running `git remote add` when the repository is not where we expect it.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use crate::SourceError;
use crate::git::Git;

/// The refspec `git remote add` configures: every branch as `origin/<branch>`.
const FETCH_REFSPEC: &str = "+refs/heads/*:refs/remotes/origin/*";

/// Adds remote `origin` with URL `location` to the repository `git init` made in `dest`.
/// `location` has passed `check_location` (no control characters).
pub(crate) fn configure(git: &mut Git<'_>, dest: &Path, location: &str) -> Result<(), SourceError> {
    let config = dest.join(".git").join("config");
    // A `GIT_DIR` in the caller's environment, for one, puts the repository elsewhere.
    let existing = match std::fs::read(&config) {
        Ok(existing) => existing,
        Err(_) => return git.run(&["remote", "add", "origin", location]).map(drop),
    };
    let mut text = String::new();
    if existing.last().is_some_and(|b| *b != b'\n') {
        text.push('\n');
    }
    text.push_str(&section(location));
    OpenOptions::new().append(true).open(&config)?.write_all(text.as_bytes())?;
    Ok(())
}

/// The `[remote "origin"]` section for `url`.
fn section(url: &str) -> String {
    format!("[remote \"origin\"]\n\turl = {}\n\tfetch = {FETCH_REFSPEC}\n", config_value(url))
}

/// A value written the way git's config writer does: quoted when it starts or ends with a
/// space or holds a comment character, with `"`, `\`, newline and tab escaped.
fn config_value(value: &str) -> String {
    let needs_quotes = value.starts_with(' ') || value.ends_with(' ') || value.contains([';', '#']);
    let quote = if needs_quotes { "\"" } else { "" };
    let mut out = String::with_capacity(value.len() + 2);
    out.push_str(quote);
    for c in value.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push_str(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_urls_are_written_as_is() {
        assert_eq!(
            section("https://github.com/o/r.git"),
            "[remote \"origin\"]\n\turl = https://github.com/o/r.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n"
        );
        assert_eq!(config_value("/tmp/a b/r"), "/tmp/a b/r");
    }

    #[test]
    fn special_characters_are_quoted_and_escaped_like_git() {
        assert_eq!(config_value("/tmp/a#b"), "\"/tmp/a#b\"");
        assert_eq!(config_value("/tmp/a;b"), "\"/tmp/a;b\"");
        assert_eq!(config_value(" lead"), "\" lead\"");
        assert_eq!(config_value("trail "), "\"trail \"");
        assert_eq!(config_value(r#"/tmp/q"b\c"#), r#"/tmp/q\"b\\c"#);
        assert_eq!(config_value("a\tb\nc"), "a\\tb\\nc");
    }
}

//! Hiding credentials embedded in URLs (`https://user:token@host/...`) before text reaches
//! logs or error messages.

/// Replaces the user-info part of every `scheme://user:pass@host` URL in `text` with `***`.
pub(crate) fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("://") {
        let authority_start = pos + 3;
        out.push_str(&rest[..authority_start]);
        let after = &rest[authority_start..];
        let authority_len =
            after.find(|c: char| c == '/' || c.is_whitespace() || matches!(c, '\'' | '"' | '`')).unwrap_or(after.len());
        let authority = &after[..authority_len];
        match authority.rfind('@') {
            Some(at) => {
                out.push_str("***");
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &after[authority_len..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::redact_urls;

    #[test]
    fn hides_user_and_password() {
        assert_eq!(
            redact_urls("fatal: unable to access 'https://bob:s3cret@example.com/r.git/': 403"),
            "fatal: unable to access 'https://***@example.com/r.git/': 403"
        );
    }

    #[test]
    fn hides_token_with_at_sign_in_password() {
        assert_eq!(redact_urls("https://x:a@b@host/r"), "https://***@host/r");
    }

    #[test]
    fn leaves_plain_urls_and_scp_syntax_alone() {
        let text = "https://github.com/o/r.git and git@github.com:o/r.git and file:///tmp/x";
        assert_eq!(redact_urls(text), text);
    }

    #[test]
    fn handles_several_urls_and_trailing_scheme() {
        assert_eq!(redact_urls("a ssh://u:p@h/x b https://t@h2 c://"), "a ssh://***@h/x b https://***@h2 c://");
    }
}

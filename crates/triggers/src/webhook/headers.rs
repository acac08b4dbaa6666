//! Request headers as the webhook logic sees them: names compared without case.

/// A delivery's headers. Names are kept lowercased; the first of repeated headers wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(Vec<(String, String)>);

impl Headers {
    pub fn new<N: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (N, V)>) -> Self {
        Headers(pairs.into_iter().map(|(n, v)| (n.into().to_ascii_lowercase(), v.into())).collect())
    }

    /// The value of a header, trimmed; `None` when absent or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::Headers;

    #[test]
    fn lookup_ignores_case_and_blank_values() {
        let h = Headers::new([("X-GitHub-Event", " push "), ("X-Empty", "  ")]);
        assert_eq!(h.get("x-github-event"), Some("push"));
        assert_eq!(h.get("X-GITHUB-EVENT"), Some("push"));
        assert_eq!(h.get("x-empty"), None);
        assert_eq!(h.get("x-missing"), None);
    }
}

//! CloudWatch filter patterns for unstructured text: `ERROR timeout` (every term),
//! `"exact phrase"`, `?ERROR ?WARN` (any of them), `-DEBUG` (none of them). Matching is
//! case-sensitive and by substring, as CloudWatch's is. JSON (`{...}`), space-delimited
//! (`[...]`) and regular-expression (`%...%`) patterns are refused rather than misread.

/// A parsed pattern; the empty pattern matches every event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pattern {
    all: Vec<String>,
    any: Vec<String>,
    none: Vec<String>,
}

impl Pattern {
    pub fn parse(text: &str) -> Result<Pattern, String> {
        let text = text.trim();
        let refuse = |kind: &str| Err(format!("Kiln supports only term filter patterns, not {kind} patterns"));
        match text.chars().next() {
            Some('{') => return refuse("JSON"),
            Some('[') => return refuse("space-delimited"),
            Some('%') => return refuse("regular expression"),
            _ => {}
        }
        let mut pattern = Pattern::default();
        let mut chars = text.chars().peekable();
        loop {
            while chars.next_if(|c| c.is_whitespace()).is_some() {}
            let Some(&first) = chars.peek() else { break };
            let list = match first {
                '?' => &mut pattern.any,
                '-' => &mut pattern.none,
                _ => &mut pattern.all,
            };
            if first == '?' || first == '-' {
                chars.next();
            }
            let term = if chars.next_if_eq(&'"').is_some() {
                quoted(&mut chars)?
            } else {
                let mut term = String::new();
                while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                    term.push(c);
                }
                term
            };
            if term.is_empty() {
                return Err(format!("Invalid filter pattern: an empty term after '{first}'"));
            }
            list.push(term);
        }
        Ok(pattern)
    }

    pub fn matches(&self, message: &str) -> bool {
        self.all.iter().all(|t| message.contains(t.as_str()))
            && (self.any.is_empty() || self.any.iter().any(|t| message.contains(t.as_str())))
            && !self.none.iter().any(|t| message.contains(t.as_str()))
    }
}

/// The rest of a quoted phrase (the opening quote is read); `\"` and `\\` escape.
fn quoted(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Result<String, String> {
    let mut term = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Ok(term),
            '\\' => match chars.next() {
                Some(escaped) => term.push(escaped),
                None => break,
            },
            c => term.push(c),
        }
    }
    Err("Invalid filter pattern: a quoted phrase is not closed".to_string())
}

#[cfg(test)]
mod tests {
    use super::Pattern;

    fn matches(pattern: &str, message: &str) -> bool {
        Pattern::parse(pattern).expect("valid pattern").matches(message)
    }

    #[test]
    fn terms_are_anded_and_case_sensitive() {
        assert!(matches("", "anything"));
        assert!(matches("   ", "anything"));
        assert!(matches("ERROR timeout", "ERROR: connect timeout"));
        assert!(!matches("ERROR timeout", "ERROR: refused"));
        assert!(!matches("ERROR", "error"));
    }

    #[test]
    fn quoted_phrases_keep_spaces() {
        assert!(matches(r#""Phase complete""#, "[Container] Phase complete: BUILD"));
        assert!(!matches(r#""Phase complete""#, "Phase is complete"));
        assert!(matches(r#""say \"hi\"""#, r#"they say "hi" here"#));
        assert!(matches(r#""a:b" c"#, "x a:b c"));
    }

    #[test]
    fn optional_and_excluded_terms() {
        assert!(matches("?ERROR ?WARN", "WARN disk"));
        assert!(!matches("?ERROR ?WARN", "INFO disk"));
        assert!(matches("ERROR -retry", "ERROR fatal"));
        assert!(!matches("ERROR -retry", "ERROR will retry"));
        assert!(matches("-DEBUG", "INFO x"));
        assert!(!matches(r#"-"DEBUG x""#, "a DEBUG x b"));
        assert!(matches("build ?ERROR ?WARN -ignored", "build WARN"));
        assert!(!matches("build ?ERROR ?WARN -ignored", "build WARN ignored"));
        assert!(!matches("build ?ERROR ?WARN", "deploy WARN"));
    }

    #[test]
    fn unsupported_and_broken_patterns_are_refused() {
        for bad in [r#"{ $.level = "ERROR" }"#, "[ip, user, status=404]", "%ERR.*%", r#""open"#, "-", "ok ?", r#"x "\"#]
        {
            assert!(Pattern::parse(bad).is_err(), "{bad}");
        }
        assert!(Pattern::parse(r#"{ $.x = 1 }"#).unwrap_err().contains("JSON"));
    }
}

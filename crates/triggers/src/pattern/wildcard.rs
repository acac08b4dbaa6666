//! `wildcard` matching: `*` stands for any run of characters (also none). `\*` is a literal
//! star and `\\` a literal backslash; any other escape, and two stars in a row, are invalid.

/// A wildcard pattern as its literal pieces between the stars.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Wildcard {
    /// `pieces.len()` is the number of stars plus one; the first piece must start the value and
    /// the last must end it.
    pieces: Vec<String>,
}

impl Wildcard {
    /// Parses a wildcard, with Event Ruler's reasons (positions count characters from 0).
    pub fn parse(text: &str) -> Result<Wildcard, String> {
        let mut pieces = vec![String::new()];
        let mut chars = text.chars().enumerate().peekable();
        let mut previous_was_star = false;
        while let Some((pos, c)) = chars.next() {
            match c {
                '*' => {
                    if previous_was_star {
                        return Err(format!("Consecutive wildcard characters at pos {}", pos - 1));
                    }
                    pieces.push(String::new());
                    previous_was_star = true;
                    continue;
                }
                '\\' => match chars.next() {
                    Some((_, escaped @ ('*' | '\\'))) => push(&mut pieces, escaped),
                    _ => return Err(format!("Invalid escape character at pos {pos}")),
                },
                other => push(&mut pieces, other),
            }
            previous_was_star = false;
        }
        Ok(Wildcard { pieces })
    }

    pub fn matches(&self, value: &str) -> bool {
        let (first, rest) = match self.pieces.split_first() {
            Some(split) => split,
            None => return value.is_empty(),
        };
        let Some((last, middle)) = rest.split_last() else {
            return value == first;
        };
        if value.len() < first.len() + last.len()
            || !value.starts_with(first.as_str())
            || !value.ends_with(last.as_str())
        {
            return false;
        }
        // Between the fixed ends, take each middle piece at its leftmost place: with only `*`,
        // the leftmost place never rules out a match that a later one would allow.
        let end = value.len() - last.len();
        let mut at = first.len();
        for piece in middle {
            match value.get(at..end).and_then(|window| window.find(piece.as_str())) {
                Some(offset) => at += offset + piece.len(),
                None => return false,
            }
        }
        true
    }
}

fn push(pieces: &mut [String], c: char) {
    if let Some(piece) = pieces.last_mut() {
        piece.push(c);
    }
}

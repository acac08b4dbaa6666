//! git's post-receive input: one `<old> <new> <ref>` line per updated ref.

use super::{Error, RefChange};

/// Parses one line.
pub fn parse_line(line: &str) -> Result<RefChange, Error> {
    let mut fields = line.split(' ');
    match (fields.next(), fields.next(), fields.next(), fields.next()) {
        (Some(old), Some(new), Some(name), None) => RefChange::from_git(name, old, new),
        _ => Err(Error::Format(format!("expected `<old-id> <new-id> <ref>`, got {line:?}"))),
    }
}

/// Parses everything git wrote; blank lines are skipped, the first bad line is an error that
/// names its number.
pub fn parse(input: &str) -> Result<Vec<RefChange>, Error> {
    input
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| {
            parse_line(l.trim_end_matches('\r')).map_err(|e| Error::Line { line: n + 1, reason: e.to_string() })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecommit::ChangeKind;

    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";
    const ZERO: &str = "0000000000000000000000000000000000000000";

    #[test]
    fn lines_in_order() {
        let input = format!("{A} {B} refs/heads/main\n\n{ZERO} {A} refs/tags/v1\r\n{B} {ZERO} refs/heads/gone\n");
        let changes = parse(&input).unwrap();
        let kinds: Vec<_> = changes.iter().map(|c| (c.full_name(), c.kind())).collect();
        assert_eq!(
            kinds,
            [
                ("refs/heads/main", ChangeKind::Updated),
                ("refs/tags/v1", ChangeKind::Created),
                ("refs/heads/gone", ChangeKind::Deleted)
            ]
        );
        assert_eq!(parse("").unwrap(), []);
    }

    #[test]
    fn bad_lines_name_their_number_and_problem() {
        let input = format!("{A} {B} refs/heads/main\n{A} refs/heads/main\n");
        let err = parse(&input).unwrap_err();
        assert_eq!(
            err,
            Error::Line { line: 2, reason: format!("expected `<old-id> <new-id> <ref>`, got \"{A} refs/heads/main\"") }
        );
        assert!(err.to_string().starts_with("line 2: expected"), "{err}");

        let err = parse(&format!("{A} {B} refs/heads/main extra")).unwrap_err().to_string();
        assert!(err.starts_with("line 1: expected"), "{err}");
        let err = parse(&format!("{A} xyz refs/heads/main")).unwrap_err().to_string();
        assert_eq!(err, "line 1: \"xyz\" is not a git object name (40 or 64 hex digits)");
        let err = parse(&format!("{A} {B} main")).unwrap_err().to_string();
        assert_eq!(err, "line 1: \"main\" is not a full ref name (refs/...)");
        let err = parse(&format!("{ZERO} {ZERO} refs/heads/x")).unwrap_err().to_string();
        assert!(err.contains("nothing changed"), "{err}");
    }
}

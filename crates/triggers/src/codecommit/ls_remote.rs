//! Polling: `git ls-remote` output as a snapshot of branches and tags, and the changes between
//! two snapshots.

use std::collections::BTreeMap;

use super::{Error, RefChange};

/// Branch and tag names (`refs/heads/..`, `refs/tags/..`) and the commit each points at.
pub type Snapshot = BTreeMap<String, String>;

/// Reads `git ls-remote` output (`<id>\t<ref>` lines). Annotated tags count by the commit they
/// peel to (the `<tag>^{}` line), since that is what a build of the tag checks out.
pub fn parse(output: &str) -> Result<Snapshot, Error> {
    let mut refs = Snapshot::new();
    let mut peeled = Vec::new();
    for (n, line) in output.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let bad = |reason: String| Error::Line { line: n + 1, reason };
        let Some((id, name)) = line.split_once('\t') else {
            return Err(bad(format!("expected `<id>\\t<ref>`, got {line:?}")));
        };
        let id = id.trim();
        if !(matches!(id.len(), 40 | 64) && id.bytes().all(|b| b.is_ascii_hexdigit())) {
            return Err(bad(Error::ObjectName(id.to_string()).to_string()));
        }
        let id = id.to_ascii_lowercase();
        if !(name.starts_with("refs/heads/") || name.starts_with("refs/tags/")) {
            continue;
        }
        match name.strip_suffix("^{}") {
            Some(tag) => peeled.push((tag.to_string(), id)),
            None => {
                refs.insert(name.to_string(), id);
            }
        }
    }
    for (tag, commit) in peeled {
        refs.insert(tag, commit);
    }
    Ok(refs)
}

/// What changed from `before` to `after`, in ref-name order. Refs whose names git would not
/// accept are skipped rather than failing the whole poll.
pub fn diff(before: &Snapshot, after: &Snapshot) -> Vec<RefChange> {
    let mut names: Vec<&String> = before.keys().chain(after.keys()).collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .filter_map(|name| {
            let (old, new) = (before.get(name), after.get(name));
            (old != new).then(|| RefChange::new(name, old.cloned(), new.cloned()).ok()).flatten()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecommit::ChangeKind;

    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";
    const T: &str = "3333333333333333333333333333333333333333";

    #[test]
    fn branches_and_peeled_tags() {
        let out = format!(
            "{A}\tHEAD\n{A}\trefs/heads/main\n{T}\trefs/tags/v1\n{B}\trefs/tags/v1^{{}}\n{B}\trefs/tags/light\n\
             {A}\trefs/pull/1/head\n"
        );
        let refs = parse(&out).unwrap();
        let expected: Snapshot = [("refs/heads/main", A), ("refs/tags/light", B), ("refs/tags/v1", B)]
            .map(|(k, v)| (k.into(), v.into()))
            .into();
        assert_eq!(refs, expected);
    }

    #[test]
    fn bad_output_is_an_error_naming_the_line() {
        let err = parse(&format!("{A}\trefs/heads/main\nnonsense\n")).unwrap_err().to_string();
        assert!(err.starts_with("line 2: expected"), "{err}");
        let err = parse("xyz\trefs/heads/main").unwrap_err().to_string();
        assert!(err.starts_with("line 1: \"xyz\" is not a git object name"), "{err}");
    }

    #[test]
    fn diff_reports_created_updated_and_deleted() {
        let snap = |pairs: &[(&str, &str)]| -> Snapshot {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        let before = snap(&[("refs/heads/main", A), ("refs/heads/gone", A), ("refs/tags/same", A)]);
        let after = snap(&[("refs/heads/main", B), ("refs/heads/new", B), ("refs/tags/same", A)]);
        let changes: Vec<_> = diff(&before, &after).iter().map(|c| (c.full_name().to_string(), c.kind())).collect();
        assert_eq!(
            changes,
            [
                ("refs/heads/gone".to_string(), ChangeKind::Deleted),
                ("refs/heads/main".to_string(), ChangeKind::Updated),
                ("refs/heads/new".to_string(), ChangeKind::Created),
            ]
        );
        assert!(diff(&after, &after).is_empty());
    }
}

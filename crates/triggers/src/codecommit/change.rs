//! One ref change: a full ref name and the commit it pointed at before and after.

use super::Error;

/// What happened to the ref, in CodeCommit's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Created,
    Updated,
    Deleted,
}

impl ChangeKind {
    /// The EventBridge `detail.event` value.
    pub fn event_name(self) -> &'static str {
        match self {
            ChangeKind::Created => "referenceCreated",
            ChangeKind::Updated => "referenceUpdated",
            ChangeKind::Deleted => "referenceDeleted",
        }
    }
}

/// The kinds of ref CodeCommit reports on; other refs (notes, pull-request refs) get no events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferenceType {
    Branch,
    Tag,
}

impl ReferenceType {
    pub fn as_str(self) -> &'static str {
        match self {
            ReferenceType::Branch => "branch",
            ReferenceType::Tag => "tag",
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            ReferenceType::Branch => "refs/heads/",
            ReferenceType::Tag => "refs/tags/",
        }
    }
}

/// A validated change of one ref. At least one side is a commit, and the two sides differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefChange {
    full_name: String,
    old: Option<String>,
    new: Option<String>,
}

impl RefChange {
    /// A change as git's hooks describe it: the all-zero id on the old side means the ref was
    /// created, on the new side that it was deleted.
    pub fn from_git(full_name: &str, old: &str, new: &str) -> Result<Self, Error> {
        Self::new(full_name, object_or_zero(old)?, object_or_zero(new)?)
    }

    /// A change between two optional commits (`None`: the ref did not exist on that side).
    pub fn new(full_name: &str, old: Option<String>, new: Option<String>) -> Result<Self, Error> {
        if !is_ref_name(full_name) {
            return Err(Error::RefName(full_name.to_string()));
        }
        for id in old.iter().chain(new.iter()) {
            if !is_object_name(id) || is_zero(id) {
                return Err(Error::ObjectName(id.clone()));
            }
        }
        if old == new {
            return Err(Error::NoChange(full_name.to_string()));
        }
        let lower = |id: Option<String>| id.map(|s| s.to_ascii_lowercase());
        Ok(RefChange { full_name: full_name.to_string(), old: lower(old), new: lower(new) })
    }

    pub fn kind(&self) -> ChangeKind {
        match (&self.old, &self.new) {
            (None, _) => ChangeKind::Created,
            (_, None) => ChangeKind::Deleted,
            _ => ChangeKind::Updated,
        }
    }

    /// `refs/heads/main`.
    pub fn full_name(&self) -> &str {
        &self.full_name
    }

    pub fn old_commit(&self) -> Option<&str> {
        self.old.as_deref()
    }

    pub fn new_commit(&self) -> Option<&str> {
        self.new.as_deref()
    }

    /// Branch or tag; `None` for every other ref.
    pub fn reference_type(&self) -> Option<ReferenceType> {
        [ReferenceType::Branch, ReferenceType::Tag]
            .into_iter()
            .find(|t| self.full_name.strip_prefix(t.prefix()).is_some_and(|rest| !rest.is_empty()))
    }

    /// `main` for `refs/heads/main`, `v1.0` for `refs/tags/v1.0`; the full name otherwise.
    pub fn short_name(&self) -> &str {
        match self.reference_type() {
            Some(t) => &self.full_name[t.prefix().len()..],
            None => &self.full_name,
        }
    }
}

fn object_or_zero(id: &str) -> Result<Option<String>, Error> {
    if !is_object_name(id) {
        return Err(Error::ObjectName(id.to_string()));
    }
    Ok((!is_zero(id)).then(|| id.to_string()))
}

/// SHA-1 (40) or SHA-256 (64) object names, as git prints them.
fn is_object_name(id: &str) -> bool {
    matches!(id.len(), 40 | 64) && id.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_zero(id: &str) -> bool {
    id.bytes().all(|b| b == b'0')
}

/// The parts of `git check-ref-format` that matter for names that reach JSON and URLs: a
/// `refs/` prefix, no control characters, spaces or git's special characters, no `..`.
fn is_ref_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("refs/") else {
        return false;
    };
    let bad_char = |c: char| c.is_control() || matches!(c, ' ' | '~' | '^' | ':' | '?' | '*' | '[' | '\\');
    !rest.is_empty()
        && !name.chars().any(bad_char)
        && !name.contains("..")
        && !name.contains("@{")
        && !name.ends_with('/')
        && !name.ends_with(".lock")
        && rest.split('/').all(|part| !part.is_empty() && !part.starts_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";
    const ZERO: &str = "0000000000000000000000000000000000000000";

    #[test]
    fn zero_ids_mean_created_and_deleted() {
        let created = RefChange::from_git("refs/heads/main", ZERO, A).unwrap();
        assert_eq!((created.kind(), created.old_commit(), created.new_commit()), (ChangeKind::Created, None, Some(A)));
        let updated = RefChange::from_git("refs/heads/main", A, B).unwrap();
        assert_eq!(updated.kind(), ChangeKind::Updated);
        let deleted = RefChange::from_git("refs/heads/main", A, ZERO).unwrap();
        assert_eq!((deleted.kind(), deleted.old_commit(), deleted.new_commit()), (ChangeKind::Deleted, Some(A), None));
        assert_eq!(ChangeKind::Deleted.event_name(), "referenceDeleted");
    }

    #[test]
    fn sha256_repositories_and_upper_case_ids() {
        let zero64 = "0".repeat(64);
        let c = RefChange::from_git("refs/tags/v1", &zero64, &"AB".repeat(32)).unwrap();
        assert_eq!(c.new_commit(), Some("ab".repeat(32).as_str()));
    }

    #[test]
    fn branches_tags_and_other_refs() {
        let branch = RefChange::from_git("refs/heads/feature/x", ZERO, A).unwrap();
        assert_eq!((branch.reference_type(), branch.short_name()), (Some(ReferenceType::Branch), "feature/x"));
        let tag = RefChange::from_git("refs/tags/v1.0", ZERO, A).unwrap();
        assert_eq!((tag.reference_type(), tag.short_name()), (Some(ReferenceType::Tag), "v1.0"));
        let note = RefChange::from_git("refs/notes/commits", ZERO, A).unwrap();
        assert_eq!((note.reference_type(), note.short_name()), (None, "refs/notes/commits"));
    }

    #[test]
    fn bad_changes_are_errors() {
        assert_eq!(RefChange::from_git("refs/heads/m", ZERO, ZERO), Err(Error::NoChange("refs/heads/m".into())));
        assert_eq!(RefChange::from_git("refs/heads/m", A, A), Err(Error::NoChange("refs/heads/m".into())));
        assert_eq!(RefChange::from_git("refs/heads/m", "abc", A), Err(Error::ObjectName("abc".into())));
        assert!(matches!(RefChange::from_git("refs/heads/m", A, &"g".repeat(40)), Err(Error::ObjectName(_))));
        assert!(matches!(RefChange::new("refs/heads/m", Some(ZERO.into()), None), Err(Error::ObjectName(_))));
        for name in ["main", "refs/", "refs/heads/a b", "refs/heads/../x", "refs/heads/x.lock", "refs/heads/.x"] {
            assert_eq!(RefChange::from_git(name, ZERO, A), Err(Error::RefName(name.into())), "{name}");
        }
    }
}

//! What can be wrong with a ref change or a repository as git or the user describe them.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("{0:?} is not a git object name (40 or 64 hex digits)")]
    ObjectName(String),
    #[error("{0:?} is not a full ref name (refs/...)")]
    RefName(String),
    #[error("{0}: old and new are both the zero id, or the same commit: nothing changed")]
    NoChange(String),
    #[error(
        "{0:?} is not a valid repository name: use 1 to 100 letters, digits, '.', '_' or '-' \
         (CodeCommit's rule)"
    )]
    RepositoryName(String),
    #[error("{0}")]
    Format(String),
    #[error("line {line}: {reason}")]
    Line { line: usize, reason: String },
}

//! Build artifacts as CodeBuild makes them: the files a buildspec's `artifacts` section selects
//! (`files` globs under `base-directory`, minus `exclude-paths`, optionally flattened by
//! `discard-paths`), packaged as a ZIP or kept as separate files, with their checksums.

mod collect;
mod package;
mod unpack;

pub use collect::{Entry, collect};
pub use package::{Digests, digests, write_zip};
pub use unpack::unpack_zip;

/// Why artifacts could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    /// CodeBuild's own wording, reported as CLIENT_ERROR in UPLOAD_ARTIFACTS.
    #[error("no matching artifact paths found")]
    NoMatches,
    #[error("invalid artifact pattern {pattern:?}: {message}")]
    BadPattern { pattern: String, message: String },
    #[error("base-directory {0:?} does not exist in the source directory")]
    NoBaseDirectory(String),
    #[error("artifact path {0:?} leaves the source directory")]
    OutsideSource(String),
    #[error("{context}: {source}")]
    Io { context: String, source: std::io::Error },
}

pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> ArtifactError {
    let context = context.into();
    move |source| ArtifactError::Io { context, source }
}

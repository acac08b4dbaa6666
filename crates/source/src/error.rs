//! Errors returned by [`crate::fetch`].

/// Why a source could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The requested version names no branch, tag, pull request or commit of the remote.
    /// `message` follows CodeBuild's DOWNLOAD_SOURCE wording.
    #[error("{message}")]
    RefNotFound { version: String, message: String },
    /// A git command failed. `command` and `stderr` have credentials in URLs redacted.
    #[error("git command failed: {command}: {stderr}")]
    Git { command: String, stderr: String },
    /// The version is malformed or not valid for the source provider.
    #[error("invalid source version: {0}")]
    InvalidVersion(String),
    /// Local I/O failure (destination directory, spawning git).
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl SourceError {
    /// A `RefNotFound` carrying CodeBuild's message for `version`.
    pub(crate) fn ref_not_found(version: &str) -> Self {
        let message = if version.is_empty() {
            "reference not found for primary source".to_string()
        } else {
            format!("reference not found for primary source and source version {version}")
        };
        SourceError::RefNotFound { version: version.to_string(), message }
    }
}

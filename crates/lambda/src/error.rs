//! Why an invocation failed. Lambda reports the error (type and message) to the caller and in
//! the function's metrics; asynchronous invocations are retried, which the idempotency token
//! of each StartBuild makes harmless.

use std::fmt;

use lambda_runtime::Diagnostic;

use crate::outcome::Outcome;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The event has a known shape but lacks something that shape requires.
    #[error("malformed event: {0}")]
    Malformed(String),
    /// The event is neither a CodeCommit trigger event nor an EventBridge event.
    #[error("unrecognised event: {0}")]
    Unrecognised(String),
    /// StartBuild failed for at least one build; the others were started.
    #[error("{0}")]
    StartBuild(Box<StartFailures>),
}

/// The builds that could not be started, with what the same invocation did manage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartFailures {
    pub failures: Vec<Failure>,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub repository: String,
    pub reference: String,
    pub commit: String,
    pub project: String,
    pub message: String,
}

impl fmt::Display for StartFailures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.failures.len() + self.outcome.started.len();
        write!(f, "StartBuild failed for {} of {total} builds", self.failures.len())?;
        for x in &self.failures {
            write!(f, "; project {} for {} {} at {}: {}", x.project, x.repository, x.reference, x.commit, x.message)?;
        }
        let started: Vec<&str> = self.outcome.started.iter().map(|s| s.build_id.as_str()).collect();
        if !started.is_empty() {
            write!(f, "; started {}", started.join(", "))?;
        }
        Ok(())
    }
}

impl Error {
    /// A stable name for the kind of failure, as Lambda's `errorType`.
    pub fn error_type(&self) -> &'static str {
        match self {
            Error::Malformed(_) => "MalformedEvent",
            Error::Unrecognised(_) => "UnrecognisedEvent",
            Error::StartBuild(_) => "StartBuildFailed",
        }
    }
}

impl From<Error> for Diagnostic {
    fn from(error: Error) -> Diagnostic {
        Diagnostic { error_type: error.error_type().to_string(), error_message: error.to_string() }
    }
}

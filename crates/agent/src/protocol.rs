//! What the executor tells the agent (a [`Job`], as a JSON file) and what the agent tells the
//! executor (one [`Event`] per line of JSON on its standard output).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Everything a build needs to run, decided by the server before the agent starts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub build_id: String,
    pub build_arn: String,
    pub build_number: i64,
    pub project_name: String,
    pub project_arn: String,
    pub region: String,
    pub account_id: String,
    pub initiator: String,
    pub image: String,
    pub kms_key_id: String,
    pub start_time_ms: i64,
    pub source: SourceSpec,
    /// The project's `source.buildspec` (or StartBuild's override): inline YAML or a path
    /// relative to the source directory; `None` means `buildspec.yml`.
    pub buildspec: Option<String>,
    /// Plaintext project and StartBuild variables, in precedence order (a later one wins).
    pub env: Vec<(String, String)>,
    /// The build's own directory: `src/` (CODEBUILD_SRC_DIR), `tmp/`, `home/`.
    pub build_dir: PathBuf,
    /// Run the phases inside bubblewrap.
    pub sandbox: bool,
    /// Paths the sandbox must not show (the data dir: other builds, the store).
    pub hidden_paths: Vec<PathBuf>,
    /// The artifact type of the build (`NO_ARTIFACTS`, `S3`, ...), if any.
    pub artifacts_type: Option<String>,
    /// Project or StartBuild variables whose type Kiln cannot resolve yet (PARAMETER_STORE,
    /// SECRETS_MANAGER), as `NAME (TYPE)`: the build fails naming them rather than run with
    /// the parameter's name as the value.
    #[serde(default)]
    pub unresolved_env: Vec<String>,
    /// Filled by the outer stage for the inner one.
    #[serde(default)]
    pub prepared: Option<Prepared>,
}

/// Where the source comes from and which version to build.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceSpec {
    /// CodeBuild's source type: CODECOMMIT, GITHUB, ..., S3, NO_SOURCE.
    pub kind: String,
    pub location: Option<String>,
    pub version: Option<String>,
    /// `gitCloneDepth`; `None` or 0 means the full history.
    pub depth: Option<u32>,
    pub submodules: bool,
}

/// What the outer stage learned before the phases run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Prepared {
    pub buildspec_text: String,
    pub resolved_source_version: Option<String>,
}

/// A phase context: CodeBuild's `{statusCode, message}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    pub status_code: String,
    pub message: String,
}

/// One thing that happened in the build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    PhaseStart {
        phase: String,
        at_ms: i64,
    },
    PhaseEnd {
        phase: String,
        status: String,
        contexts: Vec<Context>,
        at_ms: i64,
    },
    Log {
        at_ms: i64,
        line: String,
    },
    SourceResolved {
        commit: String,
    },
    Exported {
        variables: Vec<(String, String)>,
    },
    /// The inner stage's summary for the outer stage (not forwarded to the executor).
    PhasesOutcome {
        failed: bool,
        aborted: bool,
    },
    /// The build's result; the last event.
    Finished {
        status: String,
        at_ms: i64,
    },
}

impl Event {
    pub fn to_line(&self) -> String {
        // An enum of strings and numbers always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_line(line: &str) -> Option<Event> {
        serde_json::from_str(line).ok()
    }
}

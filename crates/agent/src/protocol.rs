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
    /// Where the primary artifact goes; `None` for NO_ARTIFACTS.
    #[serde(default)]
    pub artifacts: Option<ArtifactTarget>,
    /// The secondary artifacts' destinations, each with its `identifier`.
    #[serde(default)]
    pub secondary_artifacts: Vec<ArtifactTarget>,
    /// Secondary sources, checked out beside the primary in `<build_dir>/sources/<identifier>`.
    #[serde(default)]
    pub secondary_sources: Vec<SecondarySource>,
    /// The object store (a directory) artifacts are written to.
    #[serde(default)]
    pub objects_dir: PathBuf,
    /// Project and StartBuild variables whose values live in Parameter Store or Secrets
    /// Manager: references only; the outer stage asks the executor for the values (see
    /// `crate::secrets`), so no secret is ever written into a job file. Their names are not in
    /// `env`.
    #[serde(default)]
    pub secret_env: Vec<SecretVar>,
    /// Filled by the outer stage for the inner one.
    #[serde(default)]
    pub prepared: Option<Prepared>,
    /// The project's cache (S3 or LOCAL, see `crate::cache`); `None` for NO_CACHE.
    #[serde(default)]
    pub cache: Option<crate::cache::CacheTarget>,
    /// The store's spool file for this build's output (see `crate::spool`), if it keeps one:
    /// command output is appended there by the inner stage and only indexed by events.
    #[serde(default)]
    pub log_spool: Option<PathBuf>,
    /// Set by the outer stage in the inner stage's job: the inherited descriptor of the
    /// spool file, opened for appending.
    #[serde(default)]
    pub log_spool_fd: Option<i32>,
    /// Set by the outer stage in the inner stage's job: the inherited write end of the pipe
    /// the inner stage's events go out on (stdout when `None`).
    #[serde(default)]
    pub events_fd: Option<i32>,
    /// How many nice(1) steps the whole build runs below the process that started it (0:
    /// the same priority). The server's builds run below it, so that the API and the
    /// scheduler stay responsive while builds use every core.
    #[serde(default)]
    pub nice: u8,
}

/// Where the source comes from and which version to build.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceSpec {
    /// CodeBuild's source type: CODECOMMIT, GITHUB, ..., S3, NO_SOURCE; or `kiln run`'s
    /// LOCAL_DIRECTORY (see `crate::local_source`).
    pub kind: String,
    pub location: Option<String>,
    pub version: Option<String>,
    /// `gitCloneDepth`; `None` or 0 means the full history.
    pub depth: Option<u32>,
    pub submodules: bool,
}

/// A secondary source and the name its variables and directory carry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SecondarySource {
    pub identifier: String,
    pub source: SourceSpec,
}

/// An S3 artifact's destination, as the project (or StartBuild's override) sets it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ArtifactTarget {
    /// `artifactIdentifier`; set for secondary artifacts.
    #[serde(default)]
    pub identifier: Option<String>,
    pub bucket: String,
    /// The object key (ZIP) or key prefix (files), `path/[build uuid/]name`.
    pub key: String,
    /// The build's UUID when the namespace type is BUILD_ID: the buildspec's `s3-prefix` then
    /// makes the key `<s3-prefix>/<uuid>/<name>`.
    #[serde(default)]
    pub build_uuid: Option<String>,
    pub zip: bool,
    /// `overrideArtifactName`: the buildspec's `artifacts.name` replaces the last part of the key.
    pub override_name: bool,
}

/// What the outer stage learned before the phases run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Prepared {
    pub buildspec_text: String,
    pub resolved_source_version: Option<String>,
    /// Each secondary source's identifier and resolved commit (none for S3).
    #[serde(default)]
    pub secondary_resolved: Vec<(String, Option<String>)>,
    /// Resolved Parameter Store and Secrets Manager variables, in precedence order. Never
    /// serialized: the inner stage gets them on its stdin, not in its job file.
    #[serde(skip)]
    pub secret_env: Vec<(String, String)>,
}

/// Where a variable's value is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SecretSource {
    /// The reference is a parameter name (or `name:version`).
    ParameterStore,
    /// The reference is `secret-id:json-key:version-stage:version-id` (parts after the id optional).
    SecretsManager,
}

/// A value to look up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretRef {
    pub source: SecretSource,
    pub reference: String,
}

/// A variable whose value is looked up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretVar {
    pub name: String,
    pub value: SecretRef,
}

/// The executor's answer to [`Event::ResolveSecrets`], one JSON line on the agent's stdin:
/// the values in the order asked, or why one could not be resolved (a phase context).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    pub values: Vec<String>,
    pub error: Option<Context>,
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
    /// Lines of command output read together (each without its newline): one event for a
    /// whole read, so a build printing millions of lines costs thousands of events.
    Lines {
        at_ms: i64,
        lines: Vec<String>,
    },
    /// Lines of command output read together, already appended to the build's spool file at
    /// `offset..offset + len`: `lines` lines, each ending with a newline, secrets hidden.
    Spooled {
        at_ms: i64,
        offset: u64,
        len: u64,
        lines: u64,
    },
    /// The spool file could not be written: the build's output from here on is lost.
    SpoolFailed {
        error: String,
    },
    SourceResolved {
        commit: String,
    },
    /// A secondary source was checked out at this commit.
    SecondarySourceResolved {
        identifier: String,
        commit: String,
    },
    Exported {
        variables: Vec<(String, String)>,
    },
    /// An artifact was uploaded: its `arn:aws:s3:::` location, and for a ZIP its checksums.
    Artifacts {
        /// `None` for the primary artifact, else the secondary artifact's identifier.
        #[serde(default)]
        identifier: Option<String>,
        location: String,
        sha256: Option<String>,
        md5: Option<String>,
    },
    /// A buildspec report was read: the group key (a name or a report group ARN), SUCCEEDED
    /// or INCOMPLETE (a file could not be parsed), and its test cases.
    Report {
        group: String,
        status: String,
        test_cases: Vec<kiln_reports::TestCase>,
        raw_paths: Vec<String>,
    },
    /// The outer stage needs these values (answered with a [`Resolution`] on its stdin).
    ResolveSecrets {
        lookups: Vec<SecretRef>,
    },
    /// The buildspec's artifact names as the shell expanded them at the end of the phases
    /// (identifier `None` for the primary); for the outer stage, not forwarded.
    ArtifactNames {
        names: Vec<(Option<String>, String)>,
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
    /// Before INSTALL, from the inner stage: restore the cache (`None`: the buildspec defines
    /// none usable), then answer one line on its stdin. Not forwarded to the executor.
    CacheRestore {
        request: Option<crate::cache::CacheRequest>,
    },
    /// After succeeding phases, from the inner stage: what UPLOAD_ARTIFACTS saves in the cache.
    /// Not forwarded to the executor.
    CacheSave {
        request: crate::cache::CacheRequest,
    },
}

impl Event {
    pub fn to_line(&self) -> String {
        // An enum of strings and numbers always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_line(line: &str) -> Option<Event> {
        // The bulk of the traffic skips serde's buffering of internally tagged enums.
        if line.starts_with(LINES_PREFIX) {
            let LinesBody { at_ms, lines } = serde_json::from_str(line).ok()?;
            return Some(Event::Lines { at_ms, lines });
        }
        serde_json::from_str(line).ok()
    }

    /// Whether an encoded event is build output (`Log` or `Lines`), without decoding it.
    pub fn is_output(line: &str) -> bool {
        line.starts_with(LINES_PREFIX)
            || line.starts_with(r#"{"event":"log","#)
            || line.starts_with(r#"{"event":"spooled","#)
    }
}

/// How an encoded [`Event::Lines`] starts (serde writes the tag first).
const LINES_PREFIX: &str = r#"{"event":"lines","#;

/// [`Event::Lines`]'s fields; the tag is ignored as an unknown field.
#[derive(Deserialize)]
struct LinesBody {
    at_ms: i64,
    lines: Vec<String>,
}

//! The typed buildspec. Every scalar is kept as the text written in the file.

use std::fmt;

/// A parsed and validated buildspec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buildspec {
    pub version: Version,
    /// Top-level `run-as`: Linux user for all commands (phase-level wins).
    pub run_as: Option<String>,
    pub env: Env,
    pub proxy: Proxy,
    pub phases: Phases,
    pub artifacts: Option<Artifacts>,
    pub cache: Option<Cache>,
    /// `reports`, keyed by report group name or ARN, in file order.
    pub reports: Vec<(String, Report)>,
    /// Keys CodeBuild would not recognise; they were ignored.
    pub warnings: Vec<Warning>,
}

/// Buildspec `version`. 0.1 runs each command in its own shell; 0.2 keeps
/// the working directory and variables between commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V0_1,
    V0_2,
}

impl Version {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V0_1 => "0.1",
            Self::V0_2 => "0.2",
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `env` section. Maps keep file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Env {
    /// `bash` or `/bin/sh`; `None` means CodeBuild's default (`/bin/sh`).
    pub shell: Option<String>,
    pub variables: Vec<(String, String)>,
    /// `NAME: /ssm/parameter/name`.
    pub parameter_store: Vec<(String, String)>,
    /// `NAME: secret-id:json-key:version-stage:version-id`.
    pub secrets_manager: Vec<(String, String)>,
    pub exported_variables: Vec<String>,
    pub git_credential_helper: bool,
}

/// The `proxy` section (explicit proxy server setups). Both default to no.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Proxy {
    pub upload_artifacts: bool,
    pub logs: bool,
}

/// The four phases; `None` when the phase is not in the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Phases {
    pub install: Option<Phase>,
    pub pre_build: Option<Phase>,
    pub build: Option<Phase>,
    pub post_build: Option<Phase>,
}

/// One phase. A phase written with no body (`build:`) is present and empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Phase {
    pub run_as: Option<String>,
    /// `None` when not written: CodeBuild's default transitions then apply
    /// (a failed INSTALL or PRE_BUILD ends the build, a failed BUILD still
    /// runs POST_BUILD), which no single explicit value reproduces.
    pub on_failure: Option<OnFailure>,
    /// `runtime: version`, install phase only, in file order.
    pub runtime_versions: Vec<(String, String)>,
    pub commands: Vec<String>,
    pub finally: Vec<String>,
}

/// `on-failure` of a phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnFailure {
    /// `ABORT`: stop the build.
    Abort,
    /// `CONTINUE`: go on to the next phase.
    Continue,
    /// `RETRY[-count][-regex]`: rerun the phase up to `count` times (0–100,
    /// default 3), only when the error output matches `pattern` if given.
    Retry { count: u32, pattern: Option<String> },
}

/// The `artifacts` section, or one of its secondary artifacts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Artifacts {
    pub files: Vec<String>,
    pub name: Option<String>,
    pub discard_paths: bool,
    pub base_directory: Option<String>,
    pub exclude_paths: Vec<String>,
    pub enable_symlinks: bool,
    pub s3_prefix: Option<String>,
    /// `secondary-artifacts`, keyed by artifact identifier, in file order.
    /// Always empty inside a secondary artifact.
    pub secondary_artifacts: Vec<(String, Artifacts)>,
}

/// The `cache` section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cache {
    pub paths: Vec<String>,
    pub key: Option<String>,
    pub fallback_keys: Vec<String>,
    /// `None` means restore and save.
    pub action: Option<CacheAction>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheAction {
    Restore,
    Save,
}

/// One entry of `reports`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub files: Vec<String>,
    pub base_directory: Option<String>,
    pub discard_paths: bool,
    /// Upper-cased (CodeBuild treats it case-insensitively); `JUNITXML` by default.
    pub file_format: String,
}

/// Report file formats CodeBuild accepts: test reports, then coverage reports.
pub const REPORT_FILE_FORMATS: [&str; 10] = [
    "CUCUMBERJSON",
    "JUNITXML",
    "NUNITXML",
    "NUNIT3XML",
    "TESTNGXML",
    "VISUALSTUDIOTRX",
    "CLOVERXML",
    "COBERTURAXML",
    "JACOCOXML",
    "SIMPLECOV",
];

/// Keys of one section that CodeBuild would not identify. CodeBuild logs
/// these and goes on; so do we.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Section as CodeBuild names it: `env`, `artifacts`, `BUILD`, …;
    /// `root` for the top level.
    pub section: String,
    pub keys: Vec<String>,
    /// Line of the first unknown key.
    pub line: usize,
}

/// The warning block CodeBuild writes to the build log, or `None` when
/// there is nothing to say:
///
/// ```text
/// Found possible syntax errors in buildspec:
/// In the section artifacts
///     The following keys cannot be identified:
///         type
/// ```
pub fn format_warnings(warnings: &[Warning]) -> Option<String> {
    if warnings.is_empty() {
        return None;
    }
    let mut out = String::from("Found possible syntax errors in buildspec:");
    for warning in warnings {
        out.push_str("\nIn the section ");
        out.push_str(&warning.section);
        out.push_str("\n    The following keys cannot be identified:");
        for key in &warning.keys {
            out.push_str("\n        ");
            out.push_str(key);
        }
    }
    Some(out)
}

impl Buildspec {
    /// All phases present in the file, in run order, with their CodeBuild names.
    pub fn phases_in_order(&self) -> impl Iterator<Item = (&'static str, &Phase)> {
        let p = &self.phases;
        [
            ("INSTALL", p.install.as_ref()),
            ("PRE_BUILD", p.pre_build.as_ref()),
            ("BUILD", p.build.as_ref()),
            ("POST_BUILD", p.post_build.as_ref()),
        ]
        .into_iter()
        .filter_map(|(name, phase)| phase.map(|phase| (name, phase)))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a panic is a test failure
mod tests {
    use super::*;

    #[test]
    fn warnings_render_like_codebuild() {
        let text = format_warnings(&[
            Warning { section: "artifacts".into(), keys: vec!["type".into()], line: 3 },
            Warning { section: "BUILD".into(), keys: vec!["env".into(), "steps".into()], line: 9 },
        ]);
        assert_eq!(
            text.as_deref(),
            Some(
                "Found possible syntax errors in buildspec:\n\
                 In the section artifacts\n    The following keys cannot be identified:\n        type\n\
                 In the section BUILD\n    The following keys cannot be identified:\n        env\n        steps"
            )
        );
        assert_eq!(format_warnings(&[]), None);
    }
}

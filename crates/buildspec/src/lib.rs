//! # kiln-buildspec
//!
//! Parses a CodeBuild buildspec (version `0.1` or `0.2`) into typed Rust and
//! rejects what CodeBuild rejects, with an error that names the problem and
//! its line. The caller reports the error as `YAML_FILE_ERROR`; the message
//! uses CodeBuild's wording where it is known.
//!
//! ```
//! let spec = kiln_buildspec::parse("version: 0.2\nphases:\n  build:\n    commands:\n      - make\n")?;
//! assert_eq!(spec.phases.build.unwrap().commands, ["make"]);
//! # Ok::<(), kiln_buildspec::BuildspecError>(())
//! ```
//!
//! ## What is checked
//!
//! - **YAML**: one document, a mapping. Syntax errors carry the parser's
//!   message and line; an empty document is an error. Anchors, aliases and
//!   `<<` merges work; alias bombs and deep nesting hit serde-saphyr budgets.
//!   Duplicate keys are an error.
//! - **Limits**: at most [`MAX_BUILDSPEC_BYTES`] (256 KiB) of text and
//!   [`MAX_COMMANDS`] (1,000) commands, `commands` and `finally` of all
//!   phases together. CodeBuild documents neither figure; they are ours.
//! - **`version`**: required, `0.1` or `0.2` as written (`0.20` is not 0.2).
//! - **Scalars keep their text**: `python: 3.10` is "3.10", `PORT: 8080` is
//!   "8080", `FLAG: yes` is "yes"; an empty variable value is "".
//! - **`phases`**: only `install`, `pre_build`, `build`, `post_build`
//!   (`Invalid buildspec phase name: …`); `runtime-versions` only under
//!   `install`; `commands`/`finally` are lists of scalars; a list item that
//!   is a mapping (an unquoted `: ` as in `- echo Step: 1`, or even
//!   `- echo "Step: 1"`) gives CodeBuild's `Expected Commands[0] to be of
//!   string type: found subkeys instead at line N, value of the key tag on
//!   line N-1 might be empty`. The section itself is optional.
//! - **`on-failure`**: `ABORT`, `CONTINUE`, `RETRY`, `RETRY-<count>`,
//!   `RETRY-<regex>`, `RETRY-<count>-<regex>`; count 0–100 (default 3), the
//!   regex must compile. Absent means CodeBuild's default transitions.
//! - **`env`**: variable, parameter-store and secrets-manager values are
//!   scalars; `shell` is `bash` or `/bin/sh` (Windows shells are refused);
//!   `exported-variables` may not start with `AWS_` or `CODEBUILD_`.
//! - **Flags** (`discard-paths`, `enable-symlinks`, `git-credential-helper`,
//!   `proxy/*`): yes/no/true/false/on/off in any case.
//! - **`artifacts`**, each secondary artifact, each report: `files` is
//!   required; `cache` needs `paths`, its `action` is `restore` or `save`;
//!   a report's `file-format` is one of [`REPORT_FILE_FORMATS`].
//! - **Unknown keys** at the top level, in `env`, `proxy`, a phase,
//!   `artifacts`, `cache` or a report are ignored, as CodeBuild does; they
//!   come back as [`Warning`]s, which [`format_warnings`] renders as the
//!   `Found possible syntax errors in buildspec` block CodeBuild logs.
//!   `batch` is accepted and not read.
//!
//! Not checked here: runtime names and versions (they depend on the image)
//! and report group counts (a project-level limit).

mod env;
mod error;
mod model;
mod on_failure;
mod outputs;
mod phases;
mod read;
mod spec;
mod yaml;

pub use env::{LINUX_SHELLS, RESERVED_EXPORT_PREFIXES};
pub use error::BuildspecError;
pub use model::{
    Artifacts, Buildspec, Cache, CacheAction, Env, OnFailure, Phase, Phases, Proxy, REPORT_FILE_FORMATS, Report,
    Version, Warning, format_warnings,
};
pub use on_failure::{DEFAULT_RETRY_COUNT, MAX_RETRY_COUNT};
pub use phases::MAX_COMMANDS;
pub use spec::MAX_BUILDSPEC_BYTES;

/// Parses and validates a buildspec.
pub fn parse(text: &str) -> Result<Buildspec, BuildspecError> {
    spec::parse(text)
}

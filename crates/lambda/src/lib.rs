//! An AWS Lambda function that turns CodeCommit pushes into CodeBuild builds of the pushed commit.
//!
//! It accepts both ways a push reaches Lambda — a CodeCommit repository trigger and an
//! EventBridge "CodeCommit Repository State Change" event — routes each moved branch to projects
//! by [`Config`] (environment variables), and calls StartBuild with the commit as
//! `sourceVersion`. [`handle`] is the whole function; `main.rs` only runs it in the Lambda runtime.

mod client;
mod config;
mod error;
mod event;
mod outcome;
mod route;
mod start;

use aws_sdk_codebuild::Client;
use serde_json::Value;

pub use client::{ACCESS_KEY_ID, SECRET_ACCESS_KEY, codebuild_config};
pub use config::{BUILD_DELETIONS, BUILD_TAGS, Config, ConfigError, DEFAULT_PROJECT, PROJECT_MAP};
pub use error::{Error, Failure, StartFailures};
pub use event::{ChangeKind, Parsed, RefChange, parse};
pub use outcome::{Outcome, Skipped, Started};
pub use start::{EVENT_VAR, REF_VAR, REPOSITORY_VAR};

use route::{Decision, decide};

/// Handles one event: starts a build for every routed reference change and reports the rest as
/// skipped. Fails on a malformed event (nothing started), or when any StartBuild fails (after
/// trying all of them; the error lists what was started too).
pub async fn handle(event: Value, client: &Client, config: &Config) -> Result<Outcome, Error> {
    let parsed = parse(&event)?;
    let mut outcome = Outcome { started: Vec::new(), skipped: parsed.skipped };
    for skipped in &outcome.skipped {
        tracing::info!(reason = %skipped.reason, "skipped");
    }
    let mut failures = Vec::new();
    for change in &parsed.changes {
        let (commit, projects) = match decide(change, config) {
            Decision::Start { commit, projects } => (commit, projects),
            Decision::Skip(reason) => {
                tracing::info!(repository = %change.repository, reference = %change.reference, %reason, "skipped");
                outcome.skipped.push(Skipped {
                    repository: Some(change.repository.clone()),
                    reference: Some(change.reference.clone()),
                    reason,
                });
                continue;
            }
        };
        for project in projects {
            match start::start_build(client, change, commit, project).await {
                Ok(build_id) => {
                    tracing::info!(repository = %change.repository, reference = %change.reference, commit, project, build_id, "started");
                    outcome.started.push(Started {
                        repository: change.repository.clone(),
                        reference: change.reference.clone(),
                        commit: commit.to_string(),
                        project: project.to_string(),
                        build_id,
                    });
                }
                Err(message) => {
                    tracing::warn!(repository = %change.repository, reference = %change.reference, commit, project, %message, "StartBuild failed");
                    failures.push(Failure {
                        repository: change.repository.clone(),
                        reference: change.reference.clone(),
                        commit: commit.to_string(),
                        project: project.to_string(),
                        message,
                    });
                }
            }
        }
    }
    if failures.is_empty() {
        Ok(outcome)
    } else {
        Err(Error::StartBuild(Box::new(StartFailures { failures, outcome })))
    }
}

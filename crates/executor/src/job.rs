//! The agent's job, derived from a build document.

use std::path::Path;

use kiln_agent::protocol::{Job, SourceSpec};
use kiln_api::Config;
use kiln_model::codebuild::{Build, EnvironmentVariableType};

use crate::scheduler::ExecutorConfig;

pub fn job_for(build: &Build, number: i64, api: &Config, exec: &ExecutorConfig, build_dir: &Path) -> Job {
    let id = build.id.clone().unwrap_or_default();
    let project = build.project_name.clone().unwrap_or_default();
    let source = build.source.clone().unwrap_or_default();
    let environment = build.environment.clone().unwrap_or_default();
    let mut env = Vec::new();
    let mut unresolved_env = Vec::new();
    for var in environment.environment_variables.unwrap_or_default() {
        let Some(name) = var.name else { continue };
        match var.r#type {
            None | Some(EnvironmentVariableType::Plaintext) => env.push((name, var.value.unwrap_or_default())),
            Some(other) => unresolved_env.push(format!("{name} ({other})")),
        }
    }
    Job {
        build_arn: api.build_arn(&id),
        build_id: id,
        build_number: number,
        project_arn: api.project_arn(&project),
        project_name: project,
        region: api.region.clone(),
        account_id: api.account_id.clone(),
        initiator: build.initiator.clone().unwrap_or_default(),
        image: environment.image.unwrap_or_default(),
        kms_key_id: build.encryption_key.clone().unwrap_or_default(),
        start_time_ms: build.start_time.map(|t| t.to_millis()).unwrap_or_default(),
        source: SourceSpec {
            kind: source.r#type.map(|t| t.as_str().to_string()).unwrap_or_else(|| "NO_SOURCE".to_string()),
            location: source.location,
            version: build.source_version.clone(),
            depth: source.git_clone_depth.and_then(|d| u32::try_from(d).ok()),
            submodules: source.git_submodules_config.and_then(|c| c.fetch_submodules).unwrap_or(false),
        },
        buildspec: source.buildspec,
        env,
        unresolved_env,
        build_dir: build_dir.to_path_buf(),
        sandbox: exec.sandbox,
        hidden_paths: vec![exec.data_dir.clone()],
        artifacts_type: Some(artifacts_type(build).to_string()),
        prepared: None,
    }
}

/// The artifact type, read back from the location StartBuild recorded.
fn artifacts_type(build: &Build) -> &'static str {
    let location = build.artifacts.as_ref().and_then(|a| a.location.as_deref()).unwrap_or_default();
    if location.starts_with("arn:aws:s3:::") { "S3" } else { "NO_ARTIFACTS" }
}

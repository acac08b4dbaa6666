//! The agent's job, derived from a build document.

use std::path::Path;

use kiln_agent::protocol::{ArtifactTarget, Job, SecretRef, SecretSource, SecretVar, SourceSpec};
use kiln_api::Config;
use kiln_api::settings::{BuildSettings, artifact_object, is_zip};
use kiln_model::codebuild::{Build, EnvironmentVariable, EnvironmentVariableType};

use crate::scheduler::ExecutorConfig;

pub fn job_for(
    build: &Build,
    settings: &BuildSettings,
    number: i64,
    api: &Config,
    exec: &ExecutorConfig,
    build_dir: &Path,
) -> Job {
    let id = build.id.clone().unwrap_or_default();
    let project = build.project_name.clone().unwrap_or_default();
    let source = build.source.clone().unwrap_or_default();
    let environment = build.environment.clone().unwrap_or_default();
    let (env, secret_env) = split_env(environment.environment_variables.unwrap_or_default());
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
        secret_env,
        build_dir: build_dir.to_path_buf(),
        sandbox: exec.sandbox,
        hidden_paths: vec![exec.data_dir.clone()],
        artifacts: artifact_target(settings, build.id.as_deref().unwrap_or_default()),
        secondary_artifacts: settings.secondary_artifacts.len(),
        objects_dir: exec.data_dir.join("objects"),
        prepared: None,
    }
}

/// The primary artifact's destination, from the settings StartBuild stored.
fn artifact_target(settings: &BuildSettings, build_id: &str) -> Option<ArtifactTarget> {
    let artifacts = settings.artifacts.as_ref()?;
    let (bucket, key) = artifact_object(artifacts, build_id)?;
    Some(ArtifactTarget {
        bucket,
        key,
        zip: is_zip(artifacts),
        override_name: artifacts.override_artifact_name.unwrap_or(false),
    })
}

/// The build's variables (project, then StartBuild overrides), one per name with the last
/// one winning: plaintext values, and references to look up when the build starts.
fn split_env(vars: Vec<EnvironmentVariable>) -> (Vec<(String, String)>, Vec<SecretVar>) {
    let mut last: Vec<EnvironmentVariable> = Vec::new();
    for var in vars {
        if var.name.is_none() {
            continue;
        }
        last.retain(|v| v.name != var.name);
        last.push(var);
    }
    let mut env = Vec::new();
    let mut secret_env = Vec::new();
    for var in last {
        let name = var.name.unwrap_or_default();
        let value = var.value.unwrap_or_default();
        let source = match var.r#type {
            Some(EnvironmentVariableType::ParameterStore) => SecretSource::ParameterStore,
            Some(EnvironmentVariableType::SecretsManager) => SecretSource::SecretsManager,
            None | Some(EnvironmentVariableType::Plaintext) => {
                env.push((name, value));
                continue;
            }
        };
        secret_env.push(SecretVar { name, value: SecretRef { source, reference: value } });
    }
    (env, secret_env)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn var(name: &str, value: &str, kind: EnvironmentVariableType) -> EnvironmentVariable {
        EnvironmentVariable { name: Some(name.into()), value: Some(value.into()), r#type: Some(kind) }
    }

    #[test]
    fn each_name_gets_its_last_definition_and_secrets_stay_references() {
        let (env, secrets) = split_env(vec![
            var("A", "1", EnvironmentVariableType::Plaintext),
            var("T", "/param", EnvironmentVariableType::ParameterStore),
            var("A", "/a", EnvironmentVariableType::ParameterStore),
            var("T", "plain", EnvironmentVariableType::Plaintext),
            var("S", "db:key", EnvironmentVariableType::SecretsManager),
        ]);
        assert_eq!(env, [("T".to_string(), "plain".to_string())]);
        let names: Vec<(&str, SecretSource, &str)> =
            secrets.iter().map(|v| (v.name.as_str(), v.value.source, v.value.reference.as_str())).collect();
        assert_eq!(names, [("A", SecretSource::ParameterStore, "/a"), ("S", SecretSource::SecretsManager, "db:key")]);
    }
}

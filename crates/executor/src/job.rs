//! The agent's job, derived from a build document.

use std::path::Path;

use kiln_agent::cache::CacheTarget;
use kiln_agent::protocol::{ArtifactTarget, Job, SecondarySource, SecretRef, SecretSource, SecretVar, SourceSpec};
use kiln_api::Config;
use kiln_api::settings::{BuildSettings, artifact_object, is_zip};
use kiln_model::codebuild::{
    ArtifactNamespace, Build, CacheType, EnvironmentVariable, EnvironmentVariableType, ProjectArtifacts, ProjectSource,
};

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
    let id_for_targets = id.clone();
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
        buildspec: source.buildspec.clone(),
        source: source_spec(&source, build.source_version.clone()),
        secondary_sources: secondary_sources(build),
        env,
        secret_env,
        build_dir: build_dir.to_path_buf(),
        sandbox: exec.sandbox,
        hidden_paths: vec![exec.data_dir.clone()],
        artifacts: settings.artifacts.as_ref().and_then(|a| artifact_target(a, &id_for_targets)),
        secondary_artifacts: settings
            .secondary_artifacts
            .iter()
            .filter_map(|a| artifact_target(a, &id_for_targets))
            .collect(),
        objects_dir: exec.data_dir.join("objects"),
        prepared: None,
        cache: cache_target(build, &exec.data_dir),
        log_spool: None,
        log_spool_fd: None,
        nice: exec.build_nice,
        events_fd: None,
    }
}

/// Where the build's cache lives (see `kiln_api::cache`); `None` for NO_CACHE.
fn cache_target(build: &Build, data_dir: &Path) -> Option<CacheTarget> {
    let cache = build.cache.as_ref()?;
    let project = build.project_name.as_deref().unwrap_or_default();
    match cache.r#type? {
        CacheType::NoCache => None,
        CacheType::S3 => {
            kiln_api::cache::s3_location(cache, project).map(|(bucket, prefix)| CacheTarget::S3 { bucket, prefix })
        }
        CacheType::Local => Some(CacheTarget::Local {
            dir: kiln_api::cache::local_dir(data_dir, cache, project),
            modes: cache.modes.iter().flatten().map(|m| m.as_str().to_string()).collect(),
        }),
    }
}

/// Where a source comes from, at the version to build.
fn source_spec(source: &ProjectSource, version: Option<String>) -> SourceSpec {
    SourceSpec {
        kind: source.r#type.map(|t| t.as_str().to_string()).unwrap_or_else(|| "NO_SOURCE".to_string()),
        location: source.location.clone(),
        version,
        depth: source.git_clone_depth.and_then(|d| u32::try_from(d).ok()),
        submodules: source.git_submodules_config.as_ref().and_then(|c| c.fetch_submodules).unwrap_or(false),
    }
}

/// The secondary sources, each at its version from `secondarySourceVersions` (none: the default branch).
fn secondary_sources(build: &Build) -> Vec<SecondarySource> {
    let versions = build.secondary_source_versions.as_deref().unwrap_or_default();
    build
        .secondary_sources
        .iter()
        .flatten()
        .map(|source| {
            let identifier = source.source_identifier.clone().unwrap_or_default();
            let version = versions
                .iter()
                .find(|v| v.source_identifier.as_deref() == Some(identifier.as_str()))
                .and_then(|v| v.source_version.clone());
            SecondarySource { source: source_spec(source, version), identifier }
        })
        .collect()
}

/// An S3 artifact's destination, from the settings StartBuild stored (`None` for NO_ARTIFACTS).
fn artifact_target(artifacts: &ProjectArtifacts, build_id: &str) -> Option<ArtifactTarget> {
    let (bucket, key) = artifact_object(artifacts, build_id)?;
    let uuid = build_id.split_once(':').map(|(_, u)| u).unwrap_or(build_id);
    Some(ArtifactTarget {
        identifier: artifacts.artifact_identifier.clone(),
        bucket,
        key,
        build_uuid: (artifacts.namespace_type == Some(ArtifactNamespace::BuildId)).then(|| uuid.to_string()),
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

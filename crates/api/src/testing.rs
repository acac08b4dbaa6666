//! An `Api` over an in-memory store, for the operation layer's unit tests.

use std::sync::Arc;

use crate::vault::Vault;
use crate::{Api, Config, Scheduler};

struct NoScheduler;

impl Scheduler for NoScheduler {
    fn wake(&self) {}
    fn stop(&self, _build_id: &str) {}
    fn wait_until_finished(&self, _build_id: &str, _timeout: std::time::Duration) {}
}

pub(crate) fn config() -> Config {
    Config {
        region: "us-east-1".to_string(),
        account_id: "000000000000".to_string(),
        concurrency: 1,
        max_queued: 5,
        vault: Arc::new(Vault::ephemeral().expect("vault")),
    }
}

/// A CreateProject request for a NO_SOURCE project running `buildspec`, with what every
/// project needs.
pub(crate) fn no_source_project(name: &str, buildspec: &str) -> kiln_model::codebuild::CreateProjectInput {
    use kiln_model::codebuild::*;
    CreateProjectInput {
        name: Some(name.into()),
        source: Some(ProjectSource {
            r#type: Some(SourceType::NoSource),
            buildspec: Some(buildspec.into()),
            ..Default::default()
        }),
        artifacts: Some(ProjectArtifacts { r#type: Some(ArtifactsType::NoArtifacts), ..Default::default() }),
        environment: Some(ProjectEnvironment {
            r#type: Some(EnvironmentType::LinuxContainer),
            image: Some("aws/codebuild/standard:7.0".into()),
            compute_type: Some(ComputeType::BuildGeneral1Small),
            ..Default::default()
        }),
        service_role: Some("arn:aws:iam::000000000000:role/r".into()),
        ..Default::default()
    }
}

pub(crate) fn api() -> Api {
    let store = kiln_store::SqliteStore::open_in_memory().expect("store");
    Api::new(Arc::new(store), Arc::new(NoScheduler), config())
}

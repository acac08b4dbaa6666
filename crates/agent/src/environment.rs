//! The environment a build's commands start with: the documented `CODEBUILD_*` variables,
//! the buildspec's `env.variables`, the resolved Parameter Store and Secrets Manager
//! variables, then the project's and StartBuild's plaintext variables.

use std::collections::BTreeMap;
use std::path::Path;

use crate::protocol::{Job, SourceSpec};

/// Variables of the server's environment that builds inherit (everything else is cleared, so
/// the server's own settings and credentials never reach a build).
const INHERITED: &[&str] = &["PATH", "LANG", "LC_ALL", "TZ"];

pub fn initial(
    job: &Job,
    buildspec_vars: &[(String, String)],
    secret_vars: &[(String, String)],
    src_dir: &Path,
    resolved: Option<&str>,
) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for name in INHERITED {
        if let Ok(v) = std::env::var(name) {
            env.insert(name.to_string(), v);
        }
    }
    env.entry("PATH".to_string())
        .or_insert_with(|| "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_string());
    env.insert("HOME".to_string(), job.build_dir.join("home").display().to_string());
    env.insert("TMPDIR".to_string(), "/tmp".to_string());
    // Precedence: buildspec < project < StartBuild override. `secret_vars` holds the buildspec's
    // looked-up variables before the project's and StartBuild's, whose names `job.env` never
    // shares (the executor gives each name one type), so this order is that precedence.
    for (k, v) in buildspec_vars.iter().chain(secret_vars).chain(job.env.iter()) {
        env.insert(k.clone(), v.clone());
    }
    // CODEBUILD_* are reserved: what CodeBuild sets wins over anything a user defined.
    for (k, v) in codebuild_vars(job, src_dir, resolved) {
        env.insert(k, v);
    }
    env
}

fn codebuild_vars(job: &Job, src_dir: &Path, resolved: Option<&str>) -> Vec<(String, String)> {
    let stream = job.build_id.split_once(':').map(|(_, u)| u).unwrap_or_default();
    let mut vars = vec![
        ("AWS_DEFAULT_REGION", job.region.clone()),
        ("AWS_REGION", job.region.clone()),
        ("CODEBUILD_BUILD_ARN", job.build_arn.clone()),
        ("CODEBUILD_BUILD_ID", job.build_id.clone()),
        ("CODEBUILD_BUILD_IMAGE", job.image.clone()),
        ("CODEBUILD_BUILD_NUMBER", job.build_number.to_string()),
        ("CODEBUILD_BUILD_SUCCEEDING", "1".to_string()),
        ("CODEBUILD_CI", "true".to_string()),
        ("CODEBUILD_INITIATOR", job.initiator.clone()),
        ("CODEBUILD_KMS_KEY_ID", job.kms_key_id.clone()),
        ("CODEBUILD_LOG_PATH", stream.to_string()),
        ("CODEBUILD_PROJECT_ARN", job.project_arn.clone()),
        ("CODEBUILD_SOURCE_REPO_URL", repo_url(&job.source)),
        ("CODEBUILD_SOURCE_VERSION", job.source.version.clone().or(resolved.map(str::to_string)).unwrap_or_default()),
        ("CODEBUILD_SRC_DIR", src_dir.display().to_string()),
        ("CODEBUILD_START_TIME", job.start_time_ms.to_string()),
    ];
    if let Some(commit) = resolved {
        vars.push(("CODEBUILD_RESOLVED_SOURCE_VERSION", commit.to_string()));
    }
    let mut vars: Vec<(String, String)> = vars.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    vars.extend(secondary_vars(job));
    vars
}

/// `CODEBUILD_SRC_DIR_<id>`, `CODEBUILD_SOURCE_VERSION_<id>` and `CODEBUILD_SOURCE_REPO_URL_<id>`
/// of each secondary source. The version is the one asked for, else the commit checked out.
fn secondary_vars(job: &Job) -> Vec<(String, String)> {
    let resolved = job.prepared.as_ref().map(|p| p.secondary_resolved.as_slice()).unwrap_or_default();
    let mut vars = Vec::new();
    for secondary in &job.secondary_sources {
        let id = &secondary.identifier;
        let commit = resolved.iter().find(|(i, _)| i == id).and_then(|(_, c)| c.clone());
        let version = secondary.source.version.clone().filter(|v| !v.is_empty()).or(commit).unwrap_or_default();
        let dir = crate::download::secondary_dir(job, id);
        vars.push((format!("CODEBUILD_SRC_DIR_{id}"), dir.display().to_string()));
        vars.push((format!("CODEBUILD_SOURCE_VERSION_{id}"), version));
        vars.push((format!("CODEBUILD_SOURCE_REPO_URL_{id}"), repo_url(&secondary.source)));
    }
    vars
}

/// The source's URL as CodeBuild shows it: the clone URL, or `s3://bucket/key` for S3.
fn repo_url(source: &SourceSpec) -> String {
    let location = source.location.clone().unwrap_or_default();
    if source.kind == "S3" && !location.starts_with("s3://") { format!("s3://{location}") } else { location }
}

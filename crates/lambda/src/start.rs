//! The StartBuild call for one project and one reference change.

use aws_sdk_codebuild::Client;
use aws_sdk_codebuild::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_codebuild::types::{EnvironmentVariable, EnvironmentVariableType};

use crate::event::RefChange;

/// Variables each build gets, since a commit id alone does not say which reference moved.
pub const REPOSITORY_VAR: &str = "KILN_TRIGGER_REPOSITORY";
pub const REF_VAR: &str = "KILN_TRIGGER_REF";
pub const EVENT_VAR: &str = "KILN_TRIGGER_EVENT";

/// Starts `project` at `commit`; returns the build id, or CodeBuild's error as text.
pub async fn start_build(client: &Client, change: &RefChange, commit: &str, project: &str) -> Result<String, String> {
    let mut request = client.start_build().project_name(project).source_version(commit);
    for (name, value) in [
        (REPOSITORY_VAR, change.repository.as_str()),
        (REF_VAR, change.reference.as_str()),
        (EVENT_VAR, change.kind.as_str()),
    ] {
        request = request.environment_variables_override(variable(name, value)?);
    }
    // A redelivered event (Lambda retries, trigger redelivery) replays the first build instead of
    // starting another: CodeBuild remembers a token for five minutes.
    if let Some(id) = &change.event_id {
        request = request.idempotency_token(format!("{id}/{}/{project}", change.reference));
    }
    match request.send().await {
        Ok(out) => match out.build_value().and_then(|b| b.id()) {
            Some(id) => Ok(id.to_string()),
            None => Err("StartBuild returned no build id".to_string()),
        },
        Err(e) => Err(match (e.code(), e.message()) {
            (Some(code), Some(message)) => format!("{code}: {message}"),
            (Some(code), None) => code.to_string(),
            _ => DisplayErrorContext(&e).to_string(),
        }),
    }
}

fn variable(name: &str, value: &str) -> Result<EnvironmentVariable, String> {
    EnvironmentVariable::builder()
        .name(name)
        .value(value)
        .r#type(EnvironmentVariableType::Plaintext)
        .build()
        .map_err(|e| e.to_string())
}

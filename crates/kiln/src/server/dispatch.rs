//! From (service, operation) to the handler: decode the typed input, run the operation off the
//! async threads (the store is synchronous), encode the output.

use axum::body::Bytes;
use kiln_api::{Api, ApiError, Caller};
use kiln_wire::{Call, Protocol, WireError};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub enum Failure {
    Wire(WireError),
    Api(ApiError),
}

const CODEBUILD: &str = kiln_model::codebuild::TARGET_PREFIX;
const LOGS: &str = kiln_model::logs::TARGET_PREFIX;
const SSM: &str = kiln_model::ssm::TARGET_PREFIX;
const SECRETS: &str = kiln_model::secretsmanager::TARGET_PREFIX;
const EVENTS: &str = kiln_model::events::TARGET_PREFIX;

/// The exception name a service uses for a generic code: CodeBuild reports every validation
/// problem as InvalidInputException, CloudWatch Logs and Secrets Manager as
/// InvalidParameterException, Parameter Store and EventBridge as ValidationException.
pub fn service_code<'a>(target_prefix: &str, code: &'a str) -> &'a str {
    match (target_prefix, code) {
        (EVENTS, "InvalidInputException") => "ValidationException",
        (EVENTS, "AccountLimitExceededException") => "LimitExceededException",
        (EVENTS, "InternalFailure") => "InternalException",
        (LOGS | SECRETS, "InvalidInputException" | "ValidationException") => "InvalidParameterException",
        (CODEBUILD, "ValidationException") => "InvalidInputException",
        (SSM, "InvalidInputException") => "ValidationException",
        (SECRETS, "ResourceAlreadyExistsException") => "ResourceExistsException",
        _ => code,
    }
}

/// Runs one operation handler on the blocking pool.
async fn run<I, O>(
    api: &Api,
    protocol: Protocol,
    body: Bytes,
    caller: Caller,
    handler: fn(&Api, I, &Caller) -> Result<O, ApiError>,
) -> Result<Vec<u8>, Failure>
where
    I: DeserializeOwned + Default + Send + 'static,
    O: Serialize + Send + 'static,
{
    let input: I = kiln_wire::decode(protocol, &body).map_err(Failure::Wire)?;
    let api = api.clone();
    let output = tokio::task::spawn_blocking(move || handler(&api, input, &caller))
        .await
        .map_err(|e| Failure::Api(ApiError::Internal(format!("operation panicked: {e}"))))?
        .map_err(Failure::Api)?;
    Ok(kiln_wire::encode(protocol, &output))
}

/// Runs a handler that encodes its own answer (see `Api::batch_get_builds_encoded`).
async fn run_encoded<I>(
    api: &Api,
    protocol: Protocol,
    body: Bytes,
    handler: fn(&Api, I, Protocol) -> Result<Vec<u8>, ApiError>,
) -> Result<Vec<u8>, Failure>
where
    I: DeserializeOwned + Default + Send + 'static,
{
    let input: I = kiln_wire::decode(protocol, &body).map_err(Failure::Wire)?;
    let api = api.clone();
    tokio::task::spawn_blocking(move || handler(&api, input, protocol))
        .await
        .map_err(|e| Failure::Api(ApiError::Internal(format!("operation panicked: {e}"))))?
        .map_err(Failure::Api)
}

/// Adapts a handler that does not care who calls.
macro_rules! anyone {
    ($method:ident) => {
        |api: &Api, input, _caller: &Caller| api.$method(input)
    };
}

pub async fn dispatch(api: &Api, call: &Call, body: Bytes, caller: Caller) -> Result<Vec<u8>, Failure> {
    let p = call.protocol;
    match (call.target_prefix.as_str(), call.operation.as_str()) {
        (CODEBUILD, "CreateProject") => run(api, p, body, caller, anyone!(create_project)).await,
        (CODEBUILD, "UpdateProject") => run(api, p, body, caller, anyone!(update_project)).await,
        (CODEBUILD, "DeleteProject") => run(api, p, body, caller, anyone!(delete_project)).await,
        (CODEBUILD, "BatchGetProjects") => run(api, p, body, caller, anyone!(batch_get_projects)).await,
        (CODEBUILD, "ListProjects") => run(api, p, body, caller, anyone!(list_projects)).await,
        (CODEBUILD, "StartBuild") => {
            run(api, p, body, caller, |api, input, caller| api.start_build(input, caller)).await
        }
        (CODEBUILD, "BatchGetBuilds") => run_encoded(api, p, body, Api::batch_get_builds_encoded).await,
        (CODEBUILD, "ListBuilds") => run(api, p, body, caller, anyone!(list_builds)).await,
        (CODEBUILD, "ListBuildsForProject") => run(api, p, body, caller, anyone!(list_builds_for_project)).await,
        (CODEBUILD, "StopBuild") => run(api, p, body, caller, anyone!(stop_build)).await,
        (CODEBUILD, "RetryBuild") => {
            run(api, p, body, caller, |api, input, caller| api.retry_build(input, caller)).await
        }
        (CODEBUILD, "BatchDeleteBuilds") => run(api, p, body, caller, anyone!(batch_delete_builds)).await,
        (CODEBUILD, "InvalidateProjectCache") => run(api, p, body, caller, anyone!(invalidate_project_cache)).await,
        (CODEBUILD, "CreateReportGroup") => run(api, p, body, caller, anyone!(create_report_group)).await,
        (CODEBUILD, "UpdateReportGroup") => run(api, p, body, caller, anyone!(update_report_group)).await,
        (CODEBUILD, "DeleteReportGroup") => run(api, p, body, caller, anyone!(delete_report_group)).await,
        (CODEBUILD, "BatchGetReportGroups") => run(api, p, body, caller, anyone!(batch_get_report_groups)).await,
        (CODEBUILD, "ListReportGroups") => run(api, p, body, caller, anyone!(list_report_groups)).await,
        (CODEBUILD, "BatchGetReports") => run(api, p, body, caller, anyone!(batch_get_reports)).await,
        (CODEBUILD, "ListReports") => run(api, p, body, caller, anyone!(list_reports)).await,
        (CODEBUILD, "ListReportsForReportGroup") => {
            run(api, p, body, caller, anyone!(list_reports_for_report_group)).await
        }
        (CODEBUILD, "DeleteReport") => run(api, p, body, caller, anyone!(delete_report)).await,
        (CODEBUILD, "DescribeTestCases") => run(api, p, body, caller, anyone!(describe_test_cases)).await,
        (CODEBUILD, "GetReportGroupTrend") => run(api, p, body, caller, anyone!(get_report_group_trend)).await,
        (CODEBUILD, "CreateWebhook") => run(api, p, body, caller, anyone!(create_webhook)).await,
        (CODEBUILD, "UpdateWebhook") => run(api, p, body, caller, anyone!(update_webhook)).await,
        (CODEBUILD, "DeleteWebhook") => run(api, p, body, caller, anyone!(delete_webhook)).await,
        (LOGS, "GetLogEvents") => run(api, p, body, caller, anyone!(get_log_events)).await,
        (LOGS, "DescribeLogGroups") => run(api, p, body, caller, anyone!(describe_log_groups)).await,
        (LOGS, "DescribeLogStreams") => run(api, p, body, caller, anyone!(describe_log_streams)).await,
        (LOGS, "FilterLogEvents") => run(api, p, body, caller, anyone!(filter_log_events)).await,
        (LOGS, "StartLiveTail") => Err(Failure::Api(ApiError::Unsupported(
            "Kiln does not implement StartLiveTail (an HTTP/2 event stream); poll FilterLogEvents instead, \
             as `aws logs tail --follow` does"
                .to_string(),
        ))),
        (SSM, "PutParameter") => run(api, p, body, caller, anyone!(put_parameter)).await,
        (SSM, "GetParameter") => run(api, p, body, caller, anyone!(get_parameter)).await,
        (SSM, "GetParameters") => run(api, p, body, caller, anyone!(get_parameters)).await,
        (SSM, "DeleteParameter") => run(api, p, body, caller, anyone!(delete_parameter)).await,
        (SSM, "DeleteParameters") => run(api, p, body, caller, anyone!(delete_parameters)).await,
        (SSM, "GetParametersByPath") => run(api, p, body, caller, anyone!(get_parameters_by_path)).await,
        (SSM, "DescribeParameters") => run(api, p, body, caller, anyone!(describe_parameters)).await,
        (SECRETS, "CreateSecret") => run(api, p, body, caller, anyone!(create_secret)).await,
        (SECRETS, "PutSecretValue") => run(api, p, body, caller, anyone!(put_secret_value)).await,
        (SECRETS, "GetSecretValue") => run(api, p, body, caller, anyone!(get_secret_value)).await,
        (SECRETS, "DeleteSecret") => run(api, p, body, caller, anyone!(delete_secret)).await,
        (SECRETS, "ListSecrets") => run(api, p, body, caller, anyone!(list_secrets)).await,
        (SECRETS, "DescribeSecret") => run(api, p, body, caller, anyone!(describe_secret)).await,
        (SECRETS, "UpdateSecret") => run(api, p, body, caller, anyone!(update_secret)).await,
        (EVENTS, "PutRule") => run(api, p, body, caller, anyone!(put_rule)).await,
        (EVENTS, "DescribeRule") => run(api, p, body, caller, anyone!(describe_rule)).await,
        (EVENTS, "ListRules") => run(api, p, body, caller, anyone!(list_rules)).await,
        (EVENTS, "DeleteRule") => run(api, p, body, caller, anyone!(delete_rule)).await,
        (EVENTS, "EnableRule") => run(api, p, body, caller, anyone!(enable_rule)).await,
        (EVENTS, "DisableRule") => run(api, p, body, caller, anyone!(disable_rule)).await,
        (EVENTS, "PutTargets") => run(api, p, body, caller, anyone!(put_targets)).await,
        (EVENTS, "RemoveTargets") => run(api, p, body, caller, anyone!(remove_targets)).await,
        (EVENTS, "ListTargetsByRule") => run(api, p, body, caller, anyone!(list_targets_by_rule)).await,
        (EVENTS, "PutEvents") => run(api, p, body, caller, anyone!(put_events)).await,
        (EVENTS, "TestEventPattern") => run(api, p, body, caller, anyone!(test_event_pattern)).await,
        (CODEBUILD, op) if kiln_model::codebuild::OPERATIONS.iter().any(|o| o.name == op) => Err(Failure::Api(
            ApiError::Unsupported(format!("Kiln does not implement the CodeBuild operation {op} yet")),
        )),
        (LOGS, op) => Err(Failure::Api(ApiError::Unsupported(format!(
            "Kiln does not implement the CloudWatch Logs operation {op} yet"
        )))),
        (SSM, op) => Err(Failure::Api(ApiError::Unsupported(format!(
            "Kiln does not implement the Systems Manager operation {op} yet"
        )))),
        (SECRETS, op) => Err(Failure::Api(ApiError::Unsupported(format!(
            "Kiln does not implement the Secrets Manager operation {op} yet"
        )))),
        (EVENTS, op) => Err(Failure::Api(ApiError::Unsupported(format!(
            "Kiln does not implement the EventBridge operation {op} yet"
        )))),
        (prefix, op) => Err(Failure::Wire(WireError::UnknownOperation(format!("Unknown operation {prefix}.{op}")))),
    }
}

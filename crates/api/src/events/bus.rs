//! Names and ARNs: the one event bus Kiln has (`default`), rules on it, and the errors that
//! name them as EventBridge does.

use crate::{ApiError, Config};

/// The only event bus: every account's default bus.
pub(crate) const DEFAULT_BUS: &str = "default";

/// The bus an `EventBusName` names: absent, `default`, or the default bus's ARN.
pub(crate) fn resolve(config: &Config, given: Option<&str>) -> Result<&'static str, ApiError> {
    match given {
        None | Some(DEFAULT_BUS) => Ok(DEFAULT_BUS),
        Some(arn) if arn == bus_arn(config) => Ok(DEFAULT_BUS),
        Some(other) => Err(ApiError::ResourceNotFound(format!(
            "Event bus {other} does not exist. Kiln has only the default event bus."
        ))),
    }
}

pub(crate) fn bus_arn(config: &Config) -> String {
    format!("arn:aws:events:{}:{}:event-bus/{DEFAULT_BUS}", config.region, config.account_id)
}

/// `arn:aws:events:<region>:<account>:rule/<name>`: rules on the default bus carry no bus name.
pub(crate) fn rule_arn(config: &Config, name: &str) -> String {
    format!("arn:aws:events:{}:{}:rule/{name}", config.region, config.account_id)
}

/// Rule names and target ids: `[\.\-_A-Za-z0-9]+` (the model checks the length).
pub(crate) fn check_name(field: &str, value: &str) -> Result<(), ApiError> {
    if !value.is_empty() && value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')) {
        return Ok(());
    }
    Err(validation(format!(
        "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+"
    )))
}

pub(crate) fn validation(message: impl Into<String>) -> ApiError {
    ApiError::Named("ValidationException", message.into())
}

pub(crate) fn no_such_rule(name: &str) -> ApiError {
    ApiError::ResourceNotFound(format!("Rule {name} does not exist on EventBus {DEFAULT_BUS}."))
}

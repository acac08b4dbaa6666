//! Events as EventBridge delivers them: `version`, `id`, `detail-type`, `source`, `account`,
//! `time`, `region`, `resources` and `detail`.

use kiln_model::events::PutEventsRequestEntry;
use serde_json::{Map, Value, json};

use super::time::iso8601;
use crate::{ApiError, Config, now_ms};

/// Why PutEvents refuses an entry: its `ErrorCode` and `ErrorMessage`.
pub(crate) type Refusal = (&'static str, String);

/// The event a PutEvents entry makes. Sources under `aws.` are accepted (EventBridge refuses
/// them), so that AWS service events such as CodeCommit's can be replayed into Kiln.
pub(crate) fn from_entry(entry: &PutEventsRequestEntry, config: &Config) -> Result<Value, Refusal> {
    let required = |value: &Option<String>, name: &str| match value.as_deref() {
        Some(v) if !v.is_empty() => Ok(v.to_string()),
        _ => Err(("InvalidArgument", format!("Parameter {name} is not valid. Reason: {name} is a required argument."))),
    };
    let source = required(&entry.source, "Source")?;
    let detail_type = required(&entry.detail_type, "DetailType")?;
    let detail = required(&entry.detail, "Detail")?;
    let detail: Value = match serde_json::from_str(&detail) {
        Ok(detail @ Value::Object(_)) => detail,
        _ => return Err(("MalformedDetail", "Detail is malformed.".to_string())),
    };
    let time_ms = entry.time.map(|t| t.to_millis()).unwrap_or_else(now_ms);
    Ok(json!({
        "version": "0",
        "id": uuid::Uuid::new_v4().to_string(),
        "detail-type": detail_type,
        "source": source,
        "account": config.account_id,
        "time": iso8601(time_ms),
        "region": config.region,
        "resources": entry.resources.clone().unwrap_or_default(),
        "detail": detail,
    }))
}

/// Completes an event built inside Kiln: `source` and `detail-type` are required; `version`,
/// `id`, `account`, `time`, `region`, `resources` and `detail` are filled in when absent.
pub(crate) fn complete(event: Value, config: &Config) -> Result<Value, ApiError> {
    let Value::Object(mut fields) = event else {
        return Err(ApiError::InvalidInput("an event must be a JSON object".to_string()));
    };
    for name in ["source", "detail-type"] {
        if !fields.get(name).is_some_and(Value::is_string) {
            return Err(ApiError::InvalidInput(format!("an event needs a string \"{name}\"")));
        }
    }
    let mut default = |name: &str, value: Value| {
        fields.entry(name).or_insert(value);
    };
    default("version", json!("0"));
    default("id", json!(uuid::Uuid::new_v4().to_string()));
    default("account", json!(config.account_id));
    default("time", json!(iso8601(now_ms())));
    default("region", json!(config.region));
    default("resources", json!([]));
    default("detail", Value::Object(Map::new()));
    Ok(Value::Object(fields))
}

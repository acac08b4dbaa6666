//! The record of deliveries, as Kiln shows it (`GET /webhooks/deliveries?project=<name>`, a
//! Kiln extension: CodeBuild has no API for it).

use kiln_store::{DeliveryOutcome, DeliveryRecord};
use serde_json::{Value, json};

use crate::{Api, ApiError};

/// Deliveries listed at most.
const LIST_LIMIT: usize = 100;

impl Api {
    /// A project's newest deliveries, newest first: `{"deliveries": [...]}`.
    pub fn list_webhook_deliveries(&self, project: &str) -> Result<Value, ApiError> {
        let deliveries = self.store.list_deliveries(project, LIST_LIMIT)?;
        // Deliveries outlive their project; only a name never seen is an error.
        if deliveries.is_empty() {
            self.load_project(project)?;
        }
        Ok(json!({ "deliveries": deliveries.iter().map(delivery_json).collect::<Vec<_>>() }))
    }
}

/// One delivery: Kiln's id, the provider's, when, the outcome with its build, reason or
/// earlier delivery, the payload's digest, and what was read of it (provider, event, ...).
pub fn delivery_json(record: &DeliveryRecord) -> Value {
    let mut out = serde_json::Map::new();
    out.insert("id".to_string(), json!(record.id));
    out.insert("project".to_string(), json!(record.project));
    if let Some(id) = &record.delivery_id {
        out.insert("providerDeliveryId".to_string(), json!(id));
    }
    out.insert("receivedAt".to_string(), json!(record.received_ms as f64 / 1000.0));
    out.insert("outcome".to_string(), json!(record.outcome.kind()));
    let (key, value) = match &record.outcome {
        DeliveryOutcome::Pending => ("", ""),
        DeliveryOutcome::Started(build) => ("buildId", build.as_str()),
        DeliveryOutcome::Duplicate(earlier) => ("duplicateOf", earlier.as_str()),
        DeliveryOutcome::Ignored(why) | DeliveryOutcome::Rejected(why) | DeliveryOutcome::Failed(why) => {
            ("reason", why.as_str())
        }
    };
    if !key.is_empty() {
        out.insert(key.to_string(), json!(value));
    }
    out.insert("payloadSha256".to_string(), json!(record.payload_sha256));
    if let Ok(Value::Object(read)) = serde_json::from_str::<Value>(&record.doc) {
        for (k, v) in read {
            out.entry(k).or_insert(v);
        }
    }
    Value::Object(out)
}

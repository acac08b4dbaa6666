//! A rule as Kiln keeps it (the record's JSON document) and as EventBridge shows it.

use kiln_model::events::{DescribeRuleResponse, Rule, RuleState, Tag};
use kiln_store::RuleRecord;
use serde::{Deserialize, Serialize};

use super::bus::DEFAULT_BUS;
use crate::ApiError;

/// What the record's columns do not hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StoredRule {
    pub event_pattern: String,
    pub state: RuleState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// Given when the rule was created; PutRule on an existing rule ignores tags, as EventBridge.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

impl StoredRule {
    pub fn read(record: &RuleRecord) -> Result<StoredRule, ApiError> {
        serde_json::from_str(&record.doc)
            .map_err(|e| ApiError::Internal(format!("stored rule {} is unreadable: {e}", record.name)))
    }

    pub fn record(&self, name: &str, arn: String, now_ms: i64) -> Result<RuleRecord, ApiError> {
        let doc = serde_json::to_string(self).map_err(|e| ApiError::Internal(e.to_string()))?;
        Ok(RuleRecord {
            event_bus: DEFAULT_BUS.to_string(),
            name: name.to_string(),
            arn,
            enabled: self.state != RuleState::Disabled,
            created_ms: now_ms,
            modified_ms: now_ms,
            doc,
        })
    }

    pub fn describe(&self, record: &RuleRecord, account_id: &str) -> DescribeRuleResponse {
        DescribeRuleResponse {
            name: Some(record.name.clone()),
            arn: Some(record.arn.clone()),
            event_pattern: Some(self.event_pattern.clone()),
            state: Some(self.state),
            description: self.description.clone(),
            role_arn: self.role_arn.clone(),
            event_bus_name: Some(record.event_bus.clone()),
            created_by: Some(account_id.to_string()),
            ..Default::default()
        }
    }

    pub fn listed(&self, record: &RuleRecord) -> Rule {
        Rule {
            name: Some(record.name.clone()),
            arn: Some(record.arn.clone()),
            event_pattern: Some(self.event_pattern.clone()),
            state: Some(self.state),
            description: self.description.clone(),
            role_arn: self.role_arn.clone(),
            event_bus_name: Some(record.event_bus.clone()),
            ..Default::default()
        }
    }
}

//! Delivering an event: every enabled rule of the bus whose pattern matches sends it to each of
//! its targets, and each CodeBuild target starts a build. Delivery never fails the caller: what
//! each target did is logged and kept in the store's invocation record.

use kiln_model::codebuild::StartBuildInput;
use kiln_model::events::Target;
use kiln_store::{InvocationRecord, RuleRecord};
use kiln_triggers::pattern::Pattern;
use kiln_triggers::pattern::template::Context;
use serde_json::Value;

use super::bus::DEFAULT_BUS;
use super::rules::StoredRule;
use super::targets;
use super::time::iso8601;
use crate::{Api, ApiError, Caller, now_ms};

/// Invocations kept in the store's record (older ones are dropped).
pub(crate) const KEEP_INVOCATIONS: usize = 1000;
/// EventBridge's limit of targets per rule, so one page lists them all.
pub(crate) const MAX_TARGETS: usize = 5;

impl Api {
    /// Sends a complete event (envelope and detail) to the targets of the rules it matches;
    /// returns what each target did.
    pub(crate) fn deliver(&self, event: &Value) -> Result<Vec<InvocationRecord>, ApiError> {
        let ingestion_time = iso8601(now_ms());
        let mut invocations = Vec::new();
        for rule in self.store.enabled_rules(DEFAULT_BUS)? {
            if !rule_matches(&rule, event) {
                continue;
            }
            let targets = self.store.list_targets(DEFAULT_BUS, &rule.name, None, MAX_TARGETS)?;
            let context = Context { rule_arn: &rule.arn, rule_name: &rule.name, ingestion_time: &ingestion_time };
            for target in targets.items {
                let (outcome, error) = match self.invoke(&rule, &target.doc, event, &context) {
                    Ok(build_id) => (Some(build_id), None),
                    Err(why) => (None, Some(why)),
                };
                invocations.push(self.record(&rule, &target.id, event, outcome, error));
            }
        }
        Ok(invocations)
    }

    /// Starts the build a target asks for; the build id, or why there is none.
    fn invoke(
        &self,
        rule: &RuleRecord,
        target_doc: &str,
        event: &Value,
        context: &Context<'_>,
    ) -> Result<String, String> {
        let target: Target =
            serde_json::from_str(target_doc).map_err(|e| format!("the stored target is unreadable: {e}"))?;
        let arn = target.arn.as_deref().unwrap_or_default();
        let project = targets::project_of(arn).ok_or_else(|| format!("{arn} is not a CodeBuild project"))?;
        let input = targets::input(&target, event, context)?;
        if !input.is_object() {
            return Err(format!("the target input {input} is not a StartBuild request (a JSON object)"));
        }
        let mut request: StartBuildInput = serde_json::from_value(input)
            .map_err(|e| format!("the target input is not a valid StartBuild request: {e}"))?;
        request.project_name = Some(project.to_string());
        // Builds show the rule that started them. (`..Default::default()` keeps this compiling when
        // `Caller` gains fields.)
        #[allow(clippy::needless_update)]
        let caller = Caller { access_key_id: Some(format!("rule/{}", rule.name)), ..Default::default() };
        let output = self.start_build(request, &caller).map_err(|e| format!("StartBuild failed: {}: {e}", e.code()))?;
        output.build.and_then(|b| b.id).ok_or_else(|| "StartBuild returned no build".to_string())
    }

    /// Logs an invocation and keeps it in the store (a store failure is logged, not raised:
    /// the build, if any, has started).
    fn record(
        &self,
        rule: &RuleRecord,
        target_id: &str,
        event: &Value,
        outcome: Option<String>,
        error: Option<String>,
    ) -> InvocationRecord {
        let event_id = event.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
        match (&outcome, &error) {
            (Some(build), _) => {
                tracing::info!(rule = %rule.name, target = target_id, event = %event_id, "event started build {build}")
            }
            (None, Some(why)) => {
                tracing::warn!(rule = %rule.name, target = target_id, event = %event_id, "failed invocation: {why}")
            }
            (None, None) => {}
        }
        let mut record = InvocationRecord {
            seq: 0,
            time_ms: now_ms(),
            rule_arn: rule.arn.clone(),
            target_id: target_id.to_string(),
            event_id,
            outcome,
            error,
        };
        match self.store.record_invocation(&record, KEEP_INVOCATIONS) {
            Ok(seq) => record.seq = seq,
            Err(e) => tracing::error!(rule = %rule.name, "could not record an invocation: {e}"),
        }
        record
    }
}

/// Whether a rule's pattern matches; a stored pattern that no longer parses matches nothing.
fn rule_matches(rule: &RuleRecord, event: &Value) -> bool {
    let pattern = StoredRule::read(rule)
        .and_then(|stored| Pattern::parse(&stored.event_pattern).map_err(|e| ApiError::Internal(e.to_string())));
    match pattern {
        Ok(pattern) => pattern.matches(event),
        Err(e) => {
            tracing::error!(rule = %rule.name, "skipping a rule whose stored pattern is unusable: {e}");
            false
        }
    }
}

//! EventBridge on Kiln's endpoint: rules with event patterns on the default event bus, CodeBuild
//! project targets, and PutEvents, whose matching events start builds.
//!
//! Kiln has one bus, `default`. Rules match events only (`ScheduleExpression` is refused). A
//! target must be a CodeBuild project; its `Input`, `InputPath` or `InputTransformer` output is
//! the StartBuild request (the project comes from the target's ARN). Events are delivered while
//! PutEvents runs; what each target did is logged and kept (see [`Api::event_invocations`]).
//! [`Api::publish`] puts an event on the bus from inside Kiln.

mod bus;
mod deliver;
mod envelope;
mod rules;
mod targets;
mod time;

#[cfg(test)]
mod tests;

use kiln_model::events::*;
use kiln_store::{InvocationRecord, RuleDeletion, StoreError, TargetRecord};
use kiln_triggers::pattern::Pattern;
use serde::Serialize;

use crate::{Api, ApiError, now_ms};
use bus::{DEFAULT_BUS, check_name, no_such_rule, validation};
use deliver::MAX_TARGETS;
use rules::StoredRule;

/// ListRules and ListTargetsByRule pages when the caller gives no `Limit`.
const DEFAULT_PAGE: usize = 100;

/// The (empty) output of DeleteRule, EnableRule and DisableRule.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NoOutput {}

/// An event [`Api::publish`] put on the bus, and what each target it reached did.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    /// The event as delivered, envelope completed.
    pub event: serde_json::Value,
    pub invocations: Vec<InvocationRecord>,
}

fn invalid_pattern(e: kiln_triggers::pattern::PatternError) -> ApiError {
    ApiError::Named("InvalidEventPatternException", e.to_string())
}

fn page_size(limit: Option<i32>) -> usize {
    limit.and_then(|l| usize::try_from(l).ok()).filter(|l| *l > 0).unwrap_or(DEFAULT_PAGE)
}

impl Api {
    pub fn put_rule(&self, input: PutRuleRequest) -> Result<PutRuleResponse, ApiError> {
        kiln_model::validate(&input)?;
        let name = input.name.clone().unwrap_or_default();
        check_name("name", &name)?;
        bus::resolve(&self.config, input.event_bus_name.as_deref())?;
        if let Some(schedule) = &input.schedule_expression {
            return Err(validation(format!(
                "ScheduleExpression is not supported by Kiln ({schedule}): rules here match events only. \
                 Give an EventPattern, and start scheduled builds with StartBuild from a scheduler of your own."
            )));
        }
        let Some(event_pattern) = input.event_pattern.clone() else {
            return Err(validation("Parameter(s) EventPattern or ScheduleExpression must be specified."));
        };
        Pattern::parse(&event_pattern).map_err(invalid_pattern)?;
        let previous = self.store.get_rule(DEFAULT_BUS, &name)?.map(|r| StoredRule::read(&r)).transpose()?;
        let stored = StoredRule {
            event_pattern,
            state: input.state.unwrap_or(RuleState::Enabled),
            description: input.description,
            role_arn: input.role_arn,
            tags: match previous {
                Some(previous) => previous.tags,
                None => input.tags.unwrap_or_default(),
            },
        };
        let arn = bus::rule_arn(&self.config, &name);
        self.store.put_rule(&stored.record(&name, arn.clone(), now_ms())?)?;
        Ok(PutRuleResponse { rule_arn: Some(arn) })
    }

    pub fn describe_rule(&self, input: DescribeRuleRequest) -> Result<DescribeRuleResponse, ApiError> {
        kiln_model::validate(&input)?;
        let name = input.name.unwrap_or_default();
        bus::resolve(&self.config, input.event_bus_name.as_deref())?;
        let record = self.store.get_rule(DEFAULT_BUS, &name)?.ok_or_else(|| no_such_rule(&name))?;
        Ok(StoredRule::read(&record)?.describe(&record, &self.config.account_id))
    }

    pub fn list_rules(&self, input: ListRulesRequest) -> Result<ListRulesResponse, ApiError> {
        kiln_model::validate(&input)?;
        bus::resolve(&self.config, input.event_bus_name.as_deref())?;
        let prefix = input.name_prefix.unwrap_or_default();
        let page = self.store.list_rules(DEFAULT_BUS, &prefix, input.next_token.as_deref(), page_size(input.limit))?;
        let rules = page.items.iter().map(|r| Ok(StoredRule::read(r)?.listed(r))).collect::<Result<_, ApiError>>()?;
        Ok(ListRulesResponse { rules: Some(rules), next_token: page.next })
    }

    pub fn delete_rule(&self, input: DeleteRuleRequest) -> Result<NoOutput, ApiError> {
        kiln_model::validate(&input)?;
        let name = input.name.unwrap_or_default();
        bus::resolve(&self.config, input.event_bus_name.as_deref())?;
        match self.store.delete_rule(DEFAULT_BUS, &name)? {
            // Deleting a rule that is not there succeeds, as in EventBridge.
            RuleDeletion::Deleted | RuleDeletion::Absent => Ok(NoOutput {}),
            RuleDeletion::HasTargets => Err(validation("Rule can't be deleted since it has targets.")),
        }
    }

    pub fn enable_rule(&self, input: EnableRuleRequest) -> Result<NoOutput, ApiError> {
        kiln_model::validate(&input)?;
        self.set_state(input.name.unwrap_or_default(), input.event_bus_name, RuleState::Enabled)
    }

    pub fn disable_rule(&self, input: DisableRuleRequest) -> Result<NoOutput, ApiError> {
        kiln_model::validate(&input)?;
        self.set_state(input.name.unwrap_or_default(), input.event_bus_name, RuleState::Disabled)
    }

    fn set_state(&self, name: String, bus_name: Option<String>, state: RuleState) -> Result<NoOutput, ApiError> {
        bus::resolve(&self.config, bus_name.as_deref())?;
        let record = self.store.get_rule(DEFAULT_BUS, &name)?.ok_or_else(|| no_such_rule(&name))?;
        let stored = StoredRule { state, ..StoredRule::read(&record)? };
        let updated = stored.record(&name, record.arn.clone(), now_ms())?;
        self.store.update_rule(&updated).map_err(|e| match e {
            StoreError::NotFound(_) => no_such_rule(&name),
            other => other.into(),
        })?;
        Ok(NoOutput {})
    }

    pub fn put_targets(&self, input: PutTargetsRequest) -> Result<PutTargetsResponse, ApiError> {
        kiln_model::validate(&input)?;
        let rule = input.rule.unwrap_or_default();
        bus::resolve(&self.config, input.event_bus_name.as_deref())?;
        if self.store.get_rule(DEFAULT_BUS, &rule)?.is_none() {
            return Err(no_such_rule(&rule));
        }
        let mut accepted = Vec::new();
        let mut failed = Vec::new();
        for target in input.targets.unwrap_or_default() {
            let id = target.id.clone().unwrap_or_default();
            check_name("targets.member.id", &id)?;
            if accepted.iter().any(|t: &TargetRecord| t.id == id) {
                return Err(validation(format!("Target ids must be unique within a request; {id} is given twice.")));
            }
            if let Some(why) = targets::refusal(&target) {
                failed.push(PutTargetsResultEntry {
                    target_id: Some(id),
                    error_code: Some("ValidationException".to_string()),
                    error_message: Some(why),
                });
                continue;
            }
            let doc = serde_json::to_string(&target).map_err(|e| ApiError::Internal(e.to_string()))?;
            accepted.push(TargetRecord { id, doc });
        }
        self.store.put_targets(DEFAULT_BUS, &rule, &accepted, MAX_TARGETS).map_err(|e| match e {
            StoreError::NotFound(_) => no_such_rule(&rule),
            StoreError::LimitExceeded(_) => ApiError::Named(
                "LimitExceededException",
                format!("The requested resource exceeds the maximum number allowed: a rule has at most {MAX_TARGETS} targets."),
            ),
            other => other.into(),
        })?;
        Ok(PutTargetsResponse {
            failed_entry_count: Some(i32::try_from(failed.len()).unwrap_or(i32::MAX)),
            failed_entries: Some(failed),
        })
    }

    pub fn remove_targets(&self, input: RemoveTargetsRequest) -> Result<RemoveTargetsResponse, ApiError> {
        kiln_model::validate(&input)?;
        let rule = input.rule.unwrap_or_default();
        bus::resolve(&self.config, input.event_bus_name.as_deref())?;
        // Ids the rule does not have are not failures, as in EventBridge.
        self.store.remove_targets(DEFAULT_BUS, &rule, &input.ids.unwrap_or_default()).map_err(|e| match e {
            StoreError::NotFound(_) => no_such_rule(&rule),
            other => other.into(),
        })?;
        Ok(RemoveTargetsResponse { failed_entry_count: Some(0), failed_entries: Some(Vec::new()) })
    }

    pub fn list_targets_by_rule(&self, input: ListTargetsByRuleRequest) -> Result<ListTargetsByRuleResponse, ApiError> {
        kiln_model::validate(&input)?;
        let rule = input.rule.unwrap_or_default();
        bus::resolve(&self.config, input.event_bus_name.as_deref())?;
        if self.store.get_rule(DEFAULT_BUS, &rule)?.is_none() {
            return Err(no_such_rule(&rule));
        }
        let page = self.store.list_targets(DEFAULT_BUS, &rule, input.next_token.as_deref(), page_size(input.limit))?;
        let targets = page
            .items
            .iter()
            .map(|t| {
                serde_json::from_str::<Target>(&t.doc)
                    .map_err(|e| ApiError::Internal(format!("stored target {} is unreadable: {e}", t.id)))
            })
            .collect::<Result<_, _>>()?;
        Ok(ListTargetsByRuleResponse { targets: Some(targets), next_token: page.next })
    }

    pub fn put_events(&self, input: PutEventsRequest) -> Result<PutEventsResponse, ApiError> {
        kiln_model::validate(&input)?;
        if input.endpoint_id.is_some() {
            return Err(validation("Kiln has no global endpoints: leave EndpointId out."));
        }
        let mut entries = Vec::new();
        let mut failed = 0;
        for entry in input.entries.unwrap_or_default() {
            let event = match bus::resolve(&self.config, entry.event_bus_name.as_deref()) {
                Ok(_) => envelope::from_entry(&entry, &self.config),
                Err(e) => Err(("ResourceNotFoundException", e.to_string())),
            };
            match event {
                Ok(event) => {
                    self.deliver(&event)?;
                    let id = event.get("id").and_then(serde_json::Value::as_str).map(str::to_string);
                    entries.push(PutEventsResultEntry { event_id: id, ..Default::default() });
                }
                Err((code, message)) => {
                    failed += 1;
                    entries.push(PutEventsResultEntry {
                        error_code: Some(code.to_string()),
                        error_message: Some(message),
                        ..Default::default()
                    });
                }
            }
        }
        Ok(PutEventsResponse { failed_entry_count: Some(failed), entries: Some(entries) })
    }

    pub fn test_event_pattern(&self, input: TestEventPatternRequest) -> Result<TestEventPatternResponse, ApiError> {
        kiln_model::validate(&input)?;
        let pattern = Pattern::parse(input.event_pattern.as_deref().unwrap_or_default()).map_err(invalid_pattern)?;
        let event: serde_json::Value = serde_json::from_str(input.event.as_deref().unwrap_or_default())
            .map_err(|e| validation(format!("Parameter Event is not valid: {e}")))?;
        for field in ["id", "account", "source", "time", "region", "detail-type"] {
            if event.get(field).is_none() {
                return Err(validation(format!("Parameter Event is not valid: it has no \"{field}\".")));
            }
        }
        Ok(TestEventPatternResponse { result: Some(pattern.matches(&event)) })
    }

    /// Puts an event on the default bus from inside Kiln (repository events, for one) and
    /// delivers it at once. `source` and `detail-type` are required; the rest of the envelope is
    /// filled in when absent. Failed invocations are in the result (and the record), not errors.
    pub fn publish(&self, event: serde_json::Value) -> Result<Published, ApiError> {
        let event = envelope::complete(event, &self.config)?;
        let invocations = self.deliver(&event)?;
        Ok(Published { event, invocations })
    }

    /// What delivering events to targets did, newest first: at most `limit` records, those
    /// older than `before` (a record's `seq`) when given. The newest 1000 are kept.
    pub fn event_invocations(&self, before: Option<i64>, limit: usize) -> Result<Vec<InvocationRecord>, ApiError> {
        Ok(self.store.invocations(before, limit)?)
    }
}

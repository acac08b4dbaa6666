//! Records of Kiln's EventBridge: rules on an event bus, each rule's targets, and the record of
//! what delivering events to targets did (invocations).
//!
//! As elsewhere, the store keeps the operation layer's JSON documents beside the few columns its
//! queries need, and knows nothing of EventBridge's rules beyond a target count limit the caller
//! passes in.

/// A rule as stored. A rule is named within its event bus.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleRecord {
    pub event_bus: String,
    pub name: String,
    pub arn: String,
    /// Whether events are matched against the rule; `enabled_rules` lists only these.
    pub enabled: bool,
    /// Kept from the first `put_rule` of the rule when it is replaced.
    pub created_ms: i64,
    pub modified_ms: i64,
    /// The rest (event pattern, state, description, ...) as JSON; opaque to the store.
    pub doc: String,
}

/// One target of a rule, named by its id within the rule.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetRecord {
    pub id: String,
    /// The target document (JSON text of EventBridge's `Target` shape); opaque to the store.
    pub doc: String,
}

/// What delivering one event to one target did.
#[derive(Debug, Clone, PartialEq)]
pub struct InvocationRecord {
    /// Position in the record, from 1, assigned by `record_invocation` (the argument's is ignored).
    pub seq: i64,
    pub time_ms: i64,
    pub rule_arn: String,
    pub target_id: String,
    pub event_id: String,
    /// What the target started (a build id), when it succeeded.
    pub outcome: Option<String>,
    /// Why the invocation failed, when it did.
    pub error: Option<String>,
}

/// What `delete_rule` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleDeletion {
    Deleted,
    /// No rule has that name on that bus.
    Absent,
    /// The rule still has targets: nothing was deleted.
    HasTargets,
}

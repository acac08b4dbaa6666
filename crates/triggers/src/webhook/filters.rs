//! Filter groups, as CodeBuild documents them: a build starts when any group passes (OR), and
//! a group passes when every filter in it passes (AND). An EVENT filter's pattern is a
//! comma-separated list of event types; every other filter's pattern is an RE2-style regular
//! expression searched anywhere in its value (anchor it with `^...$` to match whole values).
//! `excludeMatchedPattern` inverts a filter. A FILE_PATH filter matches when any changed file
//! matches.
//!
//! Compiling is also CreateWebhook's and UpdateWebhook's validation: the errors carry
//! CodeBuild's `Invalid input:` wording and the offending `filterGroups[i][j]`.

use kiln_model::codebuild::{WebhookFilter, WebhookFilterType};
use regex::{Regex, RegexBuilder};

use super::event::{Event, EventType, Provider};

/// Compiled regular expressions may not grow past this (the `regex` crate's own guard against
/// patterns that would take too much memory).
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// A filter group set that failed validation: the message is what the API answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FilterError(pub String);

/// The events a webhook without filter groups builds: CodeBuild's behaviour before filter
/// groups existed ("rebuild every time a code change is pushed").
pub const DEFAULT_EVENTS: &[EventType] =
    &[EventType::Push, EventType::PullRequestCreated, EventType::PullRequestUpdated, EventType::PullRequestReopened];

/// What the filters decided for one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Build. `group` is the index of the first filter group that passed (`None` when the
    /// webhook has no filter groups).
    Build { group: Option<usize> },
    /// Do not build, and why.
    Skip(String),
}

/// A webhook's filter groups and legacy `branchFilter`, compiled.
#[derive(Debug, Clone)]
pub struct Trigger {
    groups: Vec<Vec<Filter>>,
    branch_filter: Option<Regex>,
}

#[derive(Debug, Clone)]
enum Filter {
    Events { events: Vec<EventType>, exclude: bool },
    Pattern { kind: WebhookFilterType, regex: Regex, exclude: bool },
}

impl Trigger {
    /// Validates and compiles. `provider` decides which event types may be named.
    pub fn compile(
        groups: &[Vec<WebhookFilter>],
        branch_filter: Option<&str>,
        provider: Provider,
    ) -> Result<Trigger, FilterError> {
        let mut compiled = Vec::with_capacity(groups.len());
        for (i, group) in groups.iter().enumerate() {
            compiled.push(compile_group(i, group, provider)?);
        }
        let branch_filter = match branch_filter.filter(|b| !b.is_empty()) {
            Some(pattern) => Some(regex(pattern).map_err(|e| {
                FilterError(format!("Invalid input: branchFilter {pattern:?} is not a valid regular expression: {e}"))
            })?),
            None => None,
        };
        Ok(Trigger { groups: compiled, branch_filter })
    }

    /// Whether `event` starts a build.
    pub fn decide(&self, event: &Event) -> Decision {
        if let Some(branch_filter) = &self.branch_filter {
            let name = event.head_ref.as_deref().map(short_ref).unwrap_or_default();
            if !branch_filter.is_match(name) {
                return Decision::Skip(format!("branch {name:?} does not match the webhook's branchFilter"));
            }
        }
        if self.groups.is_empty() {
            return if DEFAULT_EVENTS.contains(&event.event) {
                Decision::Build { group: None }
            } else {
                Decision::Skip(format!(
                    "the webhook has no filter groups, and those build only {}",
                    names(DEFAULT_EVENTS)
                ))
            };
        }
        match self.groups.iter().position(|group| group.iter().all(|f| f.passes(event))) {
            Some(group) => Decision::Build { group: Some(group) },
            None => Decision::Skip("no filter group matched".to_string()),
        }
    }
}

impl Filter {
    fn passes(&self, event: &Event) -> bool {
        match self {
            Filter::Events { events, exclude } => events.contains(&event.event) != *exclude,
            Filter::Pattern { kind, regex, exclude } => {
                let matched = match kind {
                    WebhookFilterType::FilePath => event.file_paths.iter().any(|p| regex.is_match(p)),
                    other => value_of(*other, event).is_some_and(|v| regex.is_match(v)),
                };
                matched != *exclude
            }
        }
    }
}

/// The event field a regular-expression filter reads; `None` when the event has no such value
/// (then the filter does not match, and an excluding filter passes).
fn value_of(kind: WebhookFilterType, event: &Event) -> Option<&str> {
    match kind {
        WebhookFilterType::ActorAccountId => event.actor_account_id.as_deref(),
        WebhookFilterType::HeadRef => event.head_ref.as_deref(),
        WebhookFilterType::BaseRef => event.base_ref.as_deref(),
        WebhookFilterType::CommitMessage => event.commit_message.as_deref(),
        WebhookFilterType::TagName => event.tag_name.as_deref(),
        WebhookFilterType::ReleaseName => event.release_name.as_deref(),
        WebhookFilterType::RepositoryName => event.repository_name.as_deref(),
        WebhookFilterType::OrganizationName => event.organization_name.as_deref(),
        // Workflow jobs (runner builds) never reach Kiln; file paths are a list.
        WebhookFilterType::WorkflowName | WebhookFilterType::FilePath | WebhookFilterType::Event => None,
    }
}

fn compile_group(i: usize, group: &[WebhookFilter], provider: Provider) -> Result<Vec<Filter>, FilterError> {
    if group.is_empty() {
        return Err(FilterError(format!(
            "Invalid input: filterGroups[{i}] is empty: a filter group needs at least one EVENT filter"
        )));
    }
    let mut filters = Vec::with_capacity(group.len());
    for (j, filter) in group.iter().enumerate() {
        filters.push(compile_filter(&format!("filterGroups[{i}][{j}]"), filter, provider)?);
    }
    if !filters.iter().any(|f| matches!(f, Filter::Events { .. })) {
        return Err(FilterError(format!(
            "Invalid input: filterGroups[{i}] has no EVENT filter: every filter group needs one"
        )));
    }
    Ok(filters)
}

fn compile_filter(at: &str, filter: &WebhookFilter, provider: Provider) -> Result<Filter, FilterError> {
    let exclude = filter.exclude_matched_pattern.unwrap_or(false);
    let pattern = filter.pattern.as_deref().unwrap_or_default();
    let Some(kind) = filter.r#type else {
        return Err(FilterError(format!("Invalid input: {at}.type must be set")));
    };
    if kind == WebhookFilterType::Event {
        return Ok(Filter::Events { events: parse_events(at, pattern, provider)?, exclude });
    }
    let regex = regex(pattern).map_err(|e| {
        FilterError(format!("Invalid input: {at}: {kind} pattern {pattern:?} is not a valid regular expression: {e}"))
    })?;
    Ok(Filter::Pattern { kind, regex, exclude })
}

/// `PUSH, PULL_REQUEST_CREATED`: names separated by commas, spaces around them ignored.
fn parse_events(at: &str, pattern: &str, provider: Provider) -> Result<Vec<EventType>, FilterError> {
    let mut events = Vec::new();
    for name in pattern.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let Some(event) = EventType::parse(name) else {
            return Err(FilterError(format!(
                "Invalid input: {at}: {name:?} is not a webhook event type; EVENT patterns are comma-separated \
                 lists of {}",
                names(EventType::ALL)
            )));
        };
        if event == EventType::WorkflowJobQueued {
            return Err(FilterError(format!(
                "Invalid input: {at}: WORKFLOW_JOB_QUEUED starts runner builds, which Kiln does not run"
            )));
        }
        if !provider.events().contains(&event) {
            let source = provider.source_type();
            return Err(FilterError(format!(
                "Invalid input: {at}: {source} webhooks do not send {event} events; they send {}",
                names(provider.events())
            )));
        }
        if !events.contains(&event) {
            events.push(event);
        }
    }
    if events.is_empty() {
        return Err(FilterError(format!(
            "Invalid input: {at}: an EVENT pattern must name at least one event type, such as PUSH"
        )));
    }
    Ok(events)
}

fn regex(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern).size_limit(REGEX_SIZE_LIMIT).build().map_err(|e| match e {
        // The syntax error's own text spans lines (it draws the pattern); keep the last line.
        regex::Error::Syntax(text) => text.lines().last().unwrap_or_default().trim_start_matches("error: ").to_string(),
        other => other.to_string(),
    })
}

/// `refs/heads/main` → `main`, `refs/tags/v1` → `v1`.
fn short_ref(r: &str) -> &str {
    r.strip_prefix("refs/heads/").or_else(|| r.strip_prefix("refs/tags/")).unwrap_or(r)
}

fn names(events: &[EventType]) -> String {
    events.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests;

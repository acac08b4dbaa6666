//! Bitbucket Cloud: `X-Event-Key` is `repo:push` or `pullrequest:<what happened>`.

use serde_json::Value;

use super::event::{Delivery, Event, EventType};
use super::payload::{PayloadError, at, opt_id, opt_str, req_id, req_str};

pub(crate) const EVENT_HEADER: &str = "X-Event-Key";
const SUPPORTED: &str = "repo:push and the pullrequest: events";

pub(crate) fn normalize(event: &str, body: &[u8]) -> Result<Delivery, PayloadError> {
    let pull_request_event = match event {
        "repo:push" => return push(&super::payload::parse(body)?),
        "pullrequest:created" => EventType::PullRequestCreated,
        "pullrequest:updated" => EventType::PullRequestUpdated,
        "pullrequest:fulfilled" => EventType::PullRequestMerged,
        "pullrequest:rejected" => EventType::PullRequestClosed,
        other if other.starts_with("pullrequest:") => {
            // Read it anyway: a malformed body is an error whatever the event.
            super::payload::parse(body)?;
            return Ok(Delivery::Ignored(format!("{EVENT_HEADER} {other:?} does not start builds")));
        }
        other => {
            return Err(PayloadError::UnknownEvent {
                header: EVENT_HEADER,
                value: other.to_string(),
                supported: SUPPORTED,
            });
        }
    };
    pull_request(pull_request_event, &super::payload::parse(body)?)
}

/// What every Bitbucket event carries.
fn common(p: &Value) -> Event {
    Event {
        actor_account_id: opt_id(p, "actor.account_id"),
        repository_name: opt_str(p, "repository.name").map(str::to_string),
        ..Default::default()
    }
}

fn push(p: &Value) -> Result<Delivery, PayloadError> {
    let changes = at(p, "push.changes").and_then(Value::as_array).ok_or_else(|| missing("push.changes"))?;
    // One push may move several refs; like a single-ref provider, build the first one that
    // still exists (a deleted ref has no `new`).
    let Some(change) = changes.iter().find(|c| at(c, "new").is_some()) else {
        return Ok(Delivery::Ignored("the push only deletes refs: nothing to build".to_string()));
    };
    let kind = req_str(change, "new.type")?;
    let name = req_str(change, "new.name")?;
    let (head_ref, trigger) = match kind {
        "branch" => (format!("refs/heads/{name}"), format!("branch/{name}")),
        "tag" | "annotated_tag" => (format!("refs/tags/{name}"), format!("tag/{name}")),
        other => return Ok(Delivery::Ignored(format!("the push updates a {other} {name:?}, not a branch or tag"))),
    };
    let hash = req_str(change, "new.target.hash")?;
    Ok(Delivery::Event(Box::new(Event {
        event: EventType::Push,
        head_ref: Some(head_ref),
        commit_message: opt_str(change, "new.target.message").map(str::to_string),
        source_version: hash.to_string(),
        prev_commit: opt_str(change, "old.target.hash").map(str::to_string),
        trigger,
        ..common(p)
    })))
}

fn pull_request(event: EventType, p: &Value) -> Result<Delivery, PayloadError> {
    let id = req_id(p, "pullrequest.id")?;
    let source = req_str(p, "pullrequest.source.branch.name")?;
    let destination = req_str(p, "pullrequest.destination.branch.name")?;
    // Bitbucket has no pull request refs: build the source branch's commit.
    let head = req_str(p, "pullrequest.source.commit.hash")?;
    Ok(Delivery::Event(Box::new(Event {
        event,
        head_ref: Some(format!("refs/heads/{source}")),
        base_ref: Some(format!("refs/heads/{destination}")),
        source_version: head.to_string(),
        merge_commit: opt_str(p, "pullrequest.merge_commit.hash").map(str::to_string),
        trigger: format!("pr/{id}"),
        ..common(p)
    })))
}

fn missing(path: &str) -> PayloadError {
    PayloadError::Missing(path.to_string())
}

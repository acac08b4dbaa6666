//! GitHub and GitHub Enterprise Server: `X-GitHub-Event` is `push`, `pull_request`, `release`
//! or `ping`; pull requests and releases say what happened in `action`.

use serde_json::Value;

use super::event::{Delivery, Event, EventType};
use super::payload::{
    PayloadError, at, changed_files, is_zero_sha, opt_bool, opt_id, opt_str, push_trigger, req_id, req_str,
};

pub(crate) const EVENT_HEADER: &str = "X-GitHub-Event";
const SUPPORTED: &str = "push, pull_request, release and ping";

pub(crate) fn normalize(event: &str, body: &[u8]) -> Result<Delivery, PayloadError> {
    let normalize: fn(&Value) -> Result<Delivery, PayloadError> = match event {
        "ping" => return Ok(Delivery::Ping),
        "push" => push,
        "pull_request" => pull_request,
        "release" => release,
        other => {
            return Err(PayloadError::UnknownEvent {
                header: EVENT_HEADER,
                value: other.to_string(),
                supported: SUPPORTED,
            });
        }
    };
    normalize(&super::payload::parse(body)?)
}

/// What every GitHub event carries.
fn common(p: &Value) -> Event {
    Event {
        actor_account_id: opt_id(p, "sender.id"),
        repository_name: opt_str(p, "repository.name").map(str::to_string),
        organization_name: opt_str(p, "organization.login").map(str::to_string),
        ..Default::default()
    }
}

fn push(p: &Value) -> Result<Delivery, PayloadError> {
    let r = req_str(p, "ref")?;
    let after = req_str(p, "after")?;
    if opt_bool(p, "deleted") || is_zero_sha(after) {
        return Ok(Delivery::Ignored(format!("the push deletes {r}: nothing to build")));
    }
    let Some(trigger) = push_trigger(r) else {
        return Ok(Delivery::Ignored(format!("the push updates {r}, which is neither a branch nor a tag")));
    };
    Ok(Delivery::Event(Box::new(Event {
        event: EventType::Push,
        head_ref: Some(r.to_string()),
        file_paths: changed_files(at(p, "commits")),
        commit_message: opt_str(p, "head_commit.message").map(str::to_string),
        source_version: after.to_string(),
        prev_commit: opt_str(p, "before").map(str::to_string),
        trigger,
        ..common(p)
    })))
}

fn pull_request(p: &Value) -> Result<Delivery, PayloadError> {
    let action = req_str(p, "action")?;
    let merged = opt_bool(p, "pull_request.merged");
    let event = match (action, merged) {
        ("opened", _) => EventType::PullRequestCreated,
        ("synchronize", _) => EventType::PullRequestUpdated,
        ("reopened", _) => EventType::PullRequestReopened,
        ("closed", true) => EventType::PullRequestMerged,
        ("closed", false) => EventType::PullRequestClosed,
        (other, _) => {
            return Ok(Delivery::Ignored(format!("pull request action {other:?} does not start builds")));
        }
    };
    let number = req_id(p, "pull_request.number")?;
    let head = req_str(p, "pull_request.head.ref")?;
    let base = req_str(p, "pull_request.base.ref")?;
    Ok(Delivery::Event(Box::new(Event {
        event,
        head_ref: Some(format!("refs/heads/{head}")),
        base_ref: Some(format!("refs/heads/{base}")),
        // CodeBuild builds GitHub pull requests by their `pr/<n>` ref.
        source_version: format!("pr/{number}"),
        prev_commit: opt_str(p, "before").map(str::to_string),
        merge_commit: if merged { opt_str(p, "pull_request.merge_commit_sha").map(str::to_string) } else { None },
        trigger: format!("pr/{number}"),
        ..common(p)
    })))
}

fn release(p: &Value) -> Result<Delivery, PayloadError> {
    let action = req_str(p, "action")?;
    let event = match action {
        "released" => EventType::Released,
        "prereleased" => EventType::Prereleased,
        // `published`, `created` and `edited` come with (or instead of) the two above.
        other => return Ok(Delivery::Ignored(format!("release action {other:?} does not start builds"))),
    };
    let tag = req_str(p, "release.tag_name")?;
    Ok(Delivery::Event(Box::new(Event {
        event,
        head_ref: Some(format!("refs/tags/{tag}")),
        tag_name: Some(tag.to_string()),
        release_name: opt_str(p, "release.name").map(str::to_string),
        source_version: format!("refs/tags/{tag}"),
        trigger: format!("tag/{tag}"),
        ..common(p)
    })))
}

//! GitLab and GitLab Self Managed: `X-Gitlab-Event` is `Push Hook`, `Tag Push Hook`,
//! `Merge Request Hook` or `Release Hook`; merge requests say what happened in
//! `object_attributes.action`.

use serde_json::Value;

use super::event::{Delivery, Event, EventType};
use super::payload::{PayloadError, at, changed_files, is_zero_sha, opt_id, opt_str, push_trigger, req_id, req_str};

pub(crate) const EVENT_HEADER: &str = "X-Gitlab-Event";
const SUPPORTED: &str = "Push Hook, Tag Push Hook, Merge Request Hook and Release Hook";

pub(crate) fn normalize(event: &str, body: &[u8]) -> Result<Delivery, PayloadError> {
    let normalize: fn(&Value) -> Result<Delivery, PayloadError> = match event {
        "Push Hook" | "Tag Push Hook" => push,
        "Merge Request Hook" => merge_request,
        "Release Hook" => release,
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

fn repository_name(p: &Value) -> Option<String> {
    opt_str(p, "project.name").or_else(|| opt_str(p, "repository.name")).map(str::to_string)
}

fn push(p: &Value) -> Result<Delivery, PayloadError> {
    let r = req_str(p, "ref")?;
    let after = req_str(p, "after")?;
    if is_zero_sha(after) {
        return Ok(Delivery::Ignored(format!("the push deletes {r}: nothing to build")));
    }
    let Some(trigger) = push_trigger(r) else {
        return Ok(Delivery::Ignored(format!("the push updates {r}, which is neither a branch nor a tag")));
    };
    let commits = at(p, "commits").and_then(Value::as_array);
    // The head commit is the one the push moved the ref to (GitLab lists oldest first).
    let head = commits.and_then(|c| c.iter().find(|c| opt_str(c, "id") == Some(after)).or_else(|| c.last()));
    Ok(Delivery::Event(Box::new(Event {
        event: EventType::Push,
        actor_account_id: opt_id(p, "user_id"),
        head_ref: Some(r.to_string()),
        file_paths: changed_files(at(p, "commits")),
        commit_message: head.and_then(|c| opt_str(c, "message")).map(str::to_string),
        repository_name: repository_name(p),
        source_version: after.to_string(),
        prev_commit: opt_str(p, "before").map(str::to_string),
        trigger,
        ..Default::default()
    })))
}

fn merge_request(p: &Value) -> Result<Delivery, PayloadError> {
    let action = req_str(p, "object_attributes.action")?;
    let event = match action {
        "open" => EventType::PullRequestCreated,
        "update" => EventType::PullRequestUpdated,
        "merge" => EventType::PullRequestMerged,
        "close" => EventType::PullRequestClosed,
        "reopen" => EventType::PullRequestReopened,
        other => return Ok(Delivery::Ignored(format!("merge request action {other:?} does not start builds"))),
    };
    let iid = req_id(p, "object_attributes.iid")?;
    let source = req_str(p, "object_attributes.source_branch")?;
    let target = req_str(p, "object_attributes.target_branch")?;
    // GitLab has no `pr/<n>` source version in CodeBuild: build the merge request's head commit.
    let head = req_str(p, "object_attributes.last_commit.id")?;
    Ok(Delivery::Event(Box::new(Event {
        event,
        actor_account_id: opt_id(p, "user.id"),
        head_ref: Some(format!("refs/heads/{source}")),
        base_ref: Some(format!("refs/heads/{target}")),
        commit_message: opt_str(p, "object_attributes.last_commit.message").map(str::to_string),
        repository_name: repository_name(p),
        source_version: head.to_string(),
        prev_commit: opt_str(p, "object_attributes.oldrev").map(str::to_string),
        merge_commit: opt_str(p, "object_attributes.merge_commit_sha").map(str::to_string),
        trigger: format!("pr/{iid}"),
        ..Default::default()
    })))
}

fn release(p: &Value) -> Result<Delivery, PayloadError> {
    let action = req_str(p, "action")?;
    if !matches!(action, "create" | "update") {
        return Ok(Delivery::Ignored(format!("release action {action:?} does not start builds")));
    }
    let tag = req_str(p, "tag")?;
    Ok(Delivery::Event(Box::new(Event {
        event: EventType::Released,
        head_ref: Some(format!("refs/tags/{tag}")),
        commit_message: opt_str(p, "commit.message").map(str::to_string),
        tag_name: Some(tag.to_string()),
        release_name: opt_str(p, "name").map(str::to_string),
        repository_name: repository_name(p),
        source_version: format!("refs/tags/{tag}"),
        trigger: format!("tag/{tag}"),
        ..Default::default()
    })))
}

//! Reads the two shapes in which a CodeCommit push reaches a Lambda function — a repository
//! trigger (`Records[].codecommit.references[]`) and an EventBridge "CodeCommit Repository State
//! Change" event — into one list of reference changes.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::Error;
use crate::outcome::Skipped;

/// One reference that moved in a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefChange {
    pub repository: String,
    /// The full reference name, e.g. `refs/heads/main`.
    pub reference: String,
    /// The commit the reference now points at; for a deletion, the one it pointed at.
    pub commit: Option<String>,
    pub kind: ChangeKind,
    /// The event's own id, used to make a redelivered event start no second build.
    pub event_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Created,
    Updated,
    Deleted,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Created => "created",
            ChangeKind::Updated => "updated",
            ChangeKind::Deleted => "deleted",
        }
    }
}

/// What an event holds: changes to act on, and parts that are well-formed but not ours.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    pub changes: Vec<RefChange>,
    pub skipped: Vec<Skipped>,
}

const STATE_CHANGE: &str = "CodeCommit Repository State Change";

/// Reads an event; a payload of neither shape, or one missing what its shape requires, is an error.
pub fn parse(event: &Value) -> Result<Parsed, Error> {
    let Some(object) = event.as_object() else {
        return Err(Error::Unrecognised(format!("the event is {}, not a JSON object", kind_of(event))));
    };
    if object.contains_key("Records") {
        Ok(parse_trigger(event)?)
    } else if object.contains_key("detail-type") || object.contains_key("detail") {
        Ok(parse_eventbridge(event)?)
    } else {
        Err(Error::Unrecognised(
            "expected a CodeCommit trigger event (with Records) or an EventBridge event (with detail-type)".into(),
        ))
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A malformed part of an event: where it is and what is wrong with it.
#[derive(Debug)]
struct Bad {
    path: String,
    message: String,
}

impl Bad {
    fn at(path: &str, message: impl Into<String>) -> Bad {
        Bad { path: path.to_string(), message: message.into() }
    }

    /// Places a path found inside a part of the event under that part's own path.
    fn within(self, outer: &str) -> Bad {
        let path = match self.path.as_str() {
            "" => outer.to_string(),
            inner if inner.starts_with('[') => format!("{outer}{inner}"),
            inner => format!("{outer}.{inner}"),
        };
        Bad { path, ..self }
    }
}

impl From<Bad> for Error {
    fn from(bad: Bad) -> Error {
        if bad.path.is_empty() {
            Error::Malformed(bad.message)
        } else {
            Error::Malformed(format!("{}: {}", bad.path, bad.message))
        }
    }
}

/// Deserialises with the failing field's path in the message (`Records[0].codecommit...`).
fn typed<T: DeserializeOwned>(value: &Value) -> Result<T, Bad> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        Bad { path: if path == "." { String::new() } else { path }, message: e.inner().to_string() }
    })
}

#[derive(Deserialize)]
struct TriggerEvent {
    #[serde(rename = "Records")]
    records: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TriggerRecord {
    // Checked before the record is read; declared so that a record without it is malformed.
    #[serde(rename = "eventSource")]
    _event_source: String,
    #[serde(rename = "eventSourceARN")]
    event_source_arn: String,
    codecommit: TriggerBody,
    event_id: Option<String>,
}

#[derive(Deserialize)]
struct TriggerBody {
    references: Vec<TriggerReference>,
}

#[derive(Deserialize)]
struct TriggerReference {
    commit: Option<String>,
    #[serde(rename = "ref")]
    reference: String,
    #[serde(default)]
    created: bool,
    #[serde(default)]
    deleted: bool,
}

fn parse_trigger(event: &Value) -> Result<Parsed, Bad> {
    let outer: TriggerEvent = typed(event)?;
    let mut parsed = Parsed::default();
    for (i, raw) in outer.records.iter().enumerate() {
        let here = format!("Records[{i}]");
        // A record from another service is someone else's business, not a malformed event.
        if let Some(source) = raw.get("eventSource").and_then(Value::as_str)
            && source != "aws:codecommit"
        {
            parsed.skipped.push(Skipped::event(format!("{here} comes from {source}, not aws:codecommit")));
            continue;
        }
        let record: TriggerRecord = typed(raw).map_err(|b| b.within(&here))?;
        let repository =
            repository_from_arn(&record.event_source_arn).map_err(|b| b.within(&format!("{here}.eventSourceARN")))?;
        for (j, r) in record.codecommit.references.into_iter().enumerate() {
            let kind = match (r.created, r.deleted) {
                (_, true) => ChangeKind::Deleted,
                (true, false) => ChangeKind::Created,
                (false, false) => ChangeKind::Updated,
            };
            let commit = r
                .commit
                .map(|c| check_commit(c, "commit"))
                .transpose()
                .map_err(|b| b.within(&format!("{here}.codecommit.references[{j}]")))?;
            parsed.changes.push(RefChange {
                repository: repository.clone(),
                reference: r.reference,
                commit,
                kind,
                event_id: record.event_id.clone(),
            });
        }
    }
    Ok(parsed)
}

#[derive(Deserialize)]
struct EventBridgeEnvelope {
    source: String,
    #[serde(rename = "detail-type")]
    detail_type: String,
    id: Option<String>,
    #[serde(default)]
    resources: Vec<String>,
    detail: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReferenceDetail {
    repository_name: Option<String>,
    reference_type: String,
    reference_name: String,
    reference_full_name: Option<String>,
    commit_id: Option<String>,
    old_commit_id: Option<String>,
}

fn parse_eventbridge(event: &Value) -> Result<Parsed, Bad> {
    let envelope: EventBridgeEnvelope = typed(event)?;
    let mut parsed = Parsed::default();
    if envelope.source != "aws.codecommit" || envelope.detail_type != STATE_CHANGE {
        parsed.skipped.push(Skipped::event(format!(
            "EventBridge event {:?} from {} is not a {STATE_CHANGE}",
            envelope.detail_type, envelope.source
        )));
        return Ok(parsed);
    }
    let kind = match envelope.detail.get("event").and_then(Value::as_str) {
        Some("referenceCreated") => ChangeKind::Created,
        Some("referenceUpdated") => ChangeKind::Updated,
        Some("referenceDeleted") => ChangeKind::Deleted,
        Some(other) => {
            parsed.skipped.push(Skipped::event(format!("CodeCommit event {other:?} does not move a reference")));
            return Ok(parsed);
        }
        None => return Err(Bad::at("detail.event", "missing, or not a string")),
    };
    let detail: ReferenceDetail = typed(&envelope.detail).map_err(|b| b.within("detail"))?;
    let repository = match (detail.repository_name, envelope.resources.first()) {
        (Some(name), _) if !name.is_empty() => name,
        (_, Some(arn)) => repository_from_arn(arn).map_err(|b| b.within("resources[0]"))?,
        _ => return Err(Bad::at("detail.repositoryName", "missing, and no repository ARN in resources")),
    };
    let prefix = match detail.reference_type.as_str() {
        "branch" => "refs/heads/",
        "tag" => "refs/tags/",
        other => return Err(Bad::at("detail.referenceType", format!("expected branch or tag, got {other:?}"))),
    };
    let reference = detail.reference_full_name.unwrap_or_else(|| format!("{prefix}{}", detail.reference_name));
    // A deletion names the commit the reference pointed at; everything else the new one.
    let (field, commit) = match kind {
        ChangeKind::Deleted => ("oldCommitId", detail.old_commit_id),
        _ => ("commitId", detail.commit_id),
    };
    let commit = match commit {
        Some(c) => Some(check_commit(c, field).map_err(|b| b.within("detail"))?),
        None if kind == ChangeKind::Deleted => None,
        None => return Err(Bad::at(&format!("detail.{field}"), "missing")),
    };
    parsed.changes.push(RefChange { repository, reference, commit, kind, event_id: envelope.id });
    Ok(parsed)
}

/// `arn:aws:codecommit:<region>:<account>:<repository>` → the repository name.
fn repository_from_arn(arn: &str) -> Result<String, Bad> {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "codecommit", _, _, name] if !name.is_empty() => Ok((*name).to_string()),
        _ => Err(Bad::at("", format!("{arn:?} is not a CodeCommit repository ARN"))),
    }
}

/// A git object id: 40 (SHA-1) or 64 (SHA-256) hex digits.
fn check_commit(commit: String, field: &str) -> Result<String, Bad> {
    let hex = commit.chars().all(|c| c.is_ascii_hexdigit());
    if hex && (commit.len() == 40 || commit.len() == 64) {
        Ok(commit)
    } else {
        Err(Bad::at(field, format!("{commit:?} is not a commit id")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SHA: &str = "f6b437ece0d7b10fd95e6ea3b00ac6d76e0c5d7e";
    const OLD: &str = "a399698fbd740af9c78fb2dd7f667656b70646b6";

    fn trigger(references: Value) -> Value {
        json!({"Records": [{
            "eventId": "ev-1",
            "eventSource": "aws:codecommit",
            "eventSourceARN": "arn:aws:codecommit:us-east-1:123456789012:MyDemoRepo",
            "codecommit": {"references": references},
        }]})
    }

    fn bridge(detail: Value) -> Value {
        json!({
            "id": "ev-2", "source": "aws.codecommit", "detail-type": STATE_CHANGE,
            "resources": ["arn:aws:codecommit:us-east-1:111111111111:some-repo"], "detail": detail,
        })
    }

    fn malformed(event: &Value) -> String {
        match parse(event) {
            Err(Error::Malformed(m)) => m,
            other => panic!("expected a malformed-event error, got {other:?}"),
        }
    }

    #[test]
    fn trigger_references_become_changes() {
        let parsed = parse(&trigger(json!([
            {"commit": SHA, "ref": "refs/heads/main"},
            {"commit": OLD, "ref": "refs/tags/v1.0", "created": true},
            {"commit": OLD, "ref": "refs/heads/gone", "deleted": true},
        ])))
        .expect("parse");
        let got: Vec<_> = parsed.changes.iter().map(|c| (c.reference.as_str(), c.kind, c.commit.as_deref())).collect();
        assert_eq!(
            got,
            [
                ("refs/heads/main", ChangeKind::Updated, Some(SHA)),
                ("refs/tags/v1.0", ChangeKind::Created, Some(OLD)),
                ("refs/heads/gone", ChangeKind::Deleted, Some(OLD)),
            ]
        );
        assert!(parsed.changes.iter().all(|c| c.repository == "MyDemoRepo" && c.event_id.as_deref() == Some("ev-1")));
        assert!(parsed.skipped.is_empty());
    }

    #[test]
    fn trigger_records_from_other_sources_are_skipped() {
        let event = json!({"Records": [{"eventSource": "aws:s3", "s3": {}}]});
        let parsed = parse(&event).expect("parse");
        assert!(parsed.changes.is_empty());
        assert_eq!(parsed.skipped.len(), 1);
        assert!(parsed.skipped[0].reason.contains("aws:s3"), "{:?}", parsed.skipped);
    }

    #[test]
    fn trigger_errors_name_the_field() {
        let no_ref = malformed(&trigger(json!([{"commit": SHA}])));
        assert!(no_ref.contains("Records[0]") && no_ref.contains("`ref`"), "{no_ref}");
        let bad_commit = malformed(&trigger(json!([{"commit": "nope", "ref": "refs/heads/main"}])));
        assert!(bad_commit.contains("references[0]") && bad_commit.contains("not a commit id"), "{bad_commit}");
        let mut bad_arn = trigger(json!([]));
        bad_arn["Records"][0]["eventSourceARN"] = json!("arn:aws:s3:::bucket");
        assert!(malformed(&bad_arn).contains("not a CodeCommit repository ARN"));
        assert!(malformed(&json!({"Records": {}})).contains("Records"));
        let wrong_flag = malformed(&trigger(json!([{"commit": SHA, "ref": "refs/heads/x", "deleted": "yes"}])));
        assert!(wrong_flag.contains("deleted"), "{wrong_flag}");
    }

    #[test]
    fn eventbridge_update_becomes_a_change() {
        let parsed = parse(&bridge(json!({
            "event": "referenceUpdated", "repositoryName": "some-repo", "referenceType": "branch",
            "referenceName": "main", "referenceFullName": "refs/heads/main", "commitId": SHA, "oldCommitId": OLD,
        })))
        .expect("parse");
        assert_eq!(
            parsed.changes,
            [RefChange {
                repository: "some-repo".into(),
                reference: "refs/heads/main".into(),
                commit: Some(SHA.into()),
                kind: ChangeKind::Updated,
                event_id: Some("ev-2".into()),
            }]
        );
    }

    #[test]
    fn eventbridge_fills_in_what_older_events_lack() {
        // No referenceFullName and no repositoryName: both come from the other fields.
        let parsed = parse(&bridge(json!({
            "event": "referenceCreated", "referenceType": "tag", "referenceName": "v2", "commitId": SHA,
        })))
        .expect("parse");
        assert_eq!(parsed.changes[0].repository, "some-repo");
        assert_eq!(parsed.changes[0].reference, "refs/tags/v2");
        assert_eq!(parsed.changes[0].kind, ChangeKind::Created);
    }

    #[test]
    fn eventbridge_deletion_names_the_old_commit() {
        let parsed = parse(&bridge(json!({
            "event": "referenceDeleted", "repositoryName": "r", "referenceType": "branch",
            "referenceName": "topic", "oldCommitId": OLD,
        })))
        .expect("parse");
        assert_eq!(parsed.changes[0].kind, ChangeKind::Deleted);
        assert_eq!(parsed.changes[0].commit.as_deref(), Some(OLD));
    }

    #[test]
    fn eventbridge_events_that_move_no_reference_are_skipped() {
        let merge = parse(&bridge(json!({"event": "unreferencedMergeCommitCreated", "commitId": SHA}))).expect("parse");
        assert!(merge.changes.is_empty());
        assert!(merge.skipped[0].reason.contains("unreferencedMergeCommitCreated"));
        let mut pr = bridge(json!({"event": "pullRequestCreated"}));
        pr["detail-type"] = json!("CodeCommit Pull Request State Change");
        assert!(parse(&pr).expect("parse").skipped[0].reason.contains("Pull Request"));
        let mut other = bridge(json!({}));
        other["source"] = json!("aws.s3");
        assert!(parse(&other).expect("parse").skipped[0].reason.contains("aws.s3"));
    }

    #[test]
    fn eventbridge_errors_name_the_field() {
        let no_commit = malformed(&bridge(json!({
            "event": "referenceUpdated", "repositoryName": "r", "referenceType": "branch", "referenceName": "main",
        })));
        assert!(no_commit.contains("detail.commitId"), "{no_commit}");
        let bad_type = malformed(&bridge(json!({
            "event": "referenceUpdated", "repositoryName": "r", "referenceType": "note",
            "referenceName": "x", "commitId": SHA,
        })));
        assert!(bad_type.contains("referenceType"), "{bad_type}");
        let no_name =
            malformed(&bridge(json!({"event": "referenceUpdated", "referenceType": "branch", "commitId": SHA})));
        assert!(no_name.contains("detail") && no_name.contains("referenceName"), "{no_name}");
        assert!(malformed(&bridge(json!({"event": 3}))).contains("detail.event"));
        assert!(malformed(&json!({"detail": {}})).contains("source"));
    }

    #[test]
    fn other_payloads_are_unrecognised() {
        for event in [json!(null), json!("push"), json!([1]), json!({"hello": "world"})] {
            assert!(matches!(parse(&event), Err(Error::Unrecognised(_))), "{event}");
        }
    }
}

//! The EventBridge "CodeCommit Repository State Change" event, as a PutEvents entry and as
//! the full event rules see.

use serde_json::{Map, Value, json};

use super::{RefChange, Repository};

pub const SOURCE: &str = "aws.codecommit";
pub const DETAIL_TYPE: &str = "CodeCommit Repository State Change";

/// One state-change event about one branch or tag.
#[derive(Debug, Clone, PartialEq)]
pub struct StateChange {
    region: String,
    account_id: String,
    resources: Vec<String>,
    detail: Value,
}

impl StateChange {
    /// The event for `change`, or `None` when the ref is neither a branch nor a tag (CodeCommit
    /// sends nothing for those). `caller_user_arn` is who pushed, when known.
    pub fn new(repo: &Repository, change: &RefChange, caller_user_arn: Option<&str>) -> Option<Self> {
        let reference_type = change.reference_type()?;
        let mut detail = Map::new();
        if let Some(arn) = caller_user_arn {
            detail.insert("callerUserArn".into(), json!(arn));
        }
        detail.insert("event".into(), json!(change.kind().event_name()));
        detail.insert("repositoryName".into(), json!(repo.name()));
        detail.insert("repositoryId".into(), json!(repo.id()));
        detail.insert("referenceType".into(), json!(reference_type.as_str()));
        detail.insert("referenceName".into(), json!(change.short_name()));
        detail.insert("referenceFullName".into(), json!(change.full_name()));
        // A deleted ref has no commit; a created one has no old commit (as CodeCommit's own).
        if let Some(new) = change.new_commit() {
            detail.insert("commitId".into(), json!(new));
        }
        if let Some(old) = change.old_commit() {
            detail.insert("oldCommitId".into(), json!(old));
        }
        Some(StateChange {
            region: repo.region().to_string(),
            account_id: repo.account_id().to_string(),
            resources: vec![repo.arn()],
            detail: Value::Object(detail),
        })
    }

    /// The event's `detail` object.
    pub fn detail(&self) -> &Value {
        &self.detail
    }

    /// `[repository ARN]`.
    pub fn resources(&self) -> &[String] {
        &self.resources
    }

    /// A `PutEvents` request entry (`Source`, `DetailType`, `Resources`, `Detail` as a JSON
    /// string); the bus stamps the time.
    pub fn put_events_entry(&self) -> Value {
        json!({
            "Source": SOURCE,
            "DetailType": DETAIL_TYPE,
            "Resources": self.resources,
            "Detail": self.detail.to_string(),
        })
    }

    /// The event as EventBridge delivers it to rules and targets.
    pub fn to_event(&self, id: &str, unix_ms: i64) -> Value {
        json!({
            "version": "0",
            "id": id,
            "detail-type": DETAIL_TYPE,
            "source": SOURCE,
            "account": self.account_id,
            "time": super::time::event_time(unix_ms),
            "region": self.region,
            "resources": self.resources,
            "detail": self.detail,
        })
    }
}

/// The repository name and ref change a state-change `detail` describes (the inverse of
/// [`StateChange::new`]), for events that reach Kiln through PutEvents; `None` when it is not
/// a well-formed reference event.
pub fn ref_change_of(detail: &Value) -> Option<(String, RefChange)> {
    let text = |key: &str| detail.get(key).and_then(Value::as_str).map(str::to_string);
    let (old, new) = (text("oldCommitId"), text("commitId"));
    let (old, new) = match text("event")?.as_str() {
        "referenceCreated" => (None, new),
        "referenceUpdated" => (old, new),
        "referenceDeleted" => (old, None),
        _ => return None,
    };
    let change = RefChange::new(&text("referenceFullName")?, old, new).ok()?;
    Some((text("repositoryName")?, change))
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "3e5983aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "7f0103bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const ZERO: &str = "0000000000000000000000000000000000000000";

    fn repo() -> Repository {
        Repository::new("MyDemoRepo", "us-east-2", "123456789012").unwrap()
    }

    fn event(name: &str, old: &str, new: &str) -> StateChange {
        StateChange::new(&repo(), &RefChange::from_git(name, old, new).unwrap(), None).unwrap()
    }

    #[test]
    fn branch_created_has_no_old_commit() {
        let e = event("refs/heads/myBranch", ZERO, A);
        assert_eq!(
            e.detail(),
            &json!({
                "event": "referenceCreated",
                "repositoryName": "MyDemoRepo",
                "repositoryId": repo().id(),
                "referenceType": "branch",
                "referenceName": "myBranch",
                "referenceFullName": "refs/heads/myBranch",
                "commitId": A,
            })
        );
    }

    #[test]
    fn branch_updated_carries_both_commits_and_the_caller() {
        let change = RefChange::from_git("refs/heads/main", A, B).unwrap();
        let e = StateChange::new(&repo(), &change, Some("arn:aws:iam::123456789012:user/dev")).unwrap();
        let d = e.detail();
        assert_eq!(d["event"], "referenceUpdated");
        assert_eq!((d["commitId"].as_str(), d["oldCommitId"].as_str()), (Some(B), Some(A)));
        assert_eq!(d["callerUserArn"], "arn:aws:iam::123456789012:user/dev");
    }

    #[test]
    fn tag_deleted_has_only_the_old_commit() {
        let d = event("refs/tags/v1.0", A, ZERO).detail().clone();
        assert_eq!((d["event"].as_str(), d["referenceType"].as_str()), (Some("referenceDeleted"), Some("tag")));
        assert_eq!(
            (d["referenceName"].as_str(), d["referenceFullName"].as_str()),
            (Some("v1.0"), Some("refs/tags/v1.0"))
        );
        assert_eq!(d["oldCommitId"], A);
        assert!(d.get("commitId").is_none());
    }

    #[test]
    fn details_read_back_into_ref_changes() {
        for (old, new) in [(ZERO, A), (A, B), (A, ZERO)] {
            let change = RefChange::from_git("refs/tags/v1", old, new).unwrap();
            let e = StateChange::new(&repo(), &change, None).unwrap();
            assert_eq!(ref_change_of(e.detail()), Some(("MyDemoRepo".to_string(), change)));
        }
        let mut updated = event("refs/heads/main", A, B).detail().clone();
        updated["oldCommitId"] = json!(null);
        assert_eq!(ref_change_of(&updated).map(|(_, c)| c.kind()), Some(crate::codecommit::ChangeKind::Created));
        for bad in [json!({}), json!({"event": "commentOnCommitCreated"}), json!({"event": "referenceCreated"})] {
            assert_eq!(ref_change_of(&bad), None, "{bad}");
        }
    }

    #[test]
    fn other_refs_make_no_event() {
        let change = RefChange::from_git("refs/notes/commits", ZERO, A).unwrap();
        assert_eq!(StateChange::new(&repo(), &change, None), None);
    }

    #[test]
    fn put_events_entry_and_full_event() {
        let e = event("refs/heads/main", A, B);
        let entry = e.put_events_entry();
        assert_eq!(entry["Source"], "aws.codecommit");
        assert_eq!(entry["DetailType"], "CodeCommit Repository State Change");
        assert_eq!(entry["Resources"], json!(["arn:aws:codecommit:us-east-2:123456789012:MyDemoRepo"]));
        let detail: Value = serde_json::from_str(entry["Detail"].as_str().unwrap()).unwrap();
        assert_eq!(&detail, e.detail());

        let full = e.to_event("01234567-EXAMPLE", 1_560_335_023_000);
        assert_eq!(full["time"], "2019-06-12T10:23:43Z");
        assert_eq!((full["account"].as_str(), full["region"].as_str()), (Some("123456789012"), Some("us-east-2")));
        assert_eq!((full["version"].as_str(), full["id"].as_str()), (Some("0"), Some("01234567-EXAMPLE")));
        assert_eq!(full["detail"]["commitId"], B);
        assert_eq!(full["detail-type"], "CodeCommit Repository State Change");
    }
}

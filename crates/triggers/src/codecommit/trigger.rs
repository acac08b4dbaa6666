//! The CodeCommit repository trigger record (`Records[].codecommit.references[]`), as
//! triggers deliver it to Lambda and SNS.

use serde_json::{Map, Value, json};

use super::{ChangeKind, RefChange, Repository};

/// The trigger a record says it came from (CodeCommit's `RepositoryTrigger`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trigger {
    pub name: String,
    /// `eventTriggerConfigId`: a UUID naming this trigger's configuration.
    pub config_id: String,
    /// Free text the trigger passes along, when configured.
    pub custom_data: Option<String>,
}

/// Who, where and when: what a record says beyond the references.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    pub event_id: &'a str,
    pub unix_ms: i64,
    pub user_identity_arn: &'a str,
}

/// One reference as a trigger lists it. A deleted ref names the commit it pointed at.
pub fn reference(change: &RefChange) -> Option<Value> {
    change.reference_type()?;
    let commit = change.new_commit().or(change.old_commit())?;
    let mut r = Map::new();
    r.insert("commit".into(), json!(commit));
    r.insert("ref".into(), json!(change.full_name()));
    match change.kind() {
        ChangeKind::Created => {
            r.insert("created".into(), json!(true));
        }
        ChangeKind::Deleted => {
            r.insert("deleted".into(), json!(true));
        }
        ChangeKind::Updated => {}
    }
    Some(Value::Object(r))
}

/// The payload for one push: a single record listing every branch and tag it changed, or
/// `None` when it changed neither (CodeCommit sends nothing then).
pub fn payload(repo: &Repository, changes: &[RefChange], trigger: &Trigger, delivery: Delivery<'_>) -> Option<Value> {
    let references: Vec<Value> = changes.iter().filter_map(reference).collect();
    if references.is_empty() {
        return None;
    }
    let mut record = Map::new();
    record.insert("awsRegion".into(), json!(repo.region()));
    record.insert("codecommit".into(), json!({ "references": references }));
    if let Some(data) = &trigger.custom_data {
        record.insert("customData".into(), json!(data));
    }
    record.insert("eventId".into(), json!(delivery.event_id));
    record.insert("eventName".into(), json!("ReferenceChanges"));
    record.insert("eventPartNumber".into(), json!(1));
    record.insert("eventSource".into(), json!("aws:codecommit"));
    record.insert("eventSourceARN".into(), json!(repo.arn()));
    record.insert("eventTime".into(), json!(super::time::trigger_time(delivery.unix_ms)));
    record.insert("eventTotalParts".into(), json!(1));
    record.insert("eventTriggerConfigId".into(), json!(trigger.config_id));
    record.insert("eventTriggerName".into(), json!(trigger.name));
    record.insert("eventVersion".into(), json!("1.0"));
    record.insert("userIdentityARN".into(), json!(delivery.user_identity_arn));
    Some(json!({ "Records": [Value::Object(record)] }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "f6b437ece0d7b10fd95e6ea3b00ac6d76e0c5d7e";
    const B: &str = "5e493c6f3067653f3d04eca608b4901eb2270780";
    const ZERO: &str = "0000000000000000000000000000000000000000";

    fn change(name: &str, old: &str, new: &str) -> RefChange {
        RefChange::from_git(name, old, new).unwrap()
    }

    fn trigger(custom_data: Option<&str>) -> Trigger {
        Trigger {
            name: "MyTrigger".into(),
            config_id: "231a4134-7c49-4a93-8d5d-cc5be420d9bc".into(),
            custom_data: custom_data.map(str::to_string),
        }
    }

    const DELIVERY: Delivery<'static> = Delivery {
        event_id: "a15890fd-83fc-4344-b3ec-15c8f50619b5",
        unix_ms: 1_504_892_667_615,
        user_identity_arn: "arn:aws:iam::123456789012:user/dev",
    };

    #[test]
    fn one_record_lists_every_reference_of_the_push() {
        let repo = Repository::new("MyDemoRepo", "us-east-1", "123456789012").unwrap();
        let changes = [
            change("refs/heads/working", B, A),
            change("refs/tags/v1.0", ZERO, B),
            change("refs/heads/old", A, ZERO),
            change("refs/notes/commits", ZERO, A),
        ];
        let payload = payload(&repo, &changes, &trigger(Some("free text")), DELIVERY).unwrap();
        assert_eq!(
            payload,
            json!({"Records": [{
                "awsRegion": "us-east-1",
                "codecommit": {"references": [
                    {"commit": A, "ref": "refs/heads/working"},
                    {"commit": B, "ref": "refs/tags/v1.0", "created": true},
                    {"commit": A, "ref": "refs/heads/old", "deleted": true},
                ]},
                "customData": "free text",
                "eventId": "a15890fd-83fc-4344-b3ec-15c8f50619b5",
                "eventName": "ReferenceChanges",
                "eventPartNumber": 1,
                "eventSource": "aws:codecommit",
                "eventSourceARN": "arn:aws:codecommit:us-east-1:123456789012:MyDemoRepo",
                "eventTime": "2017-09-08T17:44:27.615+0000",
                "eventTotalParts": 1,
                "eventTriggerConfigId": "231a4134-7c49-4a93-8d5d-cc5be420d9bc",
                "eventTriggerName": "MyTrigger",
                "eventVersion": "1.0",
                "userIdentityARN": "arn:aws:iam::123456789012:user/dev",
            }]})
        );
    }

    #[test]
    fn no_custom_data_no_key_and_no_branches_no_payload() {
        let repo = Repository::new("r", "us-east-1", "1").unwrap();
        let p = payload(&repo, &[change("refs/heads/main", ZERO, A)], &trigger(None), DELIVERY).unwrap();
        assert!(p["Records"][0].get("customData").is_none());
        assert_eq!(payload(&repo, &[change("refs/notes/x", ZERO, A)], &trigger(None), DELIVERY), None);
        assert_eq!(payload(&repo, &[], &trigger(None), DELIVERY), None);
    }
}

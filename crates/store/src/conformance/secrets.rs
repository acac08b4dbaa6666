//! Conformance cases for Secrets Manager secrets and their versions.

use super::all_pages;
use crate::{STAGE_CURRENT, STAGE_PREVIOUS, SecretRecord, SecretVersionRecord, Store, StoreError};

fn secret(name: &str) -> SecretRecord {
    SecretRecord {
        name: name.to_string(),
        arn: format!("arn:secret:{name}-AbCdEf"),
        created_ms: 10,
        modified_ms: 10,
        deletion_ms: None,
        doc: "{}".to_string(),
    }
}

fn version(id: &str, stages: &[&str], value: &[u8]) -> SecretVersionRecord {
    SecretVersionRecord {
        version_id: id.to_string(),
        created_ms: 20,
        stages: stages.iter().map(|s| s.to_string()).collect(),
        value: value.to_vec(),
    }
}

/// (version id, stages) of a secret's versions, oldest first.
fn labels(store: &dyn Store, name: &str) -> Vec<(String, Vec<String>)> {
    store
        .secret_versions(name)
        .expect("versions")
        .into_iter()
        .map(|v| {
            let mut stages = v.stages;
            stages.sort();
            (v.version_id, stages)
        })
        .collect()
}

fn pairs(items: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
    items.iter().map(|(id, stages)| (id.to_string(), stages.iter().map(|s| s.to_string()).collect())).collect()
}

pub fn secret_create_get_by_name_and_arn(store: &dyn Store) {
    let s = secret("db");
    store.create_secret(&s, Some(&version("v1", &[STAGE_CURRENT], b"pw"))).expect("create");
    assert_eq!(store.get_secret("db").expect("get"), Some(s.clone()));
    assert_eq!(store.get_secret_by_arn(&s.arn).expect("by arn"), Some(s.clone()));
    assert_eq!(store.get_secret_by_arn("arn:secret:db").expect("partial arn"), None);
    assert_eq!(store.get_secret("nope").expect("get"), None);

    let versions = store.secret_versions("db").expect("versions");
    assert_eq!(versions, vec![version("v1", &[STAGE_CURRENT], b"pw")]);

    let same_name = SecretRecord { arn: "arn:other".to_string(), ..s.clone() };
    assert!(matches!(store.create_secret(&same_name, None), Err(StoreError::AlreadyExists(_))));
    let same_arn = SecretRecord { name: "other".to_string(), ..s.clone() };
    assert!(matches!(store.create_secret(&same_arn, None), Err(StoreError::AlreadyExists(_))));
    assert_eq!(store.get_secret("other").expect("get"), None, "a refused create stored something");

    // A secret may start without a value.
    store.create_secret(&secret("empty"), None).expect("create without value");
    assert!(store.secret_versions("empty").expect("versions").is_empty());
}

pub fn secret_stages_move_and_current_becomes_previous(store: &dyn Store) {
    store.create_secret(&secret("s"), Some(&version("v1", &[STAGE_CURRENT], b"1"))).expect("create");
    store.put_secret_version("s", &version("v2", &[STAGE_CURRENT], b"2"), 30, 100).expect("v2");
    assert_eq!(labels(store, "s"), pairs(&[("v1", &[STAGE_PREVIOUS]), ("v2", &[STAGE_CURRENT])]));
    assert_eq!(store.get_secret("s").expect("get").map(|s| s.modified_ms), Some(30));

    store.put_secret_version("s", &version("v3", &[STAGE_CURRENT, "custom"], b"3"), 40, 100).expect("v3");
    assert_eq!(
        labels(store, "s"),
        pairs(&[("v1", &[]), ("v2", &[STAGE_PREVIOUS]), ("v3", &[STAGE_CURRENT, "custom"])])
    );

    // A label that is not AWSCURRENT only moves.
    store.put_secret_version("s", &version("v4", &["custom"], b"4"), 50, 100).expect("v4");
    assert_eq!(
        labels(store, "s"),
        pairs(&[("v1", &[]), ("v2", &[STAGE_PREVIOUS]), ("v3", &[STAGE_CURRENT]), ("v4", &["custom"])])
    );

    assert!(matches!(
        store.put_secret_version("s", &version("v4", &[STAGE_CURRENT], b"x"), 60, 100),
        Err(StoreError::AlreadyExists(_))
    ));
    assert!(matches!(
        store.put_secret_version("ghost", &version("g", &[STAGE_CURRENT], b"x"), 60, 100),
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(labels(store, "s").len(), 4, "a refused put changed the versions");
}

pub fn secret_unlabelled_versions_are_dropped(store: &dyn Store) {
    store.create_secret(&secret("s"), Some(&version("v0", &[STAGE_CURRENT], b"0"))).expect("create");
    for i in 1..6 {
        store.put_secret_version("s", &version(&format!("v{i}"), &[STAGE_CURRENT], b"x"), i, 2).expect("put");
    }
    // v5 current, v4 previous, and the two newest unlabelled ones (v3, v2).
    let ids: Vec<String> = labels(store, "s").into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, ["v2", "v3", "v4", "v5"]);
}

pub fn secret_update_delete_and_list(store: &dyn Store) {
    for name in ["c", "a", "b", "d"] {
        store.create_secret(&secret(name), Some(&version(&format!("{name}1"), &[STAGE_CURRENT], b"v"))).expect("c");
    }
    let scheduled = SecretRecord { deletion_ms: Some(99), doc: "{\"x\":1}".to_string(), ..secret("b") };
    store.update_secret(&scheduled).expect("update");
    assert_eq!(store.get_secret("b").expect("get"), Some(scheduled));
    let ghost = secret("ghost");
    assert!(matches!(store.update_secret(&ghost), Err(StoreError::NotFound(_))));

    for limit in [1, 2, 10] {
        let live = all_pages(limit, |token, limit| store.list_secrets(false, token, limit));
        let names: Vec<&str> = live.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a", "c", "d"], "limit {limit}");
        let every = all_pages(limit, |token, limit| store.list_secrets(true, token, limit));
        let names: Vec<&str> = every.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c", "d"], "limit {limit}");
    }

    assert!(store.delete_secret("c").expect("delete"));
    assert!(!store.delete_secret("c").expect("delete again"));
    assert_eq!(store.get_secret("c").expect("get"), None);
    assert!(store.secret_versions("c").expect("versions").is_empty(), "versions outlived their secret");
    // The name (and its ARN) are free again.
    store.create_secret(&secret("c"), None).expect("create again");
    assert!(matches!(store.list_secrets(false, Some("zz"), 10), Err(StoreError::InvalidToken(_))));
}

//! Conformance cases for webhooks and their deliveries.

use super::create;
use crate::{DeliveryOutcome, DeliveryRecord, Store, StoreError, WebhookRecord};

fn webhook(project: &str, token: &str, secret: Option<&[u8]>) -> WebhookRecord {
    WebhookRecord {
        project: project.to_string(),
        token: token.to_string(),
        secret: secret.map(<[u8]>::to_vec),
        created_ms: 10,
        modified_ms: 10,
        doc: format!(r#"{{"of":"{project}"}}"#),
    }
}

fn delivery(id: &str, project: &str, delivery_id: Option<&str>, outcome: DeliveryOutcome) -> DeliveryRecord {
    DeliveryRecord {
        id: id.to_string(),
        project: project.to_string(),
        delivery_id: delivery_id.map(str::to_string),
        received_ms: 100,
        outcome,
        payload_sha256: "ab".repeat(32),
        doc: format!(r#"{{"delivery":"{id}"}}"#),
    }
}

fn insert(store: &dyn Store, d: &DeliveryRecord) -> DeliveryOutcome {
    store.insert_delivery(d, 100).unwrap_or_else(|e| panic!("insert_delivery {}: {e}", d.id)).outcome
}

fn listed(store: &dyn Store, project: &str) -> Vec<(String, DeliveryOutcome)> {
    store.list_deliveries(project, 100).expect("list").into_iter().map(|d| (d.id, d.outcome)).collect()
}

pub fn webhook_create_get_update_and_delete(store: &dyn Store) {
    let orphan = store.create_webhook(&webhook("ghost", "t0", None));
    assert!(matches!(orphan, Err(StoreError::NotFound(_))), "{orphan:?}");

    create(store, "p");
    let w = webhook("p", "t1", Some(&[0, 159, 255]));
    store.create_webhook(&w).expect("create");
    assert_eq!(store.get_webhook("p").expect("get"), Some(w.clone()));
    assert_eq!(store.get_webhook_by_token("t1").expect("by token"), Some(w.clone()));
    assert_eq!(store.get_webhook_by_token("t").expect("by token"), None);
    let again = store.create_webhook(&webhook("p", "t2", None));
    assert!(matches!(again, Err(StoreError::AlreadyExists(_))), "{again:?}");

    // Rotating the token and secret: the old token finds nothing.
    let rotated = WebhookRecord { token: "t3".to_string(), secret: None, modified_ms: 20, doc: "{}".to_string(), ..w };
    store.update_webhook(&rotated).expect("update");
    assert_eq!(store.get_webhook("p").expect("get"), Some(rotated.clone()));
    assert_eq!(store.get_webhook_by_token("t1").expect("by token"), None);
    let absent = store.update_webhook(&webhook("q", "t4", None));
    assert!(matches!(absent, Err(StoreError::NotFound(_))), "{absent:?}");

    assert!(store.delete_webhook("p").expect("delete"));
    assert!(!store.delete_webhook("p").expect("delete twice"));
    assert_eq!(store.get_webhook_by_token("t3").expect("by token"), None);
}

pub fn webhook_tokens_are_unique_and_go_with_their_project(store: &dyn Store) {
    create(store, "a");
    create(store, "b");
    store.create_webhook(&webhook("a", "same", None)).expect("create a");
    let taken = store.create_webhook(&webhook("b", "same", None));
    assert!(matches!(taken, Err(StoreError::AlreadyExists(_))), "{taken:?}");
    store.create_webhook(&webhook("b", "other", None)).expect("create b");
    let clash = store.update_webhook(&webhook("b", "same", None));
    assert!(matches!(clash, Err(StoreError::AlreadyExists(_))), "{clash:?}");
    assert_eq!(store.get_webhook_by_token("other").expect("get").map(|w| w.project), Some("b".to_string()));

    store.insert_delivery(&delivery("d1", "a", None, DeliveryOutcome::Ignored("ping".into())), 10).expect("insert");
    assert!(store.delete_project("a").expect("delete project"));
    assert_eq!(store.get_webhook("a").expect("get"), None, "the webhook outlived its project");
    assert_eq!(store.get_webhook_by_token("same").expect("get"), None);
    assert_eq!(listed(store, "a").len(), 1, "deliveries stay, like builds");
}

pub fn delivery_ids_are_claimed_once_per_project(store: &dyn Store) {
    use DeliveryOutcome::*;
    assert_eq!(insert(store, &delivery("k1", "p", Some("gh-1"), Pending)), Pending);
    assert_eq!(insert(store, &delivery("k2", "p", Some("gh-1"), Pending)), Duplicate("k1".into()));
    assert_eq!(insert(store, &delivery("k3", "p", Some("gh-1"), Started("p:b".into()))), Duplicate("k1".into()));
    // Outcomes that start nothing do not look at claims.
    assert_eq!(
        insert(store, &delivery("k4", "p", Some("gh-1"), Ignored("no match".into()))),
        Ignored("no match".into())
    );
    assert_eq!(insert(store, &delivery("k5", "p", Some("gh-1"), Rejected("bad".into()))), Rejected("bad".into()));
    // Another project, or no delivery id, claims nothing of p's.
    assert_eq!(insert(store, &delivery("k6", "q", Some("gh-1"), Pending)), Pending);
    assert_eq!(insert(store, &delivery("k7", "p", None, Pending)), Pending);
    assert_eq!(insert(store, &delivery("k8", "p", None, Pending)), Pending);

    store.set_delivery_outcome("k1", &Started("p:1".into())).expect("started");
    assert_eq!(insert(store, &delivery("k9", "p", Some("gh-1"), Pending)), Duplicate("k1".into()), "a start holds it");
    // A failed start lets go: the provider's redelivery may try again.
    store.set_delivery_outcome("k1", &Failed("limit".into())).expect("failed");
    assert_eq!(insert(store, &delivery("k10", "p", Some("gh-1"), Pending)), Pending);

    let taken = store.insert_delivery(&delivery("k10", "p", Some("gh-2"), Pending), 100);
    assert!(matches!(taken, Err(StoreError::AlreadyExists(_))), "{taken:?}");
    let absent = store.set_delivery_outcome("nope", &Pending);
    assert!(matches!(absent, Err(StoreError::NotFound(_))), "{absent:?}");
}

pub fn delivery_claims_hold_under_concurrency(store: &dyn Store) {
    let threads = 8;
    let outcomes: Vec<DeliveryOutcome> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    insert(store, &delivery(&format!("k{t}"), "p", Some("same"), DeliveryOutcome::Pending))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("inserting thread")).collect()
    });
    let pending = outcomes.iter().filter(|o| **o == DeliveryOutcome::Pending).count();
    assert_eq!(pending, 1, "{outcomes:?}");
    assert_eq!(outcomes.iter().filter(|o| matches!(o, DeliveryOutcome::Duplicate(_))).count(), threads - 1);
}

pub fn deliveries_list_newest_first_and_are_pruned(store: &dyn Store) {
    let kinds = [
        DeliveryOutcome::Pending,
        DeliveryOutcome::Started("p:b1".into()),
        DeliveryOutcome::Ignored("no filter group matched".into()),
        DeliveryOutcome::Rejected("signature".into()),
        DeliveryOutcome::Failed("limit".into()),
        DeliveryOutcome::Duplicate("k0".into()),
    ];
    for (i, outcome) in kinds.iter().enumerate() {
        store.insert_delivery(&delivery(&format!("k{i}"), "p", None, outcome.clone()), 4).expect("insert");
    }
    store.insert_delivery(&delivery("other", "q", None, DeliveryOutcome::Pending), 4).expect("insert");
    // Only the newest four of p are left, newest first, each outcome as stored.
    let expected: Vec<(String, DeliveryOutcome)> = (2..6).rev().map(|i| (format!("k{i}"), kinds[i].clone())).collect();
    assert_eq!(listed(store, "p"), expected);
    assert_eq!(listed(store, "q").len(), 1, "pruning p touched q");
    let one = store.list_deliveries("p", 1).expect("list");
    assert_eq!(one, vec![delivery("k5", "p", None, kinds[5].clone())], "the whole record comes back");
    assert_eq!(store.list_deliveries("p", 0).expect("list"), vec![]);

    store.set_delivery_outcome("k3", &DeliveryOutcome::Started("p:b2".into())).expect("set");
    assert_eq!(listed(store, "p")[2], ("k3".to_string(), DeliveryOutcome::Started("p:b2".into())));
    assert_eq!(store.list_deliveries("nobody", 10).expect("list"), vec![]);
}

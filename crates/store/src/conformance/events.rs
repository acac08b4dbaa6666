//! Conformance cases for EventBridge rules, targets and the invocation record.

use super::{all_pages, strings};
use crate::{InvocationRecord, RuleDeletion, RuleRecord, Store, StoreError, TargetRecord};

const BUS: &str = "default";

fn rule(name: &str, enabled: bool, at_ms: i64) -> RuleRecord {
    RuleRecord {
        event_bus: BUS.to_string(),
        name: name.to_string(),
        arn: format!("arn:rule/{name}"),
        enabled,
        created_ms: at_ms,
        modified_ms: at_ms,
        doc: format!(r#"{{"rule":"{name}","at":{at_ms}}}"#),
    }
}

fn target(id: &str, doc: &str) -> TargetRecord {
    TargetRecord { id: id.to_string(), doc: doc.to_string() }
}

fn put(store: &dyn Store, r: &RuleRecord) -> RuleRecord {
    store.put_rule(r).unwrap_or_else(|e| panic!("put_rule {}: {e}", r.name))
}

fn target_ids(store: &dyn Store, rule: &str) -> Vec<String> {
    let page = store.list_targets(BUS, rule, None, 100).expect("list targets");
    page.items.into_iter().map(|t| t.id).collect()
}

fn invocation(event: &str, error: Option<&str>) -> InvocationRecord {
    InvocationRecord {
        seq: -1,
        time_ms: 5,
        rule_arn: "arn:rule/r".to_string(),
        target_id: "t".to_string(),
        event_id: event.to_string(),
        outcome: if error.is_none() { Some(format!("build-of-{event}")) } else { None },
        error: error.map(str::to_string),
    }
}

pub fn event_rule_put_replaces_and_keeps_created_time_and_targets(store: &dyn Store) {
    let first = put(store, &rule("r", true, 10));
    assert_eq!(first, rule("r", true, 10));
    store.put_targets(BUS, "r", &[target("t1", "{}")], 5).expect("put targets");

    let replaced = put(store, &RuleRecord { arn: "arn:other".into(), ..rule("r", false, 20) });
    assert_eq!(replaced.created_ms, 10, "a replaced rule keeps its creation time");
    assert_eq!(replaced.modified_ms, 20);
    assert!(!replaced.enabled);
    assert_eq!(replaced.arn, "arn:other");
    assert_eq!(replaced.doc, rule("r", false, 20).doc);
    assert_eq!(store.get_rule(BUS, "r").expect("get"), Some(replaced));
    assert_eq!(target_ids(store, "r"), ["t1"], "replacing a rule keeps its targets");

    // Rules are named within their bus.
    assert_eq!(store.get_rule("other-bus", "r").expect("get"), None);
    assert_eq!(store.get_rule(BUS, "missing").expect("get"), None);
}

pub fn event_rule_update_never_creates(store: &dyn Store) {
    assert!(matches!(store.update_rule(&rule("ghost", true, 1)), Err(StoreError::NotFound(_))));
    assert_eq!(store.get_rule(BUS, "ghost").expect("get"), None);
    put(store, &rule("r", true, 1));
    store.update_rule(&rule("r", false, 9)).expect("update");
    let got = store.get_rule(BUS, "r").expect("get").expect("present");
    assert_eq!((got.enabled, got.created_ms, got.modified_ms), (false, 1, 9));
}

pub fn event_rule_delete_needs_no_targets(store: &dyn Store) {
    assert_eq!(store.delete_rule(BUS, "missing").expect("delete"), RuleDeletion::Absent);
    put(store, &rule("r", true, 1));
    store.put_targets(BUS, "r", &[target("a", "{}"), target("b", "{}")], 5).expect("put targets");
    assert_eq!(store.delete_rule(BUS, "r").expect("delete"), RuleDeletion::HasTargets);
    assert!(store.get_rule(BUS, "r").expect("get").is_some(), "a refused delete deleted");

    assert_eq!(store.remove_targets(BUS, "r", &strings(&["a", "nope", "b"])).expect("remove"), ["a", "b"]);
    assert_eq!(store.delete_rule(BUS, "r").expect("delete"), RuleDeletion::Deleted);
    assert_eq!(store.get_rule(BUS, "r").expect("get"), None);
    // A rule created again under the name starts without targets.
    put(store, &rule("r", true, 2));
    assert!(target_ids(store, "r").is_empty());
}

pub fn event_rule_list_by_prefix_pages_and_enabled_rules(store: &dyn Store) {
    for (name, enabled) in [("build-b", true), ("build-a", false), ("deploy", true), ("build-c", true), ("b", true)] {
        put(store, &rule(name, enabled, 1));
    }
    store.put_rule(&RuleRecord { event_bus: "other".into(), ..rule("build-z", true, 1) }).expect("other bus");

    let names = |prefix: &str, limit: usize| -> Vec<String> {
        all_pages(limit, |token, limit| store.list_rules(BUS, prefix, token, limit))
            .into_iter()
            .map(|r| r.name)
            .collect()
    };
    assert_eq!(names("build-", 2), ["build-a", "build-b", "build-c"]);
    assert_eq!(names("", 1), ["b", "build-a", "build-b", "build-c", "deploy"]);
    assert_eq!(names("x", 3), Vec::<String>::new());
    let page = store.list_rules(BUS, "", None, 0).expect("limit 0");
    assert!(page.items.is_empty() && page.next.is_none());

    let enabled: Vec<String> = store.enabled_rules(BUS).expect("enabled").into_iter().map(|r| r.name).collect();
    assert_eq!(enabled, ["b", "build-b", "build-c", "deploy"]);
    let other: Vec<String> = store.enabled_rules("other").expect("enabled").into_iter().map(|r| r.name).collect();
    assert_eq!(other, ["build-z"]);

    // A token from the rule listing is not one for the target listing.
    let page = store.list_rules(BUS, "", None, 1).expect("page");
    let token = page.next.expect("more rules");
    assert!(matches!(store.list_targets(BUS, "b", Some(&token), 1), Err(StoreError::InvalidToken(_))));
}

pub fn event_targets_replace_by_id_and_respect_the_limit(store: &dyn Store) {
    assert!(matches!(store.put_targets(BUS, "missing", &[target("a", "{}")], 5), Err(StoreError::NotFound(_))));
    assert!(matches!(store.remove_targets(BUS, "missing", &strings(&["a"])), Err(StoreError::NotFound(_))));
    put(store, &rule("r", true, 1));
    store.put_targets(BUS, "r", &[target("b", r#"{"v":1}"#), target("a", r#"{"v":1}"#)], 3).expect("put");
    store.put_targets(BUS, "r", &[target("b", r#"{"v":2}"#), target("c", r#"{"v":1}"#)], 3).expect("replace b");
    let all = all_pages(2, |token, limit| store.list_targets(BUS, "r", token, limit));
    let got: Vec<(&str, &str)> = all.iter().map(|t| (t.id.as_str(), t.doc.as_str())).collect();
    assert_eq!(got, [("a", r#"{"v":1}"#), ("b", r#"{"v":2}"#), ("c", r#"{"v":1}"#)]);

    // Over the limit: nothing of the call is stored, not even the replacement.
    let over = store.put_targets(BUS, "r", &[target("a", r#"{"v":9}"#), target("d", "{}")], 3);
    assert!(matches!(over, Err(StoreError::LimitExceeded(_))), "{over:?}");
    let all = all_pages(10, |token, limit| store.list_targets(BUS, "r", token, limit));
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].doc, r#"{"v":1}"#, "a refused call replaced a target");
    assert!(target_ids(store, "other").is_empty());
}

pub fn event_invocations_newest_first_and_pruned(store: &dyn Store) {
    assert!(store.invocations(None, 10).expect("empty").is_empty());
    let mut seqs = Vec::new();
    for i in 0..5 {
        let error = if i % 2 == 0 { None } else { Some("project missing") };
        seqs.push(store.record_invocation(&invocation(&format!("e{i}"), error), 3).expect("record"));
    }
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "seq increases: {seqs:?}");
    let kept = store.invocations(None, 10).expect("list");
    let events: Vec<&str> = kept.iter().map(|i| i.event_id.as_str()).collect();
    assert_eq!(events, ["e4", "e3", "e2"], "only the newest three are kept, newest first");
    assert_eq!(kept[1].error.as_deref(), Some("project missing"));
    assert_eq!(kept[1].outcome, None);
    assert_eq!(kept[0].outcome.as_deref(), Some("build-of-e4"));
    assert_eq!(kept[0].seq, seqs[4]);

    let older = store.invocations(Some(kept[0].seq), 1).expect("before");
    assert_eq!(older.iter().map(|i| i.event_id.as_str()).collect::<Vec<_>>(), ["e3"]);
}

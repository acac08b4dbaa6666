//! Conformance cases for Parameter Store parameters.

use super::{all_pages, strings};
use crate::{ParameterRecord, Store, StoreError};

fn param(name: &str, value: &[u8], modified_ms: i64) -> ParameterRecord {
    ParameterRecord {
        name: name.to_string(),
        version: -3,
        modified_ms,
        value: value.to_vec(),
        doc: format!(r#"{{"v":"{}"}}"#, String::from_utf8_lossy(value)),
    }
}

fn put(store: &dyn Store, name: &str, value: &[u8], overwrite: bool) -> ParameterRecord {
    store.put_parameter(&param(name, value, 1), overwrite, 100).unwrap_or_else(|e| panic!("put {name}: {e}"))
}

pub fn parameter_versions_count_and_overwrite_is_required(store: &dyn Store) {
    let first = put(store, "/app/db", b"one", false);
    assert_eq!(first.version, 1, "the store assigns versions");
    assert_eq!(first.value, b"one");
    assert!(matches!(store.put_parameter(&param("/app/db", b"two", 2), false, 100), Err(StoreError::AlreadyExists(_))));
    assert_eq!(store.get_parameter("/app/db", None).expect("get"), Some(first.clone()), "a refused put changed it");

    let second = put(store, "/app/db", b"two", true);
    assert_eq!(second.version, 2);
    assert_eq!(store.get_parameter("/app/db", None).expect("latest"), Some(second));
    assert_eq!(store.get_parameter("/app/db", Some(1)).expect("v1"), Some(first));
    assert_eq!(store.get_parameter("/app/db", Some(3)).expect("v3"), None);
    assert_eq!(store.get_parameter("/app/other", None).expect("missing"), None);

    // Overwriting a parameter that does not exist creates it.
    assert_eq!(put(store, "fresh", b"x", true).version, 1);
}

pub fn parameter_values_are_bytes(store: &dyn Store) {
    let bytes = [0u8, 255, 10, 0, 7];
    put(store, "bin", &bytes, false);
    let got = store.get_parameter("bin", None).expect("get").expect("present");
    assert_eq!(got.value, bytes);
}

pub fn parameter_old_versions_are_dropped(store: &dyn Store) {
    for i in 0..5 {
        let record = param("p", format!("v{i}").as_bytes(), i);
        store.put_parameter(&record, true, 3).expect("put");
    }
    assert_eq!(store.get_parameter("p", None).expect("get").map(|p| p.version), Some(5));
    for (version, kept) in [(1, false), (2, false), (3, true), (4, true), (5, true)] {
        assert_eq!(store.get_parameter("p", Some(version)).expect("get").is_some(), kept, "version {version}");
    }
}

pub fn parameter_delete_reports_deleted_and_restarts_versions(store: &dyn Store) {
    put(store, "a", b"1", false);
    put(store, "a", b"2", true);
    put(store, "b", b"1", false);
    let deleted = store.delete_parameters(&strings(&["a", "missing", "a", "b"])).expect("delete");
    assert_eq!(deleted, strings(&["a", "b"]));
    assert_eq!(store.get_parameter("a", None).expect("get"), None);
    assert_eq!(store.get_parameter("a", Some(1)).expect("get"), None, "versions outlived their parameter");
    assert!(store.delete_parameters(&strings(&["a"])).expect("again").is_empty());
    assert_eq!(put(store, "a", b"3", false).version, 1, "a deleted name starts again at version 1");
}

pub fn parameter_list_by_prefix_pages_latest_versions(store: &dyn Store) {
    for name in ["/app/b", "/app/a", "/apple", "/app/c/d", "/other/x", "root"] {
        put(store, name, name.as_bytes(), false);
    }
    put(store, "/app/a", b"newer", true);
    let all = all_pages(100, |token, limit| store.list_parameters("", token, limit));
    let names: Vec<&str> = all.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["/app/a", "/app/b", "/app/c/d", "/apple", "/other/x", "root"]);
    assert_eq!(all[0].version, 2, "listings show the latest version");
    assert_eq!(all[0].value, b"newer");

    for limit in [1, 2, 3, 10] {
        let got = all_pages(limit, |token, limit| store.list_parameters("/app/", token, limit));
        let names: Vec<&str> = got.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["/app/a", "/app/b", "/app/c/d"], "limit {limit}");
    }
    assert!(store.list_parameters("/none/", None, 10).expect("list").items.is_empty());
    assert!(matches!(store.list_parameters("", Some("garbage"), 10), Err(StoreError::InvalidToken(_))));
}

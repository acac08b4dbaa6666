//! Conformance cases for projects.

use super::{all_pages, insert, project, strings};
use crate::{Order, ProjectRecord, ProjectSort, Store, StoreError};

pub fn project_create_get_and_duplicate(store: &dyn Store) {
    let alpha = project("alpha", 10, 20);
    store.create_project(&alpha).expect("create");
    assert_eq!(store.get_project("alpha").expect("get"), Some(alpha.clone()));
    assert_eq!(store.get_project("beta").expect("get"), None);

    let again = ProjectRecord { doc: "other".to_string(), ..alpha.clone() };
    assert!(matches!(store.create_project(&again), Err(StoreError::AlreadyExists(_))));
    assert_eq!(store.get_project("alpha").expect("get"), Some(alpha), "a refused create changed the project");
}

pub fn project_update(store: &dyn Store) {
    store.create_project(&project("alpha", 10, 10)).expect("create");
    let changed = ProjectRecord { name: "alpha".to_string(), created_ms: 999, modified_ms: 50, doc: "v2".to_string() };
    store.update_project(&changed).expect("update");
    let got = store.get_project("alpha").expect("get").expect("present");
    assert_eq!(got.created_ms, 10, "update must keep the creation time");
    assert_eq!(got.modified_ms, 50);
    assert_eq!(got.doc, "v2");

    let missing = project("ghost", 1, 2);
    assert!(matches!(store.update_project(&missing), Err(StoreError::NotFound(_))));
    assert_eq!(store.get_project("ghost").expect("get"), None, "update created a project");
}

pub fn project_delete_keeps_builds(store: &dyn Store) {
    store.create_project(&project("alpha", 1, 1)).expect("create");
    store.create_project(&project("beta", 2, 2)).expect("create");
    insert(store, "alpha:1", "alpha", 5);

    assert!(store.delete_project("alpha").expect("delete"));
    assert!(!store.delete_project("alpha").expect("delete again"));
    assert_eq!(store.get_project("alpha").expect("get"), None);
    assert!(store.get_build("alpha:1").expect("get build").is_some(), "deleting a project deleted its builds");
    let names = store.list_projects(ProjectSort::Name, Order::Ascending, None, 10).expect("list");
    assert_eq!(names.items, strings(&["beta"]));
}

pub fn project_get_many(store: &dyn Store) {
    for (i, name) in ["a", "b", "c"].into_iter().enumerate() {
        let t = i64::try_from(i).expect("small");
        store.create_project(&project(name, t, t)).expect("create");
    }
    let got = store.get_projects(&strings(&["c", "missing", "a", "c"])).expect("get many");
    let names: Vec<&str> = got.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["c", "a"]);
    assert_eq!(got[0], store.get_project("c").expect("get").expect("c"));
    assert!(store.get_projects(&[]).expect("get none").is_empty());
}

pub fn project_list_sorts_and_pages(store: &dyn Store) {
    // Ties on each time column, so the name must break them.
    let all = [
        project("delta", 1, 40),
        project("alpha", 2, 10),
        project("echo", 2, 30),
        project("bravo", 3, 10),
        project("charlie", 5, 20),
        project("foxtrot", 6, 50),
        project("golf", 7, 5),
    ];
    for p in &all {
        store.create_project(p).expect("create");
    }
    for sort in [ProjectSort::Name, ProjectSort::Created, ProjectSort::Modified] {
        let mut expected: Vec<&ProjectRecord> = all.iter().collect();
        expected.sort_by_key(|p| {
            let key = match sort {
                ProjectSort::Name => 0,
                ProjectSort::Created => p.created_ms,
                ProjectSort::Modified => p.modified_ms,
            };
            (key, p.name.clone())
        });
        let ascending: Vec<String> = expected.iter().map(|p| p.name.clone()).collect();
        let descending: Vec<String> = ascending.iter().rev().cloned().collect();
        for (order, want) in [(Order::Ascending, &ascending), (Order::Descending, &descending)] {
            for limit in [1, 2, 3, 7, 100] {
                let got = all_pages(limit, |token, limit| store.list_projects(sort, order, token, limit));
                assert_eq!(&got, want, "{sort:?} {order:?} limit {limit}");
            }
        }
    }
}

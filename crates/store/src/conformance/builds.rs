//! Conformance cases for builds and idempotency tokens.

use super::{all_pages, create, ids, insert, new_build, number_doc, strings};
use crate::{BuildRecord, BuildState, IdempotencyRecord, LogEvent, LogLines, Order, ProjectSort, Store, StoreError};

pub fn build_numbers_count_per_project(store: &dyn Store) {
    create(store, "p");
    create(store, "q");
    let mut numbers = Vec::new();
    for (id, project) in [("p:1", "p"), ("p:2", "p"), ("q:1", "q"), ("p:3", "p"), ("q:2", "q")] {
        let stored = insert(store, id, project, 100);
        assert_eq!(stored.doc, number_doc(stored.number), "the doc must carry the number");
        assert_eq!(stored.id, id);
        assert_eq!(stored.project, project);
        assert_eq!(stored.state, BuildState::Queued);
        assert_eq!(stored.submitted_ms, 100);
        assert!(!stored.stop_requested);
        assert_eq!(store.get_build(id).expect("get"), Some(stored.clone()), "insert_build must return what it stored");
        numbers.push(stored.number);
    }
    assert_eq!(numbers, [1, 2, 1, 3, 2]);
}

pub fn build_numbers_never_reused(store: &dyn Store) {
    create(store, "p");
    for id in ["p:1", "p:2", "p:3"] {
        insert(store, id, "p", 1);
    }
    let deleted = store.delete_builds(&strings(&["p:2", "p:3"])).expect("delete");
    assert_eq!(deleted, strings(&["p:2", "p:3"]));
    assert_eq!(insert(store, "p:4", "p", 2).number, 4);

    // A project created again under the same name continues the numbering.
    assert!(store.delete_project("p").expect("delete project"));
    create(store, "p");
    assert_eq!(insert(store, "p:5", "p", 3).number, 5);
}

pub fn build_numbers_unique_under_concurrency(store: &dyn Store) {
    create(store, "p");
    let (threads, each) = (4, 25);
    let mut numbers: Vec<i64> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    (0..each).map(|i| insert(store, &format!("p:{t}-{i}"), "p", i).number).collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("inserting thread")).collect()
    });
    numbers.sort_unstable();
    let expected: Vec<i64> = (1..=threads * each).collect();
    assert_eq!(numbers, expected, "numbers must be 1..n without duplicates or gaps");
}

pub fn build_insert_failures_store_nothing(store: &dyn Store) {
    let token = |t: &str, build: &str| IdempotencyRecord {
        token: t.to_string(),
        request_hash: "h".to_string(),
        build_id: build.to_string(),
        created_ms: 10,
    };
    let orphan = store.insert_build(&new_build("ghost:1", "ghost", 1), &number_doc, Some(&token("t-ghost", "ghost:1")));
    assert!(matches!(orphan, Err(StoreError::NotFound(_))), "{orphan:?}");
    assert_eq!(store.get_build("ghost:1").expect("get"), None);
    assert_eq!(store.find_idempotency("t-ghost", 0).expect("find"), None);

    create(store, "p");
    assert_eq!(insert(store, "p:a", "p", 1).number, 1);
    let duplicate = store.insert_build(&new_build("p:a", "p", 2), &number_doc, Some(&token("t-dup", "p:a")));
    assert!(matches!(duplicate, Err(StoreError::AlreadyExists(_))), "{duplicate:?}");
    assert_eq!(store.find_idempotency("t-dup", 0).expect("find"), None);
    let first = store.get_build("p:a").expect("get").expect("present");
    assert_eq!((first.number, first.submitted_ms), (1, 1), "the duplicate overwrote");
    assert_eq!(insert(store, "p:b", "p", 3).number, 2, "a failed insert used up a number");
}

pub fn get_builds_order_missing_duplicates(store: &dyn Store) {
    create(store, "p");
    for id in ["p:a", "p:b", "p:c"] {
        insert(store, id, "p", 1);
    }
    let got = store.get_builds(&strings(&["p:c", "p:x", "p:a", "p:c", "p:b"])).expect("get builds");
    assert_eq!(ids(&got), ["p:c", "p:a", "p:b"]);
    assert_eq!(Some(&got[1]), store.get_build("p:a").expect("get").as_ref());
    assert!(store.get_builds(&[]).expect("get none").is_empty());
    assert_eq!(store.get_build("p:x").expect("get"), None);
}

pub fn update_build_changes_only_mutable_fields(store: &dyn Store) {
    create(store, "p");
    let original = insert(store, "p:1", "p", 42);
    let updated = store
        .update_build("p:1", &mut |b| {
            b.state = BuildState::Running;
            b.stop_requested = true;
            b.doc = "new doc".to_string();
            b.number = 99;
            b.id = "p:other".to_string();
            b.project = "q".to_string();
            b.submitted_ms = 7;
            b.settings = "changed".to_string();
        })
        .expect("update")
        .expect("present");
    assert_eq!(updated.state, BuildState::Running);
    assert!(updated.stop_requested);
    assert_eq!(updated.doc, "new doc");
    assert_eq!(
        (updated.id.as_str(), updated.project.as_str(), updated.number, updated.submitted_ms),
        ("p:1", "p", original.number, 42),
        "identity, number and submission time are fixed"
    );
    assert_eq!(updated.settings, original.settings, "settings are fixed at insert");
    assert_eq!(original.settings, r#"{"of":"p:1"}"#, "settings are stored at insert");
    assert_eq!(store.get_build("p:1").expect("get"), Some(updated));
    assert_eq!(store.get_build("p:other").expect("get"), None);

    let mut called = false;
    let missing = store.update_build("p:missing", &mut |_| called = true).expect("update missing");
    assert_eq!(missing, None);
    assert!(!called, "the change ran for a missing build");
}

pub fn update_build_is_atomic(store: &dyn Store) {
    create(store, "p");
    store.insert_build(&new_build("p:1", "p", 1), &|_| "0".to_string(), None).expect("insert");
    let (threads, each) = (4, 25);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                for _ in 0..each {
                    store
                        .update_build("p:1", &mut |b| {
                            let n: i64 = b.doc.parse().expect("counter doc");
                            b.doc = (n + 1).to_string();
                        })
                        .expect("update")
                        .expect("present");
                }
            });
        }
    });
    let doc = store.get_build("p:1").expect("get").expect("present").doc;
    assert_eq!(doc, (threads * each).to_string(), "concurrent updates were lost");
}

pub fn delete_builds_reports_deleted_and_drops_logs(store: &dyn Store) {
    create(store, "p");
    insert(store, "p:a", "p", 1);
    insert(store, "p:b", "p", 2);
    let line = LogEvent { seq: 0, timestamp_ms: 1, ingestion_ms: 1, message: "x".to_string() };
    store.append_log("p:a", &[line.clone(), line]).expect("append");

    let deleted = store.delete_builds(&strings(&["p:a", "p:missing", "p:a"])).expect("delete");
    assert_eq!(deleted, strings(&["p:a"]));
    assert_eq!(store.get_build("p:a").expect("get"), None);
    assert!(store.get_build("p:b").expect("get").is_some());
    assert_eq!(store.log_len("p:a").expect("log len"), 0, "logs outlived their build");

    let listed = store.list_builds(Order::Ascending, None, 10).expect("list");
    assert_eq!(listed.items, strings(&["p:b"]));
    let listed = store.list_builds_for_project("p", Order::Ascending, None, 10).expect("list for project");
    assert_eq!(listed.items, strings(&["p:b"]));
    assert!(store.delete_builds(&[]).expect("delete none").is_empty());
}

pub fn list_builds_pages_by_submission_time(store: &dyn Store) {
    create(store, "p");
    create(store, "q");
    // Ties on submission time, so the id must break them.
    let builds = [
        ("p:b", "p", 100),
        ("q:a", "q", 100),
        ("p:c", "p", 50),
        ("q:z", "q", 300),
        ("p:a", "p", 200),
        ("q:m", "q", 200),
        ("p:d", "p", 150),
    ];
    for (id, project, at) in builds {
        insert(store, id, project, at);
    }
    let mut sorted = builds.to_vec();
    sorted.sort_by_key(|(id, _, at)| (*at, *id));
    let ascending: Vec<String> = sorted.iter().map(|(id, _, _)| id.to_string()).collect();
    let descending: Vec<String> = ascending.iter().rev().cloned().collect();
    for (order, want) in [(Order::Ascending, &ascending), (Order::Descending, &descending)] {
        for limit in [1, 2, 3, 7, 100] {
            let got = all_pages(limit, |token, limit| store.list_builds(order, token, limit));
            assert_eq!(&got, want, "{order:?} limit {limit}");
        }
    }
}

pub fn list_builds_for_project_pages_by_number(store: &dyn Store) {
    create(store, "p");
    create(store, "q");
    let mut p_ids = Vec::new();
    // Submission times fall as numbers rise: the order must follow the number.
    for i in 0..7 {
        let id = format!("p:{i}");
        insert(store, &id, "p", 1000 - i);
        p_ids.push(id);
        if i % 2 == 0 {
            insert(store, &format!("q:{i}"), "q", 5);
        }
    }
    let p_desc: Vec<String> = p_ids.iter().rev().cloned().collect();
    for (order, want) in [(Order::Ascending, &p_ids), (Order::Descending, &p_desc)] {
        for limit in [1, 3, 7, 10] {
            let got = all_pages(limit, |token, limit| store.list_builds_for_project("p", order, token, limit));
            assert_eq!(&got, want, "{order:?} limit {limit}");
        }
    }
    let q = all_pages(2, |token, limit| store.list_builds_for_project("q", Order::Ascending, token, limit));
    assert_eq!(q, strings(&["q:0", "q:2", "q:4", "q:6"]));
    let none = store.list_builds_for_project("nobody", Order::Descending, None, 10).expect("list unknown");
    assert!(none.items.is_empty() && none.next.is_none());
}

pub fn builds_in_state_oldest_first(store: &dyn Store) {
    create(store, "p");
    for (id, at) in [("p:late", 30), ("p:early", 10), ("p:mid", 20), ("p:run", 5), ("p:done", 1)] {
        insert(store, id, "p", at);
    }
    let set = |id: &str, state: BuildState| {
        store.update_build(id, &mut |b| b.state = state).expect("update").expect("present");
    };
    set("p:run", BuildState::Running);
    set("p:done", BuildState::Done);

    let queued = store.builds_in_state(BuildState::Queued, 10).expect("queued");
    assert_eq!(ids(&queued), ["p:early", "p:mid", "p:late"]);
    assert!(queued.iter().all(|b| b.state == BuildState::Queued));
    let oldest = store.builds_in_state(BuildState::Queued, 1).expect("oldest");
    assert_eq!(ids(&oldest), ["p:early"]);
    let running = store.builds_in_state(BuildState::Running, 10).expect("running");
    assert_eq!(ids(&running), ["p:run"]);
    let done = store.builds_in_state(BuildState::Done, 10).expect("done");
    assert_eq!(ids(&done), ["p:done"]);
}

pub fn builds_in_state_counted_up_to_a_cap(store: &dyn Store) {
    create(store, "p");
    for (id, at) in [("p:1", 1), ("p:2", 2), ("p:3", 3), ("p:4", 4)] {
        insert(store, id, "p", at);
    }
    store.update_build("p:4", &mut |b| b.state = BuildState::Running).expect("update").expect("present");
    assert_eq!(store.count_builds_in_state(BuildState::Queued, 10).expect("count"), 3);
    assert_eq!(store.count_builds_in_state(BuildState::Queued, 2).expect("capped"), 2);
    assert_eq!(store.count_builds_in_state(BuildState::Running, 10).expect("running"), 1);
    assert_eq!(store.count_builds_in_state(BuildState::Done, 10).expect("done"), 0);
    assert_eq!(store.count_builds_in_state(BuildState::Queued, 0).expect("zero cap"), 0);
}

pub fn record_progress_changes_only_running_builds(store: &dyn Store) {
    create(store, "p");
    for (id, at) in [("p:queued", 1), ("p:running", 2), ("p:done", 3)] {
        insert(store, id, "p", at);
    }
    let mut running = |b: &mut BuildRecord| {
        b.state = BuildState::Running;
        b.stop_requested = true;
    };
    store.update_build("p:running", &mut running).expect("claim").expect("present");
    store.update_build("p:done", &mut |b| b.state = BuildState::Done).expect("end").expect("present");
    for id in ["p:queued", "p:done", "p:missing"] {
        let before = store.get_build(id).expect("get");
        let changed = store.record_progress(id, &mut |doc| *doc = "changed".into()).expect("record_progress");
        assert!(changed.is_none(), "{id} is not running, yet changed: {changed:?}");
        assert_eq!(store.get_build(id).expect("get"), before, "{id}");
    }
    let changed = store.record_progress("p:running", &mut |doc| doc.push('!')).expect("progress").expect("running");
    assert_eq!((changed.state, changed.stop_requested), (BuildState::Running, true));
    assert_eq!(store.get_build("p:running").expect("get").expect("present"), changed);
    assert!(changed.doc.ends_with('!'), "{}", changed.doc);
    // Lines go to a running build's log as to any other's.
    for id in ["p:running", "p:done"] {
        assert_eq!(store.append_log_lines(id, &[LogLines::inline(5, 6, "a\nb\n")]).expect("lines"), 0, "{id}");
        assert_eq!(store.log_len(id).expect("log length"), 2, "{id}");
    }
}

pub fn active_builds_counted_per_project(store: &dyn Store) {
    create(store, "p");
    create(store, "q");
    for (id, project) in [("p:1", "p"), ("p:2", "p"), ("p:3", "p"), ("q:1", "q")] {
        insert(store, id, project, 1);
    }
    let set = |id: &str, state: BuildState| {
        store.update_build(id, &mut |b| b.state = state).expect("update").expect("present");
    };
    set("p:2", BuildState::Running);
    set("p:3", BuildState::Done);
    assert_eq!(store.active_builds_of_project("p").expect("count"), 2);
    assert_eq!(store.active_builds_of_project("q").expect("count"), 1);
    assert_eq!(store.active_builds_of_project("nobody").expect("count"), 0);
    set("p:2", BuildState::Done);
    assert_eq!(store.active_builds_of_project("p").expect("count"), 1);
}

pub fn build_counts_by_state_and_status(store: &dyn Store) {
    assert!(store.build_counts().expect("counts").is_empty());
    create(store, "p");
    for id in ["p:1", "p:2", "p:3", "p:4"] {
        insert(store, id, "p", 1);
    }
    let set = |id: &str, state: BuildState, status: &str| {
        let doc = format!(r#"{{"buildStatus":"{status}"}}"#);
        store.update_build(id, &mut |b| (b.state, b.doc) = (state, doc.clone())).expect("update").expect("present");
    };
    set("p:1", BuildState::Queued, "IN_PROGRESS");
    set("p:2", BuildState::Done, "FAILED");
    set("p:3", BuildState::Done, "FAILED");
    set("p:4", BuildState::Done, "SUCCEEDED");
    let mut counts: Vec<(BuildState, String, u64)> =
        store.build_counts().expect("counts").into_iter().map(|c| (c.state, c.status, c.count)).collect();
    counts.sort_by(|a, b| (a.0.as_str(), &a.1).cmp(&(b.0.as_str(), &b.1)));
    let expected = [
        (BuildState::Done, "FAILED".to_string(), 2),
        (BuildState::Done, "SUCCEEDED".to_string(), 1),
        (BuildState::Queued, "IN_PROGRESS".to_string(), 1),
    ];
    assert_eq!(counts, expected);
}

pub fn idempotency_window_and_purge(store: &dyn Store) {
    create(store, "p");
    let record = |token: &str, hash: &str, build: &str, at: i64| IdempotencyRecord {
        token: token.to_string(),
        request_hash: hash.to_string(),
        build_id: build.to_string(),
        created_ms: at,
    };
    let first = record("t", "h1", "p:1", 1000);
    store.insert_build(&new_build("p:1", "p", 1000), &number_doc, Some(&first)).expect("insert");
    assert_eq!(store.find_idempotency("t", 1000).expect("find"), Some(first.clone()));
    assert_eq!(store.find_idempotency("t", 999).expect("find"), Some(first));
    assert_eq!(store.find_idempotency("t", 1001).expect("find"), None, "expired");
    assert_eq!(store.find_idempotency("T", 0).expect("find"), None, "tokens are case-sensitive");
    assert_eq!(store.find_idempotency("other", 0).expect("find"), None);

    // Reused after it expired: the new record replaces the old.
    let second = record("t", "h2", "p:2", 5000);
    store.insert_build(&new_build("p:2", "p", 5000), &number_doc, Some(&second)).expect("insert with a reused token");
    assert_eq!(store.find_idempotency("t", 0).expect("find"), Some(second));

    let third = record("u", "h3", "p:3", 7000);
    store.insert_build(&new_build("p:3", "p", 7000), &number_doc, Some(&third)).expect("insert");
    assert_eq!(store.purge_idempotency(6000).expect("purge"), 1);
    assert_eq!(store.find_idempotency("t", 0).expect("find"), None);
    assert_eq!(store.find_idempotency("u", 0).expect("find"), Some(third));
}

pub fn invalid_tokens_are_rejected(store: &dyn Store) {
    create(store, "p");
    create(store, "q");
    for id in ["p:1", "p:2", "q:1", "q:2"] {
        insert(store, id, &id[..1], 1);
    }
    let invalid = |what: &str, result: crate::Result<crate::Page<String>>| {
        assert!(matches!(result, Err(StoreError::InvalidToken(_))), "{what}: {result:?}");
    };
    for garbage in ["", "not a token", "zz", "00ff"] {
        for sort in [ProjectSort::Name, ProjectSort::Created, ProjectSort::Modified] {
            invalid("projects", store.list_projects(sort, Order::Ascending, Some(garbage), 1));
        }
        invalid("builds", store.list_builds(Order::Descending, Some(garbage), 1));
        invalid("project builds", store.list_builds_for_project("p", Order::Descending, Some(garbage), 1));
    }

    let next = |page: crate::Result<crate::Page<String>>| page.expect("first page").next.expect("a second page");
    let builds_token = next(store.list_builds(Order::Ascending, None, 1));
    invalid(
        "a list_builds token for one project",
        store.list_builds_for_project("p", Order::Ascending, Some(&builds_token), 1),
    );
    let p_token = next(store.list_builds_for_project("p", Order::Ascending, None, 1));
    invalid("p's token for q", store.list_builds_for_project("q", Order::Ascending, Some(&p_token), 1));
    invalid("p's token for the other order", store.list_builds_for_project("p", Order::Descending, Some(&p_token), 1));
    let by_name = next(store.list_projects(ProjectSort::Name, Order::Ascending, None, 1));
    invalid(
        "a by-name token for by-created",
        store.list_projects(ProjectSort::Created, Order::Ascending, Some(&by_name), 1),
    );
    // The genuine tokens do work where they came from.
    let page = store.list_builds_for_project("p", Order::Ascending, Some(&p_token), 1).expect("second page");
    assert_eq!(page.items, strings(&["p:2"]));
}

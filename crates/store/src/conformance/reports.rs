//! Conformance cases for report groups, reports and test cases.

use super::{all_pages, strings};
use crate::{
    GroupDeletion, Order, Page, ReportGroupRecord, ReportGroupSort, ReportQuery, ReportRecord, Result, Store,
    StoreError, TestCaseQuery, TestCaseRecord,
};

fn group(name: &str, created_ms: i64, modified_ms: i64) -> ReportGroupRecord {
    ReportGroupRecord {
        arn: group_arn(name),
        name: name.to_string(),
        project: None,
        created_ms,
        modified_ms,
        doc: format!(r#"{{"name":"{name}"}}"#),
    }
}

fn group_arn(name: &str) -> String {
    format!("arn:rg/{name}")
}

fn owned(name: &str, project: &str) -> ReportGroupRecord {
    ReportGroupRecord { project: Some(project.to_string()), ..group(name, 1, 1) }
}

fn create_group(store: &dyn Store, name: &str) {
    store.create_report_group(&group(name, 1, 1), 5).unwrap_or_else(|e| panic!("create group {name}: {e}"));
}

fn report(arn: &str, group: &str, status: &str, created_ms: i64) -> ReportRecord {
    ReportRecord {
        arn: arn.to_string(),
        group_arn: group_arn(group),
        execution_id: format!("build-of-{arn}"),
        status: status.to_string(),
        created_ms,
        doc: format!(r#"{{"arn":"{arn}"}}"#),
    }
}

/// A case to insert; `report_arn` and `seq` are deliberately wrong, since the store sets them.
fn case(prefix: &str, name: &str, status: &str) -> TestCaseRecord {
    TestCaseRecord {
        report_arn: "wrong".to_string(),
        seq: 99,
        prefix: prefix.to_string(),
        name: name.to_string(),
        status: status.to_string(),
        duration_ns: 7,
        message: (status != "SUCCEEDED").then(|| format!("{name} said no")),
        suite: "suite".to_string(),
        raw_path: "reports/junit.xml".to_string(),
    }
}

fn insert(store: &dyn Store, r: &ReportRecord, cases: &[TestCaseRecord]) {
    store.insert_report(r, cases).unwrap_or_else(|e| panic!("insert report {}: {e}", r.arn));
}

fn cases_of(store: &dyn Store, arn: &str) -> Vec<TestCaseRecord> {
    all_pages(100, |token, limit| store.list_test_cases(arn, &TestCaseQuery::default(), token, limit))
}

fn query(group: Option<&str>, status: Option<&str>) -> ReportQuery {
    ReportQuery { group_arn: group.map(group_arn), status: status.map(str::to_string) }
}

pub fn report_group_create_get_update_and_duplicate(store: &dyn Store) {
    let alpha = group("alpha", 10, 20);
    store.create_report_group(&alpha, 5).expect("create");
    assert_eq!(store.get_report_group(&alpha.arn).expect("get"), Some(alpha.clone()));
    assert_eq!(store.get_report_group("arn:rg/beta").expect("get"), None);

    let same_name = ReportGroupRecord { arn: "arn:other/alpha".to_string(), ..alpha.clone() };
    let same_arn = ReportGroupRecord { name: "other".to_string(), ..alpha.clone() };
    for dup in [same_name, same_arn] {
        assert!(matches!(store.create_report_group(&dup, 5), Err(StoreError::AlreadyExists(_))), "{dup:?}");
    }
    assert_eq!(store.get_report_group("arn:other/alpha").expect("get"), None);
    assert_eq!(store.get_report_group(&alpha.arn).expect("get"), Some(alpha.clone()), "a refused create changed it");

    let changed = ReportGroupRecord {
        name: "renamed".to_string(),
        project: Some("p".to_string()),
        created_ms: 999,
        modified_ms: 50,
        doc: "v2".to_string(),
        ..alpha.clone()
    };
    store.update_report_group(&changed).expect("update");
    let got = store.get_report_group(&alpha.arn).expect("get").expect("present");
    assert_eq!((got.name.as_str(), got.project.as_deref(), got.created_ms), ("alpha", None, 10), "fixed fields moved");
    assert_eq!((got.modified_ms, got.doc.as_str()), (50, "v2"));
    let missing = group("ghost", 1, 1);
    assert!(matches!(store.update_report_group(&missing), Err(StoreError::NotFound(_))));
    assert_eq!(store.get_report_group(&missing.arn).expect("get"), None, "update created a group");

    create_group(store, "beta");
    let asked = strings(&["arn:rg/beta", "arn:rg/nope", "arn:rg/alpha", "arn:rg/beta"]);
    let got: Vec<String> = store.get_report_groups(&asked).expect("get many").into_iter().map(|g| g.name).collect();
    assert_eq!(got, ["beta", "alpha"]);
    assert!(store.get_report_groups(&[]).expect("get none").is_empty());
}

pub fn report_group_limit_per_project(store: &dyn Store) {
    for i in 0..3 {
        store.create_report_group(&owned(&format!("p-{i}"), "p"), 3).expect("under the limit");
    }
    let fourth = owned("p-3", "p");
    assert!(matches!(store.create_report_group(&fourth, 3), Err(StoreError::LimitExceeded(_))));
    assert_eq!(store.get_report_group(&fourth.arn).expect("get"), None, "a refused group was stored");
    // A raised limit, another project, and groups of no project are not held back.
    store.create_report_group(&fourth, 4).expect("a higher limit");
    store.create_report_group(&owned("q-0", "q"), 1).expect("another project");
    store.create_report_group(&group("free", 1, 1), 0).expect("no project: no limit");
    assert!(matches!(store.create_report_group(&owned("q-1", "q"), 1), Err(StoreError::LimitExceeded(_))));
    // Deleting a group frees its place.
    assert_eq!(store.delete_report_group(&group_arn("q-0"), false).expect("delete"), GroupDeletion::Deleted);
    store.create_report_group(&owned("q-1", "q"), 1).expect("a freed place");
}

pub fn report_group_list_sorts_and_pages(store: &dyn Store) {
    // Ties on each time column, so the name must break them.
    let all = [
        group("delta", 1, 40),
        group("alpha", 2, 10),
        group("echo", 2, 30),
        group("bravo", 3, 10),
        group("charlie", 5, 20),
        group("foxtrot", 6, 50),
    ];
    for g in &all {
        store.create_report_group(g, 5).expect("create");
    }
    for sort in [ReportGroupSort::Name, ReportGroupSort::Created, ReportGroupSort::Modified] {
        let mut expected: Vec<&ReportGroupRecord> = all.iter().collect();
        expected.sort_by_key(|g| {
            let key = match sort {
                ReportGroupSort::Name => 0,
                ReportGroupSort::Created => g.created_ms,
                ReportGroupSort::Modified => g.modified_ms,
            };
            (key, g.name.clone())
        });
        let ascending: Vec<String> = expected.iter().map(|g| g.arn.clone()).collect();
        let descending: Vec<String> = ascending.iter().rev().cloned().collect();
        for (order, want) in [(Order::Ascending, &ascending), (Order::Descending, &descending)] {
            for limit in [1, 2, 4, 6, 100] {
                let got = all_pages(limit, |token, limit| store.list_report_groups(sort, order, token, limit));
                assert_eq!(&got, want, "{sort:?} {order:?} limit {limit}");
            }
        }
    }
    let empty = store.list_report_groups(ReportGroupSort::Name, Order::Ascending, None, 0).expect("limit 0");
    assert!(empty.items.is_empty() && empty.next.is_none());
}

pub fn report_insert_get_and_failures(store: &dyn Store) {
    let orphan = report("r-orphan", "ghost", "SUCCEEDED", 1);
    let result = store.insert_report(&orphan, &[case("p", "t", "SUCCEEDED")]);
    assert!(matches!(result, Err(StoreError::NotFound(_))), "{result:?}");
    assert_eq!(store.get_report("r-orphan").expect("get"), None);
    assert!(cases_of(store, "r-orphan").is_empty(), "the orphan's cases were stored");

    create_group(store, "g");
    let first = report("r-1", "g", "FAILED", 5);
    let cases = [case("pkg", "passes", "SUCCEEDED"), case("pkg", "fails", "FAILED")];
    insert(store, &first, &cases);
    assert_eq!(store.get_report("r-1").expect("get"), Some(first.clone()));
    let stored = cases_of(store, "r-1");
    assert_eq!(stored.len(), 2);
    for (i, (got, given)) in stored.iter().zip(&cases).enumerate() {
        let want =
            TestCaseRecord { report_arn: "r-1".to_string(), seq: i64::try_from(i).expect("small"), ..given.clone() };
        assert_eq!(got, &want);
    }

    let again = ReportRecord { status: "SUCCEEDED".to_string(), ..first.clone() };
    let duplicate = store.insert_report(&again, &[case("x", "extra", "SUCCEEDED")]);
    assert!(matches!(duplicate, Err(StoreError::AlreadyExists(_))), "{duplicate:?}");
    assert_eq!(store.get_report("r-1").expect("get"), Some(first), "the duplicate overwrote");
    assert_eq!(cases_of(store, "r-1").len(), 2, "the duplicate added test cases");

    insert(store, &report("r-2", "g", "SUCCEEDED", 6), &[]);
    let asked = strings(&["r-2", "missing", "r-1", "r-2"]);
    let got: Vec<String> = store.get_reports(&asked).expect("get many").into_iter().map(|r| r.arn).collect();
    assert_eq!(got, ["r-2", "r-1"]);
}

pub fn report_delete_drops_its_test_cases(store: &dyn Store) {
    create_group(store, "g");
    insert(store, &report("r-1", "g", "FAILED", 1), &[case("a", "one", "FAILED"), case("a", "two", "SUCCEEDED")]);
    insert(store, &report("r-2", "g", "SUCCEEDED", 2), &[case("b", "three", "SUCCEEDED")]);
    assert!(store.delete_report("r-1").expect("delete"));
    assert!(!store.delete_report("r-1").expect("delete again"));
    assert_eq!(store.get_report("r-1").expect("get"), None);
    assert!(cases_of(store, "r-1").is_empty(), "the deleted report's cases stayed");
    assert_eq!(cases_of(store, "r-2").len(), 1, "another report's cases went");
    // The ARN is free again.
    insert(store, &report("r-1", "g", "SUCCEEDED", 3), &[]);
    assert!(cases_of(store, "r-1").is_empty());
}

pub fn report_group_delete_needs_with_reports_and_cascades(store: &dyn Store) {
    create_group(store, "full");
    create_group(store, "empty");
    create_group(store, "other");
    insert(store, &report("r-1", "full", "FAILED", 1), &[case("a", "one", "FAILED")]);
    insert(store, &report("r-2", "full", "SUCCEEDED", 2), &[case("a", "two", "SUCCEEDED")]);
    insert(store, &report("r-3", "other", "SUCCEEDED", 3), &[case("b", "three", "SUCCEEDED")]);

    assert_eq!(store.delete_report_group(&group_arn("full"), false).expect("delete"), GroupDeletion::HasReports);
    assert!(store.get_report_group(&group_arn("full")).expect("get").is_some(), "refused, yet deleted");
    assert_eq!(store.get_reports(&strings(&["r-1", "r-2"])).expect("get").len(), 2);

    assert_eq!(store.delete_report_group(&group_arn("empty"), false).expect("delete"), GroupDeletion::Deleted);
    assert_eq!(store.delete_report_group(&group_arn("full"), true).expect("delete"), GroupDeletion::Deleted);
    assert_eq!(store.get_report_group(&group_arn("full")).expect("get"), None);
    assert!(store.get_reports(&strings(&["r-1", "r-2"])).expect("get").is_empty(), "its reports stayed");
    assert!(cases_of(store, "r-1").is_empty() && cases_of(store, "r-2").is_empty(), "its test cases stayed");
    assert!(store.get_report("r-3").expect("get").is_some(), "another group's report went");
    assert_eq!(cases_of(store, "r-3").len(), 1);
    let left =
        all_pages(10, |token, limit| store.list_reports(&ReportQuery::default(), Order::Ascending, token, limit));
    assert_eq!(left, strings(&["r-3"]));

    for with_reports in [false, true] {
        assert_eq!(store.delete_report_group(&group_arn("full"), with_reports).expect("delete"), GroupDeletion::Absent);
    }
}

pub fn report_list_filters_orders_and_pages(store: &dyn Store) {
    create_group(store, "a");
    create_group(store, "b");
    // (arn, group, status, created): ties on the time so the ARN must break them.
    let all = [
        ("r-5", "a", "FAILED", 30),
        ("r-1", "a", "SUCCEEDED", 10),
        ("r-3", "b", "SUCCEEDED", 10),
        ("r-2", "b", "FAILED", 20),
        ("r-4", "a", "SUCCEEDED", 20),
        ("r-6", "b", "SUCCEEDED", 40),
        ("r-0", "a", "INCOMPLETE", 50),
    ];
    for (arn, g, status, at) in all {
        insert(store, &report(arn, g, status, at), &[]);
    }
    for group in [None, Some("a"), Some("b"), Some("nobody")] {
        for status in [None, Some("SUCCEEDED"), Some("FAILED"), Some("GENERATING")] {
            let mut expected: Vec<(i64, &str)> = all
                .iter()
                .filter(|(_, g, s, _)| group.is_none_or(|want| want == *g) && status.is_none_or(|want| want == *s))
                .map(|(arn, _, _, at)| (*at, *arn))
                .collect();
            expected.sort_unstable();
            let ascending: Vec<String> = expected.iter().map(|(_, arn)| arn.to_string()).collect();
            let descending: Vec<String> = ascending.iter().rev().cloned().collect();
            let q = query(group, status);
            for (order, want) in [(Order::Ascending, &ascending), (Order::Descending, &descending)] {
                for limit in [1, 2, 3, 10] {
                    let got = all_pages(limit, |token, limit| store.list_reports(&q, order, token, limit));
                    assert_eq!(&got, want, "{group:?} {status:?} {order:?} limit {limit}");
                }
            }
        }
    }
}

pub fn test_cases_keep_order_filter_and_page(store: &dyn Store) {
    create_group(store, "g");
    let cases = [
        case("com.acme.Cart", "adds", "SUCCEEDED"),
        case("com.acme.Cart", "removes", "FAILED"),
        case("com.acme.Order", "ships", "SUCCEEDED"),
        case("com.acme.Order", "cart is empty", "ERROR"),
        case("com.acme.Pay", "pays", "SKIPPED"),
        case("com.acme.Pay", "refunds", "FAILED"),
        case("", "bare Cart", "UNKNOWN"),
    ];
    insert(store, &report("r", "g", "FAILED", 1), &cases);
    insert(store, &report("other", "g", "FAILED", 2), &[case("com.acme.Cart", "elsewhere", "FAILED")]);
    let names = |status: Option<&str>, keyword: Option<&str>, limit: usize| -> Vec<String> {
        let q = TestCaseQuery { status: status.map(str::to_string), keyword: keyword.map(str::to_string) };
        all_pages(limit, |token, limit| store.list_test_cases("r", &q, token, limit))
            .into_iter()
            .map(|c| c.name)
            .collect()
    };
    for limit in [1, 2, 3, 7, 100] {
        let all: Vec<String> = cases.iter().map(|c| c.name.clone()).collect();
        assert_eq!(names(None, None, limit), all, "limit {limit}");
        assert_eq!(names(Some("FAILED"), None, limit), strings(&["removes", "refunds"]), "limit {limit}");
        // The keyword matches the prefix or the name, case-sensitively.
        assert_eq!(names(None, Some("Cart"), limit), strings(&["adds", "removes", "bare Cart"]), "limit {limit}");
        assert_eq!(names(Some("FAILED"), Some("Cart"), limit), strings(&["removes"]), "limit {limit}");
    }
    assert_eq!(names(None, Some("cart"), 10), strings(&["cart is empty"]));
    assert!(names(Some("PASSED"), None, 10).is_empty());
    let seqs: Vec<i64> = cases_of(store, "r").iter().map(|c| c.seq).collect();
    assert_eq!(seqs, (0..7).collect::<Vec<i64>>());
    assert!(cases_of(store, "nowhere").is_empty());
}

pub fn report_tokens_are_scoped(store: &dyn Store) {
    create_group(store, "a");
    create_group(store, "b");
    for (arn, g, at) in [("r-1", "a", 1), ("r-2", "a", 2), ("r-3", "b", 3), ("r-4", "b", 4)] {
        let cases = [case("p", "one", "FAILED"), case("p", "two", "FAILED")];
        insert(store, &report(arn, g, "FAILED", at), &cases);
    }
    let invalid = |what: &str, result: Result<Page<String>>| {
        assert!(matches!(result, Err(StoreError::InvalidToken(_))), "{what}: {result:?}");
    };
    let next = |page: Result<Page<String>>| page.expect("first page").next.expect("a second page");
    let all = ReportQuery::default();
    let in_a = query(Some("a"), None);
    let failed = query(None, Some("FAILED"));
    for garbage in ["", "zz", "00ff", &hex::encode("r|a|1|no-bar")] {
        invalid("garbage", store.list_reports(&all, Order::Ascending, Some(garbage), 1));
    }
    let all_token = next(store.list_reports(&all, Order::Ascending, None, 1));
    invalid("an unfiltered token for group a", store.list_reports(&in_a, Order::Ascending, Some(&all_token), 1));
    invalid("an unfiltered token for FAILED", store.list_reports(&failed, Order::Ascending, Some(&all_token), 1));
    invalid("the other order", store.list_reports(&all, Order::Descending, Some(&all_token), 1));
    let a_token = next(store.list_reports(&in_a, Order::Ascending, None, 1));
    invalid("a's token for b", store.list_reports(&query(Some("b"), None), Order::Ascending, Some(&a_token), 1));
    let groups_token = next(store.list_report_groups(ReportGroupSort::Name, Order::Ascending, None, 1));
    invalid("a groups token for reports", store.list_reports(&all, Order::Ascending, Some(&groups_token), 1));
    let page = store.list_reports(&in_a, Order::Ascending, Some(&a_token), 1).expect("a's second page");
    assert_eq!(page.items, strings(&["r-2"]));

    let no_filter = TestCaseQuery::default();
    let case_token = store.list_test_cases("r-1", &no_filter, None, 1).expect("first page").next.expect("more");
    let invalid_cases = |what: &str, result: Result<Page<TestCaseRecord>>| {
        assert!(matches!(result, Err(StoreError::InvalidToken(_))), "{what}: {result:?}");
    };
    invalid_cases("r-1's token for r-2", store.list_test_cases("r-2", &no_filter, Some(&case_token), 1));
    let failed_cases = TestCaseQuery { status: Some("FAILED".to_string()), keyword: None };
    invalid_cases("other filters", store.list_test_cases("r-1", &failed_cases, Some(&case_token), 1));
    invalid_cases("a reports token", store.list_test_cases("r-1", &no_filter, Some(&all_token), 1));
    let rest = store.list_test_cases("r-1", &no_filter, Some(&case_token), 1).expect("second page");
    assert_eq!(rest.items.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["two"]);
    assert_eq!(rest.next, None);
}

pub fn purge_reports_by_creation_time(store: &dyn Store) {
    create_group(store, "g");
    for (arn, at) in [("old", 10), ("edge", 20), ("new", 30)] {
        insert(store, &report(arn, "g", "SUCCEEDED", at), &[case("p", arn, "SUCCEEDED")]);
    }
    assert_eq!(store.purge_reports(20).expect("purge"), 1);
    assert_eq!(store.get_report("old").expect("get"), None);
    assert!(cases_of(store, "old").is_empty(), "a purged report's cases stayed");
    let left =
        all_pages(10, |token, limit| store.list_reports(&ReportQuery::default(), Order::Ascending, token, limit));
    assert_eq!(left, strings(&["edge", "new"]));
    assert_eq!(store.purge_reports(0).expect("purge nothing"), 0);
    assert!(store.get_report_group(&group_arn("g")).expect("get").is_some(), "purging took the group");
}

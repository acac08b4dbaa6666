//! SQLite-specific checks: settings, schema versioning and query plans. Behaviour shared by
//! every store is in `conformance`.

use rusqlite::Connection;

use super::{
    STATEMENT_CACHE, SqliteStore, builds, events, lock, logs, parameters, projects, report_groups, reports, schema,
    secrets, webhooks,
};
use crate::{Order, ProjectSort, ReportGroupSort, StoreError};

fn plan(conn: &Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap_or_else(|e| panic!("{sql}: {e}"));
    // Plans do not depend on the values; NULL fills every parameter.
    let nulls = vec![rusqlite::types::Null; stmt.parameter_count()];
    stmt.query_map(rusqlite::params_from_iter(nulls), |row| row.get::<_, String>(3))
        .and_then(|rows| rows.collect())
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Every statement the store runs, with whether it continues after a paging key.
fn all_statements() -> Vec<String> {
    let mut sql: Vec<String> = [
        projects::CREATE,
        projects::UPDATE,
        projects::DELETE,
        projects::GET,
        builds::PROJECT_EXISTS,
        builds::NEXT_NUMBER,
        builds::INSERT,
        builds::REMEMBER_TOKEN,
        builds::GET,
        builds::UPDATE,
        builds::STATE_OF,
        builds::DELETE,
        builds::IN_STATE,
        builds::COUNT_IN_STATE,
        builds::ACTIVE_COUNT,
        builds::FIND_TOKEN,
        builds::PURGE_TOKENS,
        logs::BUILD_EXISTS,
        logs::LEN,
        logs::SPOOLED_END,
        logs::INSERT,
        parameters::LATEST,
        parameters::SET_LATEST,
        parameters::INSERT_VERSION,
        parameters::PRUNE,
        parameters::GET_VERSION,
        parameters::GET_LATEST,
        parameters::DELETE,
        secrets::NAME_OR_ARN_TAKEN,
        secrets::INSERT,
        secrets::GET,
        secrets::GET_BY_ARN,
        secrets::UPDATE,
        secrets::TOUCH,
        secrets::DELETE,
        secrets::VERSIONS,
        secrets::STAGES,
        secrets::VERSION_EXISTS,
        secrets::NEXT_SEQ,
        secrets::INSERT_VERSION,
        secrets::STAGE_HOLDER,
        secrets::SET_STAGE,
        secrets::UNLABELLED,
        secrets::DELETE_VERSION,
        report_groups::NAME_OR_ARN_TAKEN,
        report_groups::COUNT_OF_PROJECT,
        report_groups::INSERT,
        report_groups::UPDATE,
        report_groups::GET,
        report_groups::EXISTS,
        report_groups::HAS_REPORTS,
        report_groups::DELETE,
        reports::EXISTS,
        reports::INSERT,
        reports::INSERT_CASE,
        reports::GET,
        reports::DELETE,
        reports::PURGE,
        events::UPSERT_RULE,
        events::UPDATE_RULE,
        events::GET_RULE,
        events::DELETE_RULE,
        events::ENABLED_RULES,
        events::COUNT_TARGETS,
        events::UPSERT_TARGET,
        events::DELETE_TARGET,
        events::INSERT_INVOCATION,
        events::PRUNE_INVOCATIONS,
        events::INVOCATIONS_BEFORE,
        webhooks::PROJECT_EXISTS,
        webhooks::TAKEN,
        webhooks::INSERT,
        webhooks::UPDATE,
        webhooks::GET,
        webhooks::GET_BY_TOKEN,
        webhooks::DELETE,
        webhooks::CLAIMED_BY,
        webhooks::DELIVERY_EXISTS,
        webhooks::INSERT_DELIVERY,
        webhooks::PRUNE_DELIVERIES,
        webhooks::SET_OUTCOME,
        webhooks::LIST_DELIVERIES,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for order in [Order::Ascending, Order::Descending] {
        for after in [false, true] {
            for sort in [ProjectSort::Name, ProjectSort::Created, ProjectSort::Modified] {
                sql.push(projects::list_sql(sort, order, after));
            }
            sql.push(builds::list_sql(order, after));
            sql.push(builds::list_for_project_sql(order, after));
            for sort in [ReportGroupSort::Name, ReportGroupSort::Created, ReportGroupSort::Modified] {
                sql.push(report_groups::list_sql(sort, order, after));
            }
            for (group, status) in [(false, false), (true, false), (false, true), (true, true)] {
                sql.push(reports::list_sql(group, status, order, after));
            }
        }
    }
    for (status, keyword) in [(false, false), (true, false), (false, true), (true, true)] {
        sql.push(reports::cases_sql(status, keyword));
    }
    sql.push(logs::read_sql(true).to_string());
    sql.push(logs::read_sql(false).to_string());
    for after in [false, true] {
        sql.push(parameters::list_sql(after));
        sql.push(events::list_rules_sql(after));
        sql.push(events::list_targets_sql(after));
        for scheduled in [false, true] {
            sql.push(secrets::list_sql(scheduled, after));
        }
    }
    sql
}

/// Plan steps that read more than the rows asked for: sorting in a temporary b-tree, or a
/// scan that is not an ordered index walk (or a walk of a subquery, whose own steps are
/// checked too) stopped by a `LIMIT`.
fn unindexed_steps(conn: &Connection, sql: &str) -> Vec<String> {
    plan(conn, sql)
        .into_iter()
        .filter(|step| {
            let bounded_walk = (step.contains("INDEX") || step.starts_with("SCAN (subquery")) && sql.contains("LIMIT");
            step.contains("TEMP B-TREE") || (step.starts_with("SCAN") && !bounded_walk)
        })
        .collect()
}

/// Listing page 1000 costs what page 1 costs, and no lookup grows with the table.
#[test]
fn every_statement_is_indexed() {
    let store = SqliteStore::open_in_memory().expect("open");
    let conn = lock(&store.writer);
    for sql in all_statements() {
        let bad = unindexed_steps(&conn, &sql);
        assert!(bad.is_empty(), "{sql}\n  {bad:?}");
    }
    // The check itself catches a sort and a scan.
    let sorts = "SELECT id FROM builds ORDER BY doc LIMIT 5";
    assert!(!unindexed_steps(&conn, sorts).is_empty());
    let scans = "SELECT COUNT(*) FROM builds WHERE stop_requested = 1";
    assert!(!unindexed_steps(&conn, scans).is_empty());
    let unbounded = "SELECT COUNT(*) FROM (SELECT 1 FROM builds WHERE stop_requested = 1)";
    assert!(!unindexed_steps(&conn, unbounded).is_empty());
}

#[test]
fn the_statement_cache_holds_every_statement() {
    let count = all_statements().len();
    assert!(count <= STATEMENT_CACHE, "{count} statements, room for {STATEMENT_CACHE}");
}

#[test]
fn cached_statements_are_not_prepared_again() {
    let store = SqliteStore::open_in_memory().expect("open");
    let conn = lock(&store.writer);
    let reads: Vec<String> =
        all_statements().into_iter().filter(|sql| sql.trim_start().starts_with("SELECT")).collect();
    assert!(reads.len() > 20, "{} reads", reads.len());
    for sql in &reads {
        for _ in 0..3 {
            let mut stmt = conn.prepare_cached(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
            // 1 fits every parameter: ids, times, limits, JSON arrays of ids.
            let ones = vec![1; stmt.parameter_count()];
            let mut rows = stmt.query(rusqlite::params_from_iter(ones)).unwrap_or_else(|e| panic!("{sql}: {e}"));
            while rows.next().unwrap_or_else(|e| panic!("{sql}: {e}")).is_some() {}
            drop(rows);
            // Returned to the cache, which clears its bindings, then taken out again.
            let reprepared = stmt.get_status(rusqlite::StatementStatus::RePrepare);
            assert_eq!(reprepared, 0, "prepared again on each use: {sql}");
        }
    }
}

#[test]
fn paging_keys_and_active_count_search_their_indexes() {
    let store = SqliteStore::open_in_memory().expect("open");
    let conn = lock(&store.writer);
    let expect = |sql: String, wanted: &str| {
        let steps = plan(&conn, &sql);
        assert!(steps.iter().any(|s| s.starts_with("SEARCH") && s.contains(wanted)), "{sql}\n  plan: {steps:?}");
    };
    for order in [Order::Ascending, Order::Descending] {
        expect(builds::list_sql(order, true), "builds_submitted_id");
        expect(builds::list_for_project_sql(order, true), "builds_project_number");
        expect(projects::list_sql(ProjectSort::Created, order, true), "projects_created");
        expect(projects::list_sql(ProjectSort::Modified, order, true), "projects_modified");
    }
    for order in [Order::Ascending, Order::Descending] {
        expect(report_groups::list_sql(ReportGroupSort::Created, order, true), "report_groups_created");
        expect(report_groups::list_sql(ReportGroupSort::Modified, order, true), "report_groups_modified");
        expect(reports::list_sql(false, false, order, true), "reports_created");
        expect(reports::list_sql(true, false, order, true), "reports_group_created");
        expect(reports::list_sql(false, true, order, true), "reports_status_created");
        expect(reports::list_sql(true, true, order, true), "reports_group_status_created");
    }
    expect(report_groups::COUNT_OF_PROJECT.to_string(), "report_groups_project");
    expect(reports::cases_sql(true, true), "PRIMARY KEY");
    expect(builds::ACTIVE_COUNT.to_string(), "builds_active");
    expect(webhooks::CLAIMED_BY.to_string(), "webhook_deliveries_claimed");
    expect(webhooks::LIST_DELIVERIES.to_string(), "webhook_deliveries_project");
    expect(builds::IN_STATE.to_string(), "builds_state_submitted");
    expect(builds::COUNT_IN_STATE.to_string(), "builds_state_submitted");
    expect(logs::read_sql(false).to_string(), "sqlite_autoindex_log_chunks_1");
    expect(logs::read_sql(true).to_string(), "sqlite_autoindex_log_chunks_1");
    expect(parameters::list_sql(true), "PRIMARY KEY");
    expect(secrets::list_sql(false, true), "sqlite_autoindex_secrets_1");
}

#[test]
fn file_store_is_wal_with_full_sync_and_foreign_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("kiln.db")).expect("open");
    let conn = lock(&store.writer);
    let pragma = |name: &str| -> String {
        conn.query_row(&format!("PRAGMA {name}"), [], |row| row.get::<_, rusqlite::types::Value>(0))
            .map(|v| format!("{v:?}"))
            .expect(name)
    };
    assert_eq!(pragma("journal_mode"), "Text(\"wal\")");
    // 2 = FULL: the WAL is fsynced at every commit.
    assert_eq!(pragma("synchronous"), "Integer(2)");
    assert_eq!(pragma("foreign_keys"), "Integer(1)");
    assert_eq!(pragma("user_version"), format!("Integer({})", schema::latest_version()));
    drop(conn);
    for reader in &store.readers {
        let reader = lock(reader);
        let query_only: i64 = reader.query_row("PRAGMA query_only", [], |row| row.get(0)).expect("query_only");
        assert_eq!(query_only, 1);
    }
}

#[test]
fn unflushed_progress_leaves_the_writer_fsyncing_and_is_kept() {
    use crate::{BuildRecord, BuildState, LogLines, ProjectRecord, Store};
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("kiln.db");
    let store = SqliteStore::open(&path).expect("open");
    let project = ProjectRecord { name: "p".into(), created_ms: 1, modified_ms: 1, doc: "{}".into() };
    store.create_project(&project).expect("project");
    let record = BuildRecord {
        id: "p:1".into(),
        project: "p".into(),
        number: 0,
        state: BuildState::Queued,
        submitted_ms: 1,
        stop_requested: false,
        doc: "{}".into(),
        settings: "{}".into(),
    };
    store.insert_build(&record, &|_| "{}".into(), None).expect("insert");
    store.update_build("p:1", &mut |r| r.state = BuildState::Running).expect("claim");
    store.record_progress("p:1", &mut |doc| *doc = "in BUILD".into()).expect("progress");
    store.append_log_lines("p:1", &[LogLines::inline(2, 2, "line\n")]).expect("log lines");
    let synchronous: i64 =
        lock(&store.writer).query_row("PRAGMA synchronous", [], |row| row.get(0)).expect("synchronous");
    assert_eq!(synchronous, 2, "the writer must be back to FULL after a progress write");
    drop(store);
    let store = SqliteStore::open(&path).expect("reopen");
    let stored = store.get_build("p:1").expect("get").expect("stored");
    assert_eq!((stored.state, stored.doc.as_str()), (BuildState::Running, "in BUILD"));
    assert_eq!(store.log_len("p:1").expect("log length"), 1);
}

#[test]
fn open_creates_missing_parent_directories() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("a").join("b").join("kiln.db");
    SqliteStore::open(&path).expect("open");
    assert!(path.is_file());
}

#[test]
fn reopening_keeps_the_version_and_refuses_a_newer_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("kiln.db");
    drop(SqliteStore::open(&path).expect("first open"));
    drop(SqliteStore::open(&path).expect("second open migrates nothing"));

    let conn = Connection::open(&path).expect("raw open");
    conn.pragma_update(None, "user_version", schema::latest_version() + 1).expect("bump version");
    drop(conn);
    match SqliteStore::open(&path) {
        Err(StoreError::Backend(msg)) => assert!(msg.contains("schema version"), "{msg}"),
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("opened a database from the future"),
    }
}

#[test]
fn logs_of_one_row_per_event_become_chunks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("kiln.db");
    let conn = Connection::open(&path).expect("raw open");
    // A database as version 6 left it: one log_events row per event.
    for step in &schema::MIGRATIONS[..6] {
        conn.execute_batch(step).expect("old step");
    }
    conn.pragma_update(None, "user_version", 6).expect("version");
    conn.execute_batch(
        "INSERT INTO builds (id, project, number, state, submitted_ms, doc) VALUES ('p:1', 'p', 1, 'DONE', 5, '{}');
         INSERT INTO log_events VALUES ('p:1', 0, 10, 11, 'first\n'), ('p:1', 1, 12, 13, 'two\nlines\n');",
    )
    .expect("old rows");
    drop(conn);

    let store = SqliteStore::open(&path).expect("migrate");
    let q = crate::LogQuery { from: None, forward: true, limit: 10, start_ms: None, end_ms: None };
    let events = crate::Store::read_log(&store, "p:1", &q).expect("read");
    let messages: Vec<(i64, i64, &str)> = events.iter().map(|e| (e.seq, e.timestamp_ms, e.message.as_str())).collect();
    assert_eq!(messages, [(0, 10, "first\n"), (1, 12, "two\nlines\n")]);
    assert_eq!(crate::Store::append_log_lines(&store, "p:1", &[]).expect("len"), 2);
}

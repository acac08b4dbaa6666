//! The behaviour every [`Store`] must have, as a test suite any implementation can run.
//!
//! Each case takes a fresh, empty store and panics when the store misbehaves. `CASES` lists
//! them all; `run_all` runs them in turn. A backend's test file runs each case as its own test
//! so a failure names the case (see `tests/sqlite_conformance.rs`).

mod builds;
mod events;
mod log_search;
mod logs;
mod parameters;
mod projects;
mod reports;
mod secrets;
mod webhooks;

pub use builds::*;
pub use events::*;
pub use log_search::*;
pub use logs::*;
pub use parameters::*;
pub use projects::*;
pub use reports::*;
pub use secrets::*;
pub use webhooks::*;

use crate::{BuildRecord, BuildState, Page, ProjectRecord, Result, Store};

/// A conformance case: gets a fresh, empty store.
pub type Case = fn(&dyn Store);

/// Every case, by name.
pub const CASES: &[(&str, Case)] = &[
    ("project_create_get_and_duplicate", project_create_get_and_duplicate),
    ("project_update", project_update),
    ("project_delete_keeps_builds", project_delete_keeps_builds),
    ("project_get_many", project_get_many),
    ("project_list_sorts_and_pages", project_list_sorts_and_pages),
    ("build_numbers_count_per_project", build_numbers_count_per_project),
    ("build_numbers_never_reused", build_numbers_never_reused),
    ("build_numbers_unique_under_concurrency", build_numbers_unique_under_concurrency),
    ("build_insert_failures_store_nothing", build_insert_failures_store_nothing),
    ("get_builds_order_missing_duplicates", get_builds_order_missing_duplicates),
    ("update_build_changes_only_mutable_fields", update_build_changes_only_mutable_fields),
    ("update_build_is_atomic", update_build_is_atomic),
    ("delete_builds_reports_deleted_and_drops_logs", delete_builds_reports_deleted_and_drops_logs),
    ("list_builds_pages_by_submission_time", list_builds_pages_by_submission_time),
    ("list_builds_for_project_pages_by_number", list_builds_for_project_pages_by_number),
    ("builds_in_state_oldest_first", builds_in_state_oldest_first),
    ("builds_in_state_counted_up_to_a_cap", builds_in_state_counted_up_to_a_cap),
    ("record_progress_changes_only_running_builds", record_progress_changes_only_running_builds),
    ("active_builds_counted_per_project", active_builds_counted_per_project),
    ("build_counts_by_state_and_status", build_counts_by_state_and_status),
    ("idempotency_window_and_purge", idempotency_window_and_purge),
    ("invalid_tokens_are_rejected", invalid_tokens_are_rejected),
    ("log_append_numbers_continuously", log_append_numbers_continuously),
    ("log_read_forward_and_backward", log_read_forward_and_backward),
    ("log_time_filters", log_time_filters),
    ("log_groups_and_streams_are_builds_with_logs", log_groups_and_streams_are_builds_with_logs),
    ("log_scan_interleaves_by_time_and_resumes", log_scan_interleaves_by_time_and_resumes),
    ("log_lines_are_one_event_per_line", log_lines_are_one_event_per_line),
    ("log_spooled_lines_read_like_inline_ones", log_spooled_lines_read_like_inline_ones),
    ("log_scan_resumes_inside_a_batch_of_lines", log_scan_resumes_inside_a_batch_of_lines),
    ("parameter_versions_count_and_overwrite_is_required", parameter_versions_count_and_overwrite_is_required),
    ("parameter_values_are_bytes", parameter_values_are_bytes),
    ("parameter_old_versions_are_dropped", parameter_old_versions_are_dropped),
    ("parameter_delete_reports_deleted_and_restarts_versions", parameter_delete_reports_deleted_and_restarts_versions),
    ("parameter_list_by_prefix_pages_latest_versions", parameter_list_by_prefix_pages_latest_versions),
    ("secret_create_get_by_name_and_arn", secret_create_get_by_name_and_arn),
    ("secret_stages_move_and_current_becomes_previous", secret_stages_move_and_current_becomes_previous),
    ("secret_unlabelled_versions_are_dropped", secret_unlabelled_versions_are_dropped),
    ("secret_update_delete_and_list", secret_update_delete_and_list),
    ("report_group_create_get_update_and_duplicate", report_group_create_get_update_and_duplicate),
    ("report_group_limit_per_project", report_group_limit_per_project),
    ("report_group_list_sorts_and_pages", report_group_list_sorts_and_pages),
    ("report_insert_get_and_failures", report_insert_get_and_failures),
    ("report_delete_drops_its_test_cases", report_delete_drops_its_test_cases),
    ("report_group_delete_needs_with_reports_and_cascades", report_group_delete_needs_with_reports_and_cascades),
    ("report_list_filters_orders_and_pages", report_list_filters_orders_and_pages),
    ("test_cases_keep_order_filter_and_page", test_cases_keep_order_filter_and_page),
    ("report_tokens_are_scoped", report_tokens_are_scoped),
    ("purge_reports_by_creation_time", purge_reports_by_creation_time),
    (
        "event_rule_put_replaces_and_keeps_created_time_and_targets",
        event_rule_put_replaces_and_keeps_created_time_and_targets,
    ),
    ("event_rule_update_never_creates", event_rule_update_never_creates),
    ("event_rule_delete_needs_no_targets", event_rule_delete_needs_no_targets),
    ("event_rule_list_by_prefix_pages_and_enabled_rules", event_rule_list_by_prefix_pages_and_enabled_rules),
    ("event_targets_replace_by_id_and_respect_the_limit", event_targets_replace_by_id_and_respect_the_limit),
    ("event_invocations_newest_first_and_pruned", event_invocations_newest_first_and_pruned),
    ("webhook_create_get_update_and_delete", webhook_create_get_update_and_delete),
    ("webhook_tokens_are_unique_and_go_with_their_project", webhook_tokens_are_unique_and_go_with_their_project),
    ("delivery_ids_are_claimed_once_per_project", delivery_ids_are_claimed_once_per_project),
    ("delivery_claims_hold_under_concurrency", delivery_claims_hold_under_concurrency),
    ("deliveries_list_newest_first_and_are_pruned", deliveries_list_newest_first_and_are_pruned),
];

/// Runs every case, each against a store from `make`.
pub fn run_all(make: &dyn Fn() -> Box<dyn Store>) {
    for (name, case) in CASES {
        // Names the case when it panics: the panic message alone may not.
        eprintln!("conformance: {name}");
        let store = make();
        case(store.as_ref());
    }
}

// ---- helpers shared by the cases ----

fn project(name: &str, created_ms: i64, modified_ms: i64) -> ProjectRecord {
    ProjectRecord { name: name.to_string(), created_ms, modified_ms, doc: format!(r#"{{"name":"{name}"}}"#) }
}

/// A build to insert; `number` is deliberately wrong, since the store must assign it.
fn new_build(id: &str, project: &str, submitted_ms: i64) -> BuildRecord {
    BuildRecord {
        id: id.to_string(),
        project: project.to_string(),
        number: -7,
        state: BuildState::Queued,
        submitted_ms,
        stop_requested: false,
        doc: "ignored".to_string(),
        settings: format!("{{\"of\":\"{id}\"}}"),
    }
}

fn number_doc(n: i64) -> String {
    format!(r#"{{"buildNumber":{n}}}"#)
}

fn insert(store: &dyn Store, id: &str, project: &str, submitted_ms: i64) -> BuildRecord {
    store
        .insert_build(&new_build(id, project, submitted_ms), &number_doc, None)
        .unwrap_or_else(|e| panic!("insert_build {id}: {e}"))
}

fn create(store: &dyn Store, name: &str) {
    store.create_project(&project(name, 1, 1)).unwrap_or_else(|e| panic!("create_project {name}: {e}"));
}

/// Follows `next` tokens to the end, checking that every page but the last is full.
fn all_pages<T: std::fmt::Debug>(limit: usize, fetch: impl Fn(Option<&str>, usize) -> Result<Page<T>>) -> Vec<T> {
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..10_000 {
        let page = fetch(token.as_deref(), limit).expect("list page");
        assert!(page.items.len() <= limit, "page larger than {limit}");
        if page.next.is_some() {
            assert_eq!(page.items.len(), limit, "a page before the last is short");
        }
        items.extend(page.items);
        match page.next {
            Some(next) => token = Some(next),
            None => return items,
        }
    }
    panic!("paging never ended");
}

fn ids(builds: &[BuildRecord]) -> Vec<&str> {
    builds.iter().map(|b| b.id.as_str()).collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

//! The conformance suite against SQLite, in memory and in a file, one test per case.

use kiln_store::conformance::{self, CASES};
use kiln_store::{SqliteStore, Store};

fn in_memory(case: conformance::Case) {
    let store = SqliteStore::open_in_memory().expect("open in memory");
    case(&store);
}

fn in_file(case: conformance::Case) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("kiln.db")).expect("open file");
    case(&store);
}

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(#[test] fn $name() { super::in_memory(kiln_store::conformance::$name); })*
        }
        mod file {
            $(#[test] fn $name() { super::in_file(kiln_store::conformance::$name); })*
        }
        const LISTED: &[&str] = &[$(stringify!($name)),*];
    };
}

cases!(
    project_create_get_and_duplicate,
    project_update,
    project_delete_keeps_builds,
    project_get_many,
    project_list_sorts_and_pages,
    build_numbers_count_per_project,
    build_numbers_never_reused,
    build_numbers_unique_under_concurrency,
    build_insert_failures_store_nothing,
    get_builds_order_missing_duplicates,
    update_build_changes_only_mutable_fields,
    update_build_is_atomic,
    delete_builds_reports_deleted_and_drops_logs,
    list_builds_pages_by_submission_time,
    list_builds_for_project_pages_by_number,
    builds_in_state_oldest_first,
    builds_in_state_counted_up_to_a_cap,
    record_progress_changes_only_running_builds,
    active_builds_counted_per_project,
    build_counts_by_state_and_status,
    idempotency_window_and_purge,
    invalid_tokens_are_rejected,
    log_append_numbers_continuously,
    log_read_forward_and_backward,
    log_time_filters,
    log_groups_and_streams_are_builds_with_logs,
    log_scan_interleaves_by_time_and_resumes,
    log_lines_are_one_event_per_line,
    log_spooled_lines_read_like_inline_ones,
    log_scan_resumes_inside_a_batch_of_lines,
    parameter_versions_count_and_overwrite_is_required,
    parameter_values_are_bytes,
    parameter_old_versions_are_dropped,
    parameter_delete_reports_deleted_and_restarts_versions,
    parameter_list_by_prefix_pages_latest_versions,
    secret_create_get_by_name_and_arn,
    secret_stages_move_and_current_becomes_previous,
    secret_unlabelled_versions_are_dropped,
    secret_update_delete_and_list,
    report_group_create_get_update_and_duplicate,
    report_group_limit_per_project,
    report_group_list_sorts_and_pages,
    report_insert_get_and_failures,
    report_delete_drops_its_test_cases,
    report_group_delete_needs_with_reports_and_cascades,
    report_list_filters_orders_and_pages,
    test_cases_keep_order_filter_and_page,
    report_tokens_are_scoped,
    purge_reports_by_creation_time,
    event_rule_put_replaces_and_keeps_created_time_and_targets,
    event_rule_update_never_creates,
    event_rule_delete_needs_no_targets,
    event_rule_list_by_prefix_pages_and_enabled_rules,
    event_targets_replace_by_id_and_respect_the_limit,
    event_invocations_newest_first_and_pruned,
    webhook_create_get_update_and_delete,
    webhook_tokens_are_unique_and_go_with_their_project,
    delivery_ids_are_claimed_once_per_project,
    delivery_claims_hold_under_concurrency,
    deliveries_list_newest_first_and_are_pruned,
);

/// A case added to the suite but not to the list above would silently not run per backend.
#[test]
fn every_case_is_listed() {
    let mut listed: Vec<&str> = LISTED.to_vec();
    let mut known: Vec<&str> = CASES.iter().map(|(name, _)| *name).collect();
    listed.sort_unstable();
    known.sort_unstable();
    assert_eq!(listed, known);
}

#[test]
fn run_all_runs_against_fresh_stores() {
    conformance::run_all(&|| -> Box<dyn Store> { Box::new(SqliteStore::open_in_memory().expect("open in memory")) });
}

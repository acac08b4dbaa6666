//! The report operations end to end over an in-memory store, with reports seeded through
//! `record_report` as the executor will.

use kiln_model::codebuild::*;

use super::NewReport;
use crate::testing::api;
use crate::{Api, ApiError};

const ARN_PREFIX: &str = "arn:aws:codebuild:us-east-1:000000000000";

fn no_export() -> ReportExportConfig {
    ReportExportConfig { export_config_type: Some(ReportExportConfigType::NoExport), ..Default::default() }
}

fn create_group(api: &Api, name: &str) -> ReportGroup {
    let input = CreateReportGroupInput {
        name: Some(name.to_string()),
        r#type: Some(ReportType::Test),
        export_config: Some(no_export()),
        tags: None,
    };
    api.create_report_group(input).expect("create report group").report_group.expect("group")
}

fn case(name: &str, status: &str, duration_ns: i64) -> TestCase {
    TestCase {
        prefix: Some("com.acme.Suite".to_string()),
        name: Some(name.to_string()),
        status: Some(status.to_string()),
        duration_in_nano_seconds: Some(duration_ns),
        message: (status != "SUCCEEDED").then(|| format!("{name}: expected 1, got 2")),
        test_suite_name: Some("Suite".to_string()),
        ..Default::default()
    }
}

fn new_report(project: &str, uuid: &str, group: &str, cases: Vec<TestCase>) -> NewReport {
    NewReport {
        project_name: project.to_string(),
        build_id: format!("{project}:{uuid}"),
        group: group.to_string(),
        status: ReportStatusType::Succeeded,
        test_cases: cases,
        raw_paths: vec!["reports/junit.xml".to_string()],
    }
}

fn record(api: &Api, project: &str, uuid: &str, group: &str, cases: Vec<TestCase>) -> String {
    api.record_report(new_report(project, uuid, group, cases)).expect("record report")
}

fn get_report(api: &Api, arn: &str) -> Report {
    let out = api.batch_get_reports(BatchGetReportsInput { report_arns: Some(vec![arn.to_string()]) }).expect("get");
    out.reports.and_then(|r| r.into_iter().next()).expect("the report")
}

fn code(result: Result<impl std::fmt::Debug, ApiError>) -> &'static str {
    match result {
        Ok(out) => panic!("expected an error, got {out:?}"),
        Err(e) => e.code(),
    }
}

/// Times are kept in milliseconds: waits for the next one, so that what is made next sorts
/// after what was made before.
fn tick() {
    let start = crate::now_ms();
    while crate::now_ms() == start {
        std::hint::spin_loop();
    }
}

fn group_arn(name: &str) -> String {
    format!("{ARN_PREFIX}:report-group/{name}")
}

// ---- report groups ----

#[test]
fn create_report_group_fills_the_group_and_refuses_duplicates() {
    let api = api();
    let group = create_group(&api, "unit-tests");
    assert_eq!(group.arn.as_deref(), Some(group_arn("unit-tests").as_str()));
    assert_eq!(group.name.as_deref(), Some("unit-tests"));
    assert_eq!(group.r#type, Some(ReportType::Test));
    assert_eq!(group.status, Some(ReportGroupStatusType::Active));
    assert_eq!(group.export_config, Some(no_export()));
    assert_eq!(group.tags, Some(Vec::new()));
    assert!(group.created.is_some() && group.created == group.last_modified);

    let again = api.create_report_group(CreateReportGroupInput {
        name: Some("unit-tests".to_string()),
        r#type: Some(ReportType::Test),
        export_config: Some(no_export()),
        tags: None,
    });
    assert_eq!(code(again), "ResourceAlreadyExistsException");
}

#[test]
fn create_report_group_validates_its_input() {
    let api = api();
    let valid = CreateReportGroupInput {
        name: Some("ok-name".to_string()),
        r#type: Some(ReportType::Test),
        export_config: Some(no_export()),
        tags: None,
    };
    let s3_without_bucket = ReportExportConfig {
        export_config_type: Some(ReportExportConfigType::S3),
        s3_destination: Some(S3ReportExportConfig { path: Some("p".to_string()), ..Default::default() }),
    };
    let cases = [
        ("name too short", CreateReportGroupInput { name: Some("a".to_string()), ..valid.clone() }, "'name'"),
        ("name too long", CreateReportGroupInput { name: Some("a".repeat(129)), ..valid.clone() }, "'name'"),
        ("no type", CreateReportGroupInput { r#type: None, ..valid.clone() }, "'type'"),
        ("no export config", CreateReportGroupInput { export_config: None, ..valid.clone() }, "'exportConfig'"),
        (
            "no export type",
            CreateReportGroupInput { export_config: Some(ReportExportConfig::default()), ..valid.clone() },
            "exportConfigType",
        ),
        (
            "S3 without a bucket",
            CreateReportGroupInput { export_config: Some(s3_without_bucket), ..valid.clone() },
            "s3Destination.bucket",
        ),
    ];
    for (what, input, fragment) in cases {
        match api.create_report_group(input) {
            Err(ApiError::InvalidInput(msg)) => assert!(msg.contains(fragment), "{what}: {msg}"),
            other => panic!("{what}: {other:?}"),
        }
    }
    let listed = api.list_report_groups(ListReportGroupsInput::default()).expect("list");
    assert_eq!(listed.report_groups, Some(Vec::new()), "a refused group was stored");
    api.create_report_group(valid).expect("the valid input");
}

#[test]
fn update_report_group_replaces_what_is_given() {
    let api = api();
    let created = create_group(&api, "g1");
    let arn = group_arn("g1");
    let tags = vec![Tag { key: Some("team".to_string()), value: Some("core".to_string()) }];
    let s3 = ReportExportConfig {
        export_config_type: Some(ReportExportConfigType::S3),
        s3_destination: Some(S3ReportExportConfig { bucket: Some("reports".to_string()), ..Default::default() }),
    };
    let updated = api
        .update_report_group(UpdateReportGroupInput {
            arn: Some(arn.clone()),
            export_config: Some(s3.clone()),
            tags: Some(tags.clone()),
        })
        .expect("update")
        .report_group
        .expect("group");
    assert_eq!(updated.tags, Some(tags.clone()));
    assert_eq!(updated.export_config, Some(s3.clone()));
    assert_eq!(updated.created, created.created);
    assert!(updated.last_modified >= created.last_modified);

    // Members left out stay.
    let untouched = api
        .update_report_group(UpdateReportGroupInput { arn: Some(arn.clone()), ..Default::default() })
        .expect("update nothing")
        .report_group
        .expect("group");
    assert_eq!((untouched.tags, untouched.export_config), (Some(tags), Some(s3)));
    let stored = api
        .batch_get_report_groups(BatchGetReportGroupsInput { report_group_arns: Some(vec![arn]) })
        .expect("get")
        .report_groups
        .expect("groups");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].export_config.as_ref().and_then(|c| c.export_config_type), Some(ReportExportConfigType::S3));

    let missing =
        api.update_report_group(UpdateReportGroupInput { arn: Some(group_arn("ghost")), ..Default::default() });
    assert_eq!(code(missing), "ResourceNotFoundException");
    let bad = api.update_report_group(UpdateReportGroupInput {
        arn: Some(group_arn("g1")),
        export_config: Some(ReportExportConfig::default()),
        tags: None,
    });
    assert_eq!(code(bad), "InvalidInputException");
}

#[test]
fn batch_get_report_groups_lists_the_unknown() {
    let api = api();
    create_group(&api, "g1");
    create_group(&api, "g2");
    let asked = vec![group_arn("g2"), group_arn("nope"), group_arn("g1"), "not-an-arn".to_string(), group_arn("nope")];
    let out = api.batch_get_report_groups(BatchGetReportGroupsInput { report_group_arns: Some(asked) }).expect("get");
    let names: Vec<String> = out.report_groups.unwrap_or_default().into_iter().filter_map(|g| g.name).collect();
    assert_eq!(names, ["g2", "g1"]);
    assert_eq!(out.report_groups_not_found, Some(vec![group_arn("nope"), "not-an-arn".to_string()]));
    let empty = api.batch_get_report_groups(BatchGetReportGroupsInput { report_group_arns: Some(Vec::new()) });
    assert_eq!(code(empty), "InvalidInputException");
}

#[test]
fn list_report_groups_sorts_orders_and_pages() {
    let api = api();
    for name in ["charlie", "alpha", "bravo"] {
        create_group(&api, name);
        tick();
    }
    api.update_report_group(UpdateReportGroupInput { arn: Some(group_arn("charlie")), ..Default::default() })
        .expect("touch charlie");
    let list = |sort_by, sort_order| {
        api.list_report_groups(ListReportGroupsInput { sort_by, sort_order, ..Default::default() })
            .expect("list")
            .report_groups
            .unwrap_or_default()
    };
    let arns = |names: &[&str]| names.iter().map(|n| group_arn(n)).collect::<Vec<_>>();
    assert_eq!(list(None, None), arns(&["alpha", "bravo", "charlie"]));
    assert_eq!(
        list(Some(ReportGroupSortByType::Name), Some(SortOrderType::Descending)),
        arns(&["charlie", "bravo", "alpha"])
    );
    assert_eq!(list(Some(ReportGroupSortByType::CreatedTime), None), arns(&["charlie", "alpha", "bravo"]));
    assert_eq!(
        list(Some(ReportGroupSortByType::LastModifiedTime), Some(SortOrderType::Descending)),
        arns(&["charlie", "bravo", "alpha"])
    );

    let first = api
        .list_report_groups(ListReportGroupsInput { max_results: Some(2), ..Default::default() })
        .expect("first page");
    assert_eq!(first.report_groups, Some(arns(&["alpha", "bravo"])));
    let second = api
        .list_report_groups(ListReportGroupsInput {
            max_results: Some(2),
            next_token: first.next_token.clone(),
            ..Default::default()
        })
        .expect("second page");
    assert_eq!((second.report_groups, second.next_token), (Some(arns(&["charlie"])), None));

    for max_results in [0, 101] {
        let out =
            api.list_report_groups(ListReportGroupsInput { max_results: Some(max_results), ..Default::default() });
        assert_eq!(code(out), "InvalidInputException", "maxResults {max_results}");
    }
    let other_sort = api.list_report_groups(ListReportGroupsInput {
        sort_by: Some(ReportGroupSortByType::CreatedTime),
        next_token: first.next_token,
        ..Default::default()
    });
    assert_eq!(code(other_sort), "InvalidInputException");
}

// ---- record_report ----

#[test]
fn record_report_creates_the_group_and_summarises() {
    let api = api();
    let cases = vec![
        case("adds", "SUCCEEDED", 1_000),
        case("removes", "FAILED", 2_000),
        case("ships", "ERROR", 3_000),
        case("pays", "SKIPPED", 4_000),
        case("refunds", "weird", 5_000),
        case("totals", "succeeded", 6_000),
    ];
    let arn = record(&api, "shop", "0001", "unit", cases);
    assert_eq!(arn, format!("{ARN_PREFIX}:report/shop-unit:0001"));

    let group = api
        .batch_get_report_groups(BatchGetReportGroupsInput { report_group_arns: Some(vec![group_arn("shop-unit")]) })
        .expect("get group")
        .report_groups
        .and_then(|g| g.into_iter().next())
        .expect("the group was created");
    assert_eq!(group.r#type, Some(ReportType::Test));
    assert_eq!(group.export_config, Some(no_export()));

    let report = get_report(&api, &arn);
    assert_eq!(report.name.as_deref(), Some("shop-unit"));
    assert_eq!(report.report_group_arn, Some(group_arn("shop-unit")));
    assert_eq!(report.execution_id.as_deref(), Some(format!("{ARN_PREFIX}:build/shop:0001").as_str()));
    assert_eq!(report.r#type, Some(ReportType::Test));
    assert_eq!(report.status, Some(ReportStatusType::Failed), "a test failed");
    assert_eq!(report.truncated, Some(false));
    assert_eq!(report.export_config, Some(no_export()));
    let summary = report.test_summary.expect("summary");
    assert_eq!(summary.total, Some(6));
    assert_eq!(summary.duration_in_nano_seconds, Some(21_000));
    let counts: Vec<(String, i32)> = summary.status_counts.unwrap_or_default().into_iter().collect();
    let want = [("ERROR", 1), ("FAILED", 1), ("SKIPPED", 1), ("SUCCEEDED", 2), ("UNKNOWN", 1)];
    assert_eq!(counts, want.map(|(s, n)| (s.to_string(), n)));
    let (created, expired) = (report.created.expect("created"), report.expired.expect("expired"));
    assert_eq!(expired.0, created.0.floor() + 30.0 * 24.0 * 3600.0, "expires 30 days later, on a whole second");
}

#[test]
fn record_report_status_follows_the_cases_and_the_files() {
    let api = api();
    let passing = vec![case("a", "SUCCEEDED", 1), case("b", "SKIPPED", 1)];
    let ok = record(&api, "proj", "1", "unit", passing.clone());
    assert_eq!(get_report(&api, &ok).status, Some(ReportStatusType::Succeeded));
    let erred = record(&api, "proj", "2", "unit", vec![case("a", "SUCCEEDED", 1), case("b", "ERROR", 1)]);
    assert_eq!(get_report(&api, &erred).status, Some(ReportStatusType::Failed));
    let malformed = NewReport { status: ReportStatusType::Failed, ..new_report("proj", "3", "unit", passing) };
    let incomplete = api.record_report(malformed).expect("record");
    assert_eq!(get_report(&api, &incomplete).status, Some(ReportStatusType::Incomplete));
    let empty = record(&api, "proj", "4", "unit", Vec::new());
    let report = get_report(&api, &empty);
    assert_eq!(report.status, Some(ReportStatusType::Succeeded));
    assert_eq!(report.test_summary.and_then(|s| s.total), Some(0));
}

#[test]
fn record_report_keeps_the_first_500_cases_and_counts_all() {
    let api = api();
    let cases: Vec<TestCase> = (0..600).map(|i| case(&format!("t{i:03}"), "SUCCEEDED", 10)).collect();
    let arn = record(&api, "big", "u", "unit", cases);
    let report = get_report(&api, &arn);
    assert_eq!(report.truncated, Some(true));
    let summary = report.test_summary.expect("summary");
    assert_eq!((summary.total, summary.duration_in_nano_seconds), (Some(600), Some(6_000)));

    let mut names = Vec::new();
    let mut token = None;
    loop {
        let page = api
            .describe_test_cases(DescribeTestCasesInput {
                report_arn: Some(arn.clone()),
                next_token: token,
                ..Default::default()
            })
            .expect("describe");
        names.extend(page.test_cases.unwrap_or_default().into_iter().filter_map(|c| c.name));
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(names.len(), 500);
    assert_eq!(names.first().map(String::as_str), Some("t000"));
    assert_eq!(names.last().map(String::as_str), Some("t499"));
}

#[test]
fn record_report_refuses_a_sixth_group_per_project() {
    let api = api();
    for i in 0..5 {
        record(&api, "proj", &format!("u{i}"), &format!("suite{i}"), Vec::new());
    }
    // Existing groups stay usable.
    record(&api, "proj", "again", "suite0", Vec::new());
    let sixth = api.record_report(new_report("proj", "u5", "suite5", Vec::new()));
    match sixth {
        Err(ApiError::AccountLimitExceeded(msg)) => assert!(msg.contains("proj-suite5"), "{msg}"),
        other => panic!("a sixth group: {other:?}"),
    }
    let found = api
        .batch_get_report_groups(BatchGetReportGroupsInput { report_group_arns: Some(vec![group_arn("proj-suite5")]) })
        .expect("get");
    assert_eq!(found.report_groups, Some(Vec::new()), "the refused group exists");
    // Another project has its own five, and groups made by CreateReportGroup do not count.
    record(&api, "other", "u0", "suite0", Vec::new());
    create_group(&api, "made-by-hand");
}

#[test]
fn record_report_uses_a_group_named_by_arn() {
    let api = api();
    create_group(&api, "shared");
    let arn = record(&api, "proj", "u1", &group_arn("shared"), vec![case("a", "SUCCEEDED", 1)]);
    assert_eq!(arn, format!("{ARN_PREFIX}:report/shared:u1"));
    assert_eq!(get_report(&api, &arn).report_group_arn, Some(group_arn("shared")));

    let unknown = api.record_report(new_report("proj", "u2", &group_arn("ghost"), Vec::new()));
    assert_eq!(code(unknown), "ResourceNotFoundException");
    let coverage = CreateReportGroupInput {
        name: Some("coverage".to_string()),
        r#type: Some(ReportType::CodeCoverage),
        export_config: Some(no_export()),
        tags: None,
    };
    api.create_report_group(coverage).expect("create coverage group");
    let into_coverage = api.record_report(new_report("proj", "u3", &group_arn("coverage"), Vec::new()));
    assert_eq!(code(into_coverage), "InvalidInputException");
    // One report per build and group.
    let twice = api.record_report(new_report("proj", "u1", &group_arn("shared"), Vec::new()));
    assert_eq!(code(twice), "ResourceAlreadyExistsException");
}

#[test]
fn record_report_checks_the_build_id() {
    let api = api();
    for build_id in ["no-colon", "other:uuid", "proj:"] {
        let report = NewReport { build_id: build_id.to_string(), ..new_report("proj", "x", "unit", Vec::new()) };
        assert_eq!(code(api.record_report(report)), "InvalidInputException", "{build_id}");
    }
    let too_long = new_report("proj", "x", &"n".repeat(124), Vec::new());
    assert_eq!(code(api.record_report(too_long)), "InvalidInputException");
}

// ---- reports ----

#[test]
fn batch_get_reports_lists_the_unknown() {
    let api = api();
    let one = record(&api, "proj", "1", "unit", Vec::new());
    let two = record(&api, "proj", "2", "unit", Vec::new());
    let ghost = format!("{ARN_PREFIX}:report/proj-unit:ghost");
    let asked = vec![two.clone(), ghost.clone(), one.clone(), ghost.clone()];
    let out = api.batch_get_reports(BatchGetReportsInput { report_arns: Some(asked) }).expect("get");
    let arns: Vec<String> = out.reports.unwrap_or_default().into_iter().filter_map(|r| r.arn).collect();
    assert_eq!(arns, [two, one]);
    assert_eq!(out.reports_not_found, Some(vec![ghost]));
}

#[test]
fn list_reports_filters_orders_and_pages() {
    let api = api();
    let ok1 = record(&api, "proj", "1", "unit", vec![case("a", "SUCCEEDED", 1)]);
    tick();
    let bad = record(&api, "proj", "2", "unit", vec![case("a", "FAILED", 1)]);
    tick();
    let ok2 = record(&api, "proj", "3", "lint", vec![case("a", "SUCCEEDED", 1)]);
    let all = |sort_order: Option<SortOrderType>, status: Option<ReportStatusType>| {
        let filter = status.map(|s| ReportFilter { status: Some(s) });
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = api
                .list_reports(ListReportsInput {
                    filter: filter.clone(),
                    max_results: Some(1),
                    next_token: token,
                    sort_order,
                })
                .expect("list");
            out.extend(page.reports.unwrap_or_default());
            token = page.next_token;
            if token.is_none() {
                return out;
            }
        }
    };
    assert_eq!(all(None, None), [ok2.clone(), bad.clone(), ok1.clone()], "newest first by default");
    assert_eq!(all(Some(SortOrderType::Ascending), None), [ok1.clone(), bad.clone(), ok2.clone()]);
    assert_eq!(all(None, Some(ReportStatusType::Succeeded)), [ok2.clone(), ok1.clone()]);
    assert_eq!(all(None, Some(ReportStatusType::Failed)), std::slice::from_ref(&bad));
    assert!(all(None, Some(ReportStatusType::Generating)).is_empty());

    let in_group = |arn: String, status: Option<ReportStatusType>| {
        api.list_reports_for_report_group(ListReportsForReportGroupInput {
            report_group_arn: Some(arn),
            filter: status.map(|s| ReportFilter { status: Some(s) }),
            sort_order: Some(SortOrderType::Ascending),
            ..Default::default()
        })
    };
    let unit = in_group(group_arn("proj-unit"), None).expect("unit").reports;
    assert_eq!(unit, Some(vec![ok1.clone(), bad.clone()]));
    let unit_ok = in_group(group_arn("proj-unit"), Some(ReportStatusType::Succeeded)).expect("unit ok").reports;
    assert_eq!(unit_ok, Some(vec![ok1]));
    assert_eq!(in_group(group_arn("proj-lint"), None).expect("lint").reports, Some(vec![ok2]));
    assert_eq!(code(in_group(group_arn("ghost"), None)), "ResourceNotFoundException");

    let too_many = api.list_reports(ListReportsInput { max_results: Some(101), ..Default::default() });
    assert_eq!(code(too_many), "InvalidInputException");
    let foreign_token = api.list_reports(ListReportsInput { next_token: Some("zz".to_string()), ..Default::default() });
    assert_eq!(code(foreign_token), "InvalidInputException");
}

#[test]
fn delete_report_drops_it_and_its_cases() {
    let api = api();
    let arn = record(&api, "proj", "1", "unit", vec![case("a", "SUCCEEDED", 1)]);
    let keep = record(&api, "proj", "2", "unit", vec![case("a", "SUCCEEDED", 1)]);
    api.delete_report(DeleteReportInput { arn: Some(arn.clone()) }).expect("delete");
    api.delete_report(DeleteReportInput { arn: Some(arn.clone()) }).expect("deleting twice succeeds");
    let out = api.batch_get_reports(BatchGetReportsInput { report_arns: Some(vec![arn.clone()]) }).expect("get");
    assert_eq!(out.reports_not_found, Some(vec![arn.clone()]));
    let describe = api.describe_test_cases(DescribeTestCasesInput { report_arn: Some(arn), ..Default::default() });
    assert_eq!(code(describe), "ResourceNotFoundException");
    assert_eq!(get_report(&api, &keep).arn, Some(keep));
}

#[test]
fn delete_report_group_needs_delete_reports_when_it_has_some() {
    let api = api();
    let arn = record(&api, "proj", "1", "unit", vec![case("a", "SUCCEEDED", 1)]);
    let group = group_arn("proj-unit");
    for delete_reports in [None, Some(false)] {
        let refused = api.delete_report_group(DeleteReportGroupInput { arn: Some(group.clone()), delete_reports });
        match refused {
            Err(ApiError::InvalidInput(msg)) => assert!(msg.contains("deleteReports"), "{msg}"),
            other => panic!("{delete_reports:?}: {other:?}"),
        }
    }
    assert_eq!(get_report(&api, &arn).arn.as_deref(), Some(arn.as_str()), "a refused delete took the report");

    api.delete_report_group(DeleteReportGroupInput { arn: Some(group.clone()), delete_reports: Some(true) })
        .expect("delete with reports");
    let out = api.batch_get_reports(BatchGetReportsInput { report_arns: Some(vec![arn.clone()]) }).expect("get");
    assert_eq!(out.reports_not_found, Some(vec![arn]));
    let groups = api
        .batch_get_report_groups(BatchGetReportGroupsInput { report_group_arns: Some(vec![group.clone()]) })
        .expect("get");
    assert_eq!(groups.report_groups_not_found, Some(vec![group.clone()]));
    api.delete_report_group(DeleteReportGroupInput { arn: Some(group), delete_reports: None })
        .expect("deleting an unknown group succeeds");

    create_group(&api, "empty");
    api.delete_report_group(DeleteReportGroupInput { arn: Some(group_arn("empty")), delete_reports: None })
        .expect("an empty group needs no flag");
}

// ---- test cases ----

#[test]
fn describe_test_cases_filters_and_pages() {
    let api = api();
    let mut cases = vec![
        case("adds", "SUCCEEDED", 1),
        case("removes", "FAILED", 2),
        case("empties cart", "FAILED", 3),
        case("pays", "SKIPPED", 4),
    ];
    cases[3].prefix = Some("com.acme.Cart".to_string());
    cases[3].test_raw_data_path = Some("reports/pay.xml".to_string());
    let arn = record(&api, "proj", "1", "unit", cases);
    let expired = get_report(&api, &arn).expired;
    let describe = |filter: Option<TestCaseFilter>, max_results: Option<i32>, next_token: Option<String>| {
        api.describe_test_cases(DescribeTestCasesInput {
            report_arn: Some(arn.clone()),
            filter,
            max_results,
            next_token,
        })
    };
    let names = |out: DescribeTestCasesOutput| -> Vec<String> {
        out.test_cases.unwrap_or_default().into_iter().filter_map(|c| c.name).collect()
    };

    let all = describe(None, None, None).expect("all");
    assert_eq!(all.next_token, None);
    let first = all.test_cases.clone().unwrap_or_default().into_iter().next().expect("a case");
    assert_eq!(first.report_arn.as_deref(), Some(arn.as_str()));
    assert_eq!(first.prefix.as_deref(), Some("com.acme.Suite"));
    assert_eq!(first.status.as_deref(), Some("SUCCEEDED"));
    assert_eq!(first.duration_in_nano_seconds, Some(1));
    assert_eq!(first.test_suite_name.as_deref(), Some("Suite"));
    assert_eq!(first.message, None);
    assert_eq!(first.expired, expired, "cases expire with their report");
    assert_eq!(first.test_raw_data_path.as_deref(), Some("reports/junit.xml"), "the report's file");
    let paths: Vec<Option<String>> =
        all.test_cases.unwrap_or_default().into_iter().map(|c| c.test_raw_data_path).collect();
    assert_eq!(paths[3].as_deref(), Some("reports/pay.xml"), "a case's own file");

    let failed = TestCaseFilter { status: Some("FAILED".to_string()), keyword: None };
    assert_eq!(names(describe(Some(failed), None, None).expect("failed")), ["removes", "empties cart"]);
    // The keyword matches the name or the prefix.
    let cart = TestCaseFilter { status: None, keyword: Some("Cart".to_string()) };
    assert_eq!(names(describe(Some(cart), None, None).expect("Cart")), ["pays"]);
    let cart = TestCaseFilter { status: None, keyword: Some("cart".to_string()) };
    assert_eq!(names(describe(Some(cart), None, None).expect("cart")), ["empties cart"]);

    let page1 = describe(None, Some(3), None).expect("page 1");
    let token = page1.next_token.clone();
    assert_eq!(names(page1), ["adds", "removes", "empties cart"]);
    let page2 = describe(None, Some(3), token).expect("page 2");
    assert_eq!(page2.next_token, None);
    assert_eq!(names(page2), ["pays"]);

    let bad_status = TestCaseFilter { status: Some("PASSED".to_string()), keyword: None };
    assert_eq!(code(describe(Some(bad_status), None, None)), "InvalidInputException");
    for max_results in [0, 101] {
        assert_eq!(code(describe(None, Some(max_results), None)), "InvalidInputException", "{max_results}");
    }
    let unknown = api.describe_test_cases(DescribeTestCasesInput {
        report_arn: Some(format!("{ARN_PREFIX}:report/proj-unit:ghost")),
        ..Default::default()
    });
    assert_eq!(code(unknown), "ResourceNotFoundException");
    let missing = api.describe_test_cases(DescribeTestCasesInput::default());
    assert_eq!(code(missing), "InvalidInputException");
}

// ---- trends ----

#[test]
fn report_group_trend_reads_recent_reports() {
    let api = api();
    // Pass rates 100, 50, 0; totals 1, 2, 3; durations 10, 30, 60.
    record(&api, "proj", "1", "unit", vec![case("a", "SUCCEEDED", 10)]);
    record(&api, "proj", "2", "unit", vec![case("a", "SUCCEEDED", 10), case("b", "FAILED", 20)]);
    let newest = record(
        &api,
        "proj",
        "3",
        "unit",
        vec![case("a", "FAILED", 10), case("b", "ERROR", 20), case("c", "FAILED", 30)],
    );
    let trend = |field, num_of_reports| {
        api.get_report_group_trend(GetReportGroupTrendInput {
            report_group_arn: Some(group_arn("proj-unit")),
            trend_field: Some(field),
            num_of_reports,
        })
    };
    let data = |out: &GetReportGroupTrendOutput| -> Vec<String> {
        out.raw_data.clone().unwrap_or_default().into_iter().filter_map(|d| d.data).collect()
    };
    let stats = |out: &GetReportGroupTrendOutput| {
        let s = out.stats.clone().unwrap_or_default();
        (s.min.unwrap_or_default(), s.max.unwrap_or_default(), s.average.unwrap_or_default())
    };

    let pass = trend(ReportGroupTrendFieldType::PassRate, None).expect("pass rate");
    assert_eq!(data(&pass), ["0", "50", "100"], "newest first");
    assert_eq!(stats(&pass), ("0".to_string(), "100".to_string(), "50".to_string()));
    let total = trend(ReportGroupTrendFieldType::Total, None).expect("total");
    assert_eq!(data(&total), ["3", "2", "1"]);
    assert_eq!(stats(&total), ("1".to_string(), "3".to_string(), "2".to_string()));
    let duration = trend(ReportGroupTrendFieldType::Duration, Some(2)).expect("duration");
    assert_eq!(data(&duration), ["60", "30"], "the two most recent");
    assert_eq!(stats(&duration), ("30".to_string(), "60".to_string(), "45".to_string()));
    let arns: Vec<String> = duration.raw_data.unwrap_or_default().into_iter().filter_map(|d| d.report_arn).collect();
    assert_eq!(arns.first(), Some(&newest));

    assert_eq!(code(trend(ReportGroupTrendFieldType::LineCoverage, None)), "InvalidInputException");
    assert_eq!(code(trend(ReportGroupTrendFieldType::Total, Some(0))), "InvalidInputException");
    let unknown = api.get_report_group_trend(GetReportGroupTrendInput {
        report_group_arn: Some(group_arn("ghost")),
        trend_field: Some(ReportGroupTrendFieldType::Total),
        num_of_reports: None,
    });
    assert_eq!(code(unknown), "ResourceNotFoundException");

    create_group(&api, "quiet");
    let empty = api
        .get_report_group_trend(GetReportGroupTrendInput {
            report_group_arn: Some(group_arn("quiet")),
            trend_field: Some(ReportGroupTrendFieldType::PassRate),
            num_of_reports: None,
        })
        .expect("no reports");
    assert_eq!((empty.raw_data, empty.stats), (Some(Vec::new()), Some(ReportGroupTrendStats::default())));
}

//! Recording the report a build wrote: the group it goes into (created on first use), the
//! summary, the report's status, and CodeBuild's 500-test-case limit.

use std::collections::BTreeMap;

use kiln_model::Timestamp;
use kiln_model::codebuild::*;
use kiln_store::{ReportRecord, StoreError, TestCaseRecord};

use super::{REPORT_LIFETIME_MS, group_arn, group_not_found, report_arn};
use crate::projects::to_doc;
use crate::{Api, ApiError, now_ms};

/// Report groups a project's builds may create (CodeBuild's limit).
pub(super) const GROUPS_PER_PROJECT: usize = 5;

/// Test cases kept per report (CodeBuild's limit); the summary still counts them all.
pub(super) const CASES_PER_REPORT: usize = 500;

/// The statuses a test case may have; anything else counts as UNKNOWN.
pub(super) const CASE_STATUSES: [&str; 5] = ["SUCCEEDED", "FAILED", "ERROR", "SKIPPED", "UNKNOWN"];

/// A build's report, ready to be recorded.
#[derive(Debug, Clone)]
pub struct NewReport {
    pub project_name: String,
    /// `<project>:<uuid>`.
    pub build_id: String,
    /// The buildspec `reports` key: a name (the group is `<project>-<name>`) or the ARN of an
    /// existing report group.
    pub group: String,
    /// How reading the report files went: SUCCEEDED when every file parsed, FAILED (or
    /// INCOMPLETE) when one was malformed, which makes the report INCOMPLETE. Otherwise the
    /// test cases decide: FAILED when one FAILED or had an ERROR, else SUCCEEDED.
    pub status: ReportStatusType,
    pub test_cases: Vec<TestCase>,
    /// The report files the test cases came from, in the order read. A test case without its
    /// own `test_raw_data_path` gets the first of them.
    pub raw_paths: Vec<String>,
}

impl Api {
    /// Stores a build's report and returns its ARN. Creates the group `<project>-<name>` on
    /// first use (TEST, NO_EXPORT); a project's builds may create at most five groups
    /// (AccountLimitExceeded beyond). A group named by ARN must exist (ResourceNotFound).
    pub fn record_report(&self, report: NewReport) -> Result<String, ApiError> {
        let build_uuid = match report.build_id.split_once(':') {
            Some((project, uuid)) if project == report.project_name && !uuid.is_empty() => uuid,
            _ => {
                return Err(ApiError::InvalidInput(format!(
                    "Invalid input: build id {} is not <project>:<uuid> of project {}",
                    report.build_id, report.project_name
                )));
            }
        };
        let group = self.group_for_report(&report.project_name, &report.group)?;
        let group_name = group.name.clone().unwrap_or_default();
        let group_arn = group.arn.clone().unwrap_or_default();
        if group.r#type != Some(ReportType::Test) {
            return Err(ApiError::InvalidInput(format!(
                "Report group {group_arn} is not a TEST report group: test reports cannot be added to it"
            )));
        }
        let arn = report_arn(&self.config, &group_name, build_uuid);
        let created_ms = now_ms();
        // CodeBuild's expiry has whole seconds.
        let expired_ms = created_ms.div_euclid(1000) * 1000 + REPORT_LIFETIME_MS;
        let summary = summarise(&report.test_cases);
        let status = report_status(report.status, &report.test_cases);
        let truncated = report.test_cases.len() > CASES_PER_REPORT;
        let first_path = report.raw_paths.first().cloned().unwrap_or_default();
        let cases: Vec<TestCaseRecord> =
            report.test_cases.iter().take(CASES_PER_REPORT).map(|c| case_record(c, &first_path)).collect();
        let doc = Report {
            arn: Some(arn.clone()),
            r#type: Some(ReportType::Test),
            name: Some(group_name),
            report_group_arn: Some(group_arn.clone()),
            execution_id: Some(self.config.build_arn(&report.build_id)),
            status: Some(status),
            created: Some(Timestamp::from_millis(created_ms)),
            expired: Some(Timestamp::from_millis(expired_ms)),
            export_config: group.export_config.clone(),
            truncated: Some(truncated),
            test_summary: Some(summary),
            ..Default::default()
        };
        let record = ReportRecord {
            arn: arn.clone(),
            group_arn: group_arn.clone(),
            execution_id: self.config.build_arn(&report.build_id),
            status: status.as_str().to_string(),
            created_ms,
            doc: to_doc(&doc)?,
        };
        self.store.insert_report(&record, &cases).map_err(|e| match e {
            StoreError::NotFound(_) => group_not_found(&group_arn),
            StoreError::AlreadyExists(_) => ApiError::ResourceAlreadyExists(format!(
                "Report already exists: {arn}: a build writes one report per group"
            )),
            other => other.into(),
        })?;
        Ok(arn)
    }

    /// The group a buildspec `reports` key names, created when a name is used the first time.
    fn group_for_report(&self, project: &str, key: &str) -> Result<ReportGroup, ApiError> {
        if key.starts_with("arn:") {
            return Ok(self.load_report_group(key)?.1);
        }
        let name = format!("{project}-{key}");
        if !(2..=128).contains(&name.chars().count()) {
            return Err(ApiError::InvalidInput(format!(
                "Invalid input: report group name {name} must be 2 to 128 characters long"
            )));
        }
        let arn = group_arn(&self.config, &name);
        if let Some(record) = self.store.get_report_group(&arn)? {
            return super::group_of(&record);
        }
        let group = ReportGroup {
            arn: Some(arn.clone()),
            name: Some(name),
            r#type: Some(ReportType::Test),
            export_config: Some(ReportExportConfig {
                export_config_type: Some(ReportExportConfigType::NoExport),
                ..Default::default()
            }),
            tags: Some(Vec::new()),
            ..Default::default()
        };
        match self.store_new_group(group, Some(project)) {
            // Another build of the project created it meanwhile.
            Err(ApiError::ResourceAlreadyExists(_)) => Ok(self.load_report_group(&arn)?.1),
            other => other,
        }
    }
}

/// A case's status as counted: one of [`CASE_STATUSES`].
fn case_status(case: &TestCase) -> &'static str {
    let status = case.status.as_deref().unwrap_or_default();
    CASE_STATUSES.into_iter().find(|s| s.eq_ignore_ascii_case(status)).unwrap_or("UNKNOWN")
}

/// Totals over every test case, the truncated ones included (as CodeBuild counts them).
pub(super) fn summarise(cases: &[TestCase]) -> TestReportSummary {
    let mut counts: BTreeMap<String, i32> = CASE_STATUSES.iter().map(|s| (s.to_string(), 0)).collect();
    let mut duration: i64 = 0;
    for case in cases {
        if let Some(n) = counts.get_mut(case_status(case)) {
            *n = n.saturating_add(1);
        }
        duration = duration.saturating_add(case.duration_in_nano_seconds.unwrap_or(0).max(0));
    }
    TestReportSummary {
        total: Some(i32::try_from(cases.len()).unwrap_or(i32::MAX)),
        status_counts: Some(counts),
        duration_in_nano_seconds: Some(duration),
    }
}

/// INCOMPLETE when a file was malformed, else FAILED when a test failed or erred, else
/// SUCCEEDED.
pub(super) fn report_status(reading: ReportStatusType, cases: &[TestCase]) -> ReportStatusType {
    if matches!(reading, ReportStatusType::Failed | ReportStatusType::Incomplete) {
        return ReportStatusType::Incomplete;
    }
    if cases.iter().any(|c| matches!(case_status(c), "FAILED" | "ERROR")) {
        return ReportStatusType::Failed;
    }
    ReportStatusType::Succeeded
}

fn case_record(case: &TestCase, default_path: &str) -> TestCaseRecord {
    TestCaseRecord {
        // Both set by the store.
        report_arn: String::new(),
        seq: 0,
        prefix: case.prefix.clone().unwrap_or_default(),
        name: case.name.clone().unwrap_or_default(),
        status: case_status(case).to_string(),
        duration_ns: case.duration_in_nano_seconds.unwrap_or(0).max(0),
        message: case.message.clone(),
        suite: case.test_suite_name.clone().unwrap_or_default(),
        raw_path: case.test_raw_data_path.clone().unwrap_or_else(|| default_path.to_string()),
    }
}

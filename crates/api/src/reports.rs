//! CodeBuild's test reports: report groups (CreateReportGroup, UpdateReportGroup,
//! DeleteReportGroup, BatchGetReportGroups, ListReportGroups), the reports builds write into
//! them (BatchGetReports, ListReports, ListReportsForReportGroup, DeleteReport), their test
//! cases (DescribeTestCases) and trends (GetReportGroupTrend), and [`Api::record_report`], which
//! the executor calls when a build's report is ready.

mod cases;
mod groups;
mod record;
mod runs;
mod trend;

#[cfg(test)]
mod tests;

use kiln_model::codebuild::{ReportGroup, ReportGroupStatusType};
use kiln_store::ReportGroupRecord;

pub use record::NewReport;

use crate::projects::from_doc;
use crate::{Api, ApiError, Config};

/// How long a report and its test cases are kept (CodeBuild: 30 days).
const REPORT_LIFETIME_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// Page size of the report listings when `maxResults` is not given.
const DEFAULT_PAGE: usize = 100;

/// `arn:aws:codebuild:<region>:<account>:report-group/<name>`.
fn group_arn(config: &Config, name: &str) -> String {
    format!("arn:aws:codebuild:{}:{}:report-group/{}", config.region, config.account_id, name)
}

/// `arn:aws:codebuild:<region>:<account>:report/<group name>:<build uuid>`, as CodeBuild names
/// the report a build writes into a group.
fn report_arn(config: &Config, group_name: &str, build_uuid: &str) -> String {
    format!("arn:aws:codebuild:{}:{}:report/{}:{}", config.region, config.account_id, group_name, build_uuid)
}

/// `maxResults` as a page size; the model has already checked its range (1 to 100).
fn page_size(max_results: Option<i32>) -> usize {
    max_results.and_then(|n| usize::try_from(n).ok()).filter(|n| *n > 0).unwrap_or(DEFAULT_PAGE)
}

fn group_not_found(arn: &str) -> ApiError {
    ApiError::ResourceNotFound(format!("Report group cannot be found: {arn}"))
}

fn report_not_found(arn: &str) -> ApiError {
    ApiError::ResourceNotFound(format!("Report cannot be found: {arn}"))
}

/// A stored group's document, with the status the store does not keep.
fn group_of(record: &ReportGroupRecord) -> Result<ReportGroup, ApiError> {
    let mut group: ReportGroup = from_doc(&record.doc)?;
    group.status.get_or_insert(ReportGroupStatusType::Active);
    Ok(group)
}

impl Api {
    /// The stored group, or ResourceNotFoundException.
    fn load_report_group(&self, arn: &str) -> Result<(ReportGroupRecord, ReportGroup), ApiError> {
        let Some(record) = self.store.get_report_group(arn)? else {
            return Err(group_not_found(arn));
        };
        let group = group_of(&record)?;
        Ok((record, group))
    }
}

//! DescribeTestCases.

use kiln_model::Timestamp;
use kiln_model::codebuild::*;
use kiln_store::{TestCaseQuery, TestCaseRecord};

use super::record::CASE_STATUSES;
use super::{page_size, report_not_found};
use crate::projects::from_doc;
use crate::{Api, ApiError};

impl Api {
    pub fn describe_test_cases(&self, input: DescribeTestCasesInput) -> Result<DescribeTestCasesOutput, ApiError> {
        kiln_model::validate(&input)?;
        let arn = input.report_arn.unwrap_or_default();
        let filter = input.filter.unwrap_or_default();
        if let Some(status) = &filter.status
            && !CASE_STATUSES.contains(&status.as_str())
        {
            return Err(ApiError::InvalidInput(format!(
                "Invalid input: filter.status {status} is not one of {}",
                CASE_STATUSES.join(", ")
            )));
        }
        let Some(report) = self.store.get_report(&arn)? else {
            return Err(report_not_found(&arn));
        };
        // Test cases expire with their report.
        let expired = from_doc::<Report>(&report.doc)?.expired;
        let query = TestCaseQuery { status: filter.status, keyword: filter.keyword };
        let page =
            self.store.list_test_cases(&arn, &query, input.next_token.as_deref(), page_size(input.max_results))?;
        let test_cases = page.items.into_iter().map(|c| test_case(c, expired)).collect();
        Ok(DescribeTestCasesOutput { test_cases: Some(test_cases), next_token: page.next })
    }
}

fn test_case(record: TestCaseRecord, expired: Option<Timestamp>) -> TestCase {
    let non_empty = |s: String| (!s.is_empty()).then_some(s);
    TestCase {
        report_arn: Some(record.report_arn),
        test_raw_data_path: non_empty(record.raw_path),
        prefix: Some(record.prefix),
        name: Some(record.name),
        status: Some(record.status),
        duration_in_nano_seconds: Some(record.duration_ns),
        message: record.message,
        expired,
        test_suite_name: non_empty(record.suite),
    }
}

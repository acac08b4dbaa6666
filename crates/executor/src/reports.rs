//! Stores the reports a build's agent read (its buildspec `reports`), through the same
//! operation layer that BatchGetReports and DescribeTestCases answer from.

use std::sync::Arc;
use std::time::Duration;

use kiln_api::{Api, NewReport};
use kiln_model::codebuild::{ReportStatusType, TestCase};
use kiln_store::Store;

pub struct ReportRecorder {
    api: Api,
}

/// Recording a report never queues, stops or waits for a build, so the operations it goes
/// through get a scheduler with nothing to do.
struct NothingToSchedule;

impl kiln_api::Scheduler for NothingToSchedule {
    fn wake(&self) {}
    fn stop(&self, _build_id: &str) {}
    fn wait_until_finished(&self, _build_id: &str, _timeout: Duration) {}
}

impl ReportRecorder {
    pub fn new(store: Arc<dyn Store>, config: kiln_api::Config) -> Self {
        ReportRecorder { api: Api::new(store, Arc::new(NothingToSchedule), config) }
    }

    /// Stores one report of build `build_id`; returns its ARN, or why it was not stored.
    pub fn record(
        &self,
        build_id: &str,
        group: &str,
        status: &str,
        cases: Vec<kiln_reports::TestCase>,
        raw_paths: Vec<String>,
    ) -> Result<String, String> {
        let project_name = build_id.split_once(':').map(|(p, _)| p).unwrap_or(build_id).to_string();
        let status = if status == "SUCCEEDED" { ReportStatusType::Succeeded } else { ReportStatusType::Incomplete };
        let test_cases = cases.into_iter().map(test_case).collect();
        let report = NewReport {
            project_name,
            build_id: build_id.to_string(),
            group: group.to_string(),
            status,
            test_cases,
            raw_paths,
        };
        self.api.record_report(report).map_err(|e| e.to_string())
    }
}

fn test_case(case: kiln_reports::TestCase) -> TestCase {
    TestCase {
        test_suite_name: Some(case.test_suite_name),
        prefix: Some(case.prefix),
        name: Some(case.name),
        status: Some(case.status.as_str().to_string()),
        duration_in_nano_seconds: Some(case.duration_nanos),
        message: case.message,
        ..Default::default()
    }
}

//! CodeBuild's `TestReportSummary` of a report's test cases.

use std::collections::BTreeMap;

use crate::{TestCase, TestStatus};

/// Counts per status and total duration, as CodeBuild's `TestReportSummary`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Summary {
    pub total: i32,
    /// Keyed by [`TestStatus::as_str`]; all five keys are always present.
    pub status_counts: BTreeMap<String, i32>,
    /// Sum of the cases' durations (saturating).
    pub duration_nanos: i64,
}

/// Sums `cases`. Every status has a count, 0 when none, as CodeBuild shows it.
pub fn summarize(cases: &[TestCase]) -> Summary {
    let mut status_counts: BTreeMap<String, i32> =
        TestStatus::ALL.iter().map(|status| (status.as_str().to_owned(), 0)).collect();
    let mut duration_nanos: i64 = 0;
    for case in cases {
        if let Some(count) = status_counts.get_mut(case.status.as_str()) {
            *count = count.saturating_add(1);
        }
        duration_nanos = duration_nanos.saturating_add(case.duration_nanos.max(0));
    }
    let total = i32::try_from(cases.len()).unwrap_or(i32::MAX);
    Summary { total, status_counts, duration_nanos }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(status: TestStatus, duration_nanos: i64) -> TestCase {
        TestCase {
            test_suite_name: "s".into(),
            prefix: "p".into(),
            name: "n".into(),
            status,
            duration_nanos,
            message: None,
        }
    }

    #[test]
    fn empty_has_all_five_keys_at_zero() {
        let summary = summarize(&[]);
        assert_eq!(summary.total, 0);
        assert_eq!(summary.duration_nanos, 0);
        let keys: Vec<_> = summary.status_counts.keys().map(String::as_str).collect();
        assert_eq!(keys, ["ERROR", "FAILED", "SKIPPED", "SUCCEEDED", "UNKNOWN"]);
        assert!(summary.status_counts.values().all(|&n| n == 0));
    }

    #[test]
    fn counts_and_sums() {
        let cases = [
            case(TestStatus::Succeeded, 10),
            case(TestStatus::Succeeded, 20),
            case(TestStatus::Failed, 5),
            case(TestStatus::Skipped, 0),
        ];
        let summary = summarize(&cases);
        assert_eq!(summary.total, 4);
        assert_eq!(summary.duration_nanos, 35);
        assert_eq!(summary.status_counts["SUCCEEDED"], 2);
        assert_eq!(summary.status_counts["FAILED"], 1);
        assert_eq!(summary.status_counts["SKIPPED"], 1);
        assert_eq!(summary.status_counts["ERROR"], 0);
        assert_eq!(summary.status_counts["UNKNOWN"], 0);
    }

    #[test]
    fn duration_saturates() {
        let cases = [case(TestStatus::Succeeded, i64::MAX), case(TestStatus::Succeeded, 1)];
        assert_eq!(summarize(&cases).duration_nanos, i64::MAX);
    }
}

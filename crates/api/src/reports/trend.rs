//! GetReportGroupTrend: one value per recent report of a group, and their min, max and average.

use kiln_model::codebuild::*;
use kiln_store::{Order, ReportQuery};

use super::DEFAULT_PAGE;
use crate::projects::from_doc;
use crate::{Api, ApiError};

impl Api {
    pub fn get_report_group_trend(
        &self,
        input: GetReportGroupTrendInput,
    ) -> Result<GetReportGroupTrendOutput, ApiError> {
        kiln_model::validate(&input)?;
        let arn = input.report_group_arn.unwrap_or_default();
        let field = input.trend_field.unwrap_or(ReportGroupTrendFieldType::Total);
        let (_, group) = self.load_report_group(&arn)?;
        let group_type = group.r#type.unwrap_or(ReportType::Test);
        if is_coverage_field(field) != (group_type == ReportType::CodeCoverage) {
            return Err(ApiError::InvalidInput(format!(
                "Invalid input: trendField {field} does not apply to report group {arn} of type {group_type}"
            )));
        }
        let count = input.num_of_reports.and_then(|n| usize::try_from(n).ok()).unwrap_or(DEFAULT_PAGE);
        // The most recent reports, newest first.
        let query = ReportQuery { group_arn: Some(arn), status: None };
        let arns = self.store.list_reports(&query, Order::Descending, None, count)?.items;
        let mut raw_data = Vec::with_capacity(arns.len());
        let mut values = Vec::with_capacity(arns.len());
        for record in self.store.get_reports(&arns)? {
            let report: Report = from_doc(&record.doc)?;
            if let Some(value) = value_of(&report, field) {
                raw_data.push(ReportWithRawData { report_arn: Some(record.arn), data: Some(number(value)) });
                values.push(value);
            }
        }
        Ok(GetReportGroupTrendOutput { raw_data: Some(raw_data), stats: Some(stats(&values)) })
    }
}

fn is_coverage_field(field: ReportGroupTrendFieldType) -> bool {
    use ReportGroupTrendFieldType as F;
    !matches!(field, F::PassRate | F::Duration | F::Total)
}

/// The field's value in one report; `None` when the report has none (no summary, or a pass
/// rate of no tests).
fn value_of(report: &Report, field: ReportGroupTrendFieldType) -> Option<f64> {
    use ReportGroupTrendFieldType as F;
    let tests = report.test_summary.as_ref();
    let coverage = report.code_coverage_summary.as_ref();
    match field {
        F::Total => tests?.total.map(f64::from),
        // Nanoseconds; f64 is exact up to 104 days of run time.
        F::Duration => tests?.duration_in_nano_seconds.map(|ns| ns as f64),
        F::PassRate => {
            let summary = tests?;
            let total = summary.total.filter(|t| *t > 0)?;
            let passed = summary.status_counts.as_ref()?.get("SUCCEEDED").copied().unwrap_or(0);
            Some(f64::from(passed) * 100.0 / f64::from(total))
        }
        F::LineCoverage => coverage?.line_coverage_percentage,
        F::LinesCovered => coverage?.lines_covered.map(f64::from),
        F::LinesMissed => coverage?.lines_missed.map(f64::from),
        F::BranchCoverage => coverage?.branch_coverage_percentage,
        F::BranchesCovered => coverage?.branches_covered.map(f64::from),
        F::BranchesMissed => coverage?.branches_missed.map(f64::from),
    }
}

fn stats(values: &[f64]) -> ReportGroupTrendStats {
    if values.is_empty() {
        return ReportGroupTrendStats::default();
    }
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let average = values.iter().sum::<f64>() / values.len() as f64;
    ReportGroupTrendStats { min: Some(number(min)), max: Some(number(max)), average: Some(number(average)) }
}

/// Whole numbers without a fraction, others to two decimals without trailing zeros.
fn number(value: f64) -> String {
    let rounded = format!("{value:.2}");
    let trimmed = rounded.trim_end_matches('0').trim_end_matches('.');
    if trimmed == "-0" { "0".to_string() } else { trimmed.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_drop_needless_fractions() {
        assert_eq!(number(12.0), "12");
        assert_eq!(number(66.666_666), "66.67");
        assert_eq!(number(50.5), "50.5");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(100.0), "100");
        assert_eq!(number(94_000_000.0), "94000000");
    }

    #[test]
    fn stats_of_nothing_are_empty() {
        assert_eq!(stats(&[]), ReportGroupTrendStats::default());
        let s = stats(&[1.0, 4.0, 2.0]);
        assert_eq!((s.min.as_deref(), s.max.as_deref(), s.average.as_deref()), (Some("1"), Some("4"), Some("2.33")));
    }
}

//! BatchGetReports, ListReports, ListReportsForReportGroup, DeleteReport.

use kiln_model::codebuild::*;
use kiln_store::{Order, ReportQuery};

use super::page_size;
use crate::projects::{from_doc, order_of};
use crate::{Api, ApiError};

impl Api {
    pub fn batch_get_reports(&self, input: BatchGetReportsInput) -> Result<BatchGetReportsOutput, ApiError> {
        kiln_model::validate(&input)?;
        let asked = input.report_arns.unwrap_or_default();
        let records = self.store.get_reports(&asked)?;
        let reports = records.iter().map(|r| from_doc::<Report>(&r.doc)).collect::<Result<Vec<_>, _>>()?;
        let mut not_found: Vec<String> = Vec::new();
        for arn in &asked {
            if !records.iter().any(|r| &r.arn == arn) && !not_found.contains(arn) {
                not_found.push(arn.clone());
            }
        }
        Ok(BatchGetReportsOutput { reports: Some(reports), reports_not_found: Some(not_found) })
    }

    pub fn list_reports(&self, input: ListReportsInput) -> Result<ListReportsOutput, ApiError> {
        kiln_model::validate(&input)?;
        let query = ReportQuery { group_arn: None, status: status_filter(input.filter.as_ref()) };
        let order = order_of(input.sort_order, Order::Descending);
        let limit = page_size(input.max_results);
        let page = self.store.list_reports(&query, order, input.next_token.as_deref(), limit)?;
        Ok(ListReportsOutput { reports: Some(page.items), next_token: page.next })
    }

    pub fn list_reports_for_report_group(
        &self,
        input: ListReportsForReportGroupInput,
    ) -> Result<ListReportsForReportGroupOutput, ApiError> {
        kiln_model::validate(&input)?;
        let arn = input.report_group_arn.unwrap_or_default();
        self.load_report_group(&arn)?;
        let query = ReportQuery { group_arn: Some(arn), status: status_filter(input.filter.as_ref()) };
        let order = order_of(input.sort_order, Order::Descending);
        let limit = page_size(input.max_results);
        let page = self.store.list_reports(&query, order, input.next_token.as_deref(), limit)?;
        Ok(ListReportsForReportGroupOutput { reports: Some(page.items), next_token: page.next })
    }

    pub fn delete_report(&self, input: DeleteReportInput) -> Result<DeleteReportOutput, ApiError> {
        kiln_model::validate(&input)?;
        // CodeBuild declares no not-found error here: deleting twice succeeds.
        self.store.delete_report(input.arn.as_deref().unwrap_or_default())?;
        Ok(DeleteReportOutput {})
    }
}

fn status_filter(filter: Option<&ReportFilter>) -> Option<String> {
    filter.and_then(|f| f.status).map(|s| s.as_str().to_string())
}

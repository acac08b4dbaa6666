//! CreateReportGroup, UpdateReportGroup, DeleteReportGroup, BatchGetReportGroups,
//! ListReportGroups.

use kiln_model::Timestamp;
use kiln_model::codebuild::*;
use kiln_store::{GroupDeletion, Order, ReportGroupRecord, ReportGroupSort, StoreError};

use super::{group_arn, group_of, page_size};
use crate::projects::{order_of, to_doc};
use crate::{Api, ApiError, now_ms};

impl Api {
    pub fn create_report_group(&self, input: CreateReportGroupInput) -> Result<CreateReportGroupOutput, ApiError> {
        kiln_model::validate(&input)?;
        let name = input.name.unwrap_or_default();
        let export_config = input.export_config.unwrap_or_default();
        check_export_config(&export_config)?;
        let group = ReportGroup {
            arn: Some(group_arn(&self.config, &name)),
            name: Some(name),
            r#type: input.r#type,
            export_config: Some(export_config),
            tags: Some(input.tags.unwrap_or_default()),
            ..Default::default()
        };
        let group = self.store_new_group(group, None)?;
        Ok(CreateReportGroupOutput { report_group: Some(group) })
    }

    pub fn update_report_group(&self, input: UpdateReportGroupInput) -> Result<UpdateReportGroupOutput, ApiError> {
        kiln_model::validate(&input)?;
        let arn = input.arn.unwrap_or_default();
        let (mut record, mut group) = self.load_report_group(&arn)?;
        if let Some(export_config) = input.export_config {
            check_export_config(&export_config)?;
            group.export_config = Some(export_config);
        }
        if let Some(tags) = input.tags {
            group.tags = Some(tags);
        }
        let now = now_ms();
        group.last_modified = Some(Timestamp::from_millis(now));
        record.modified_ms = now;
        record.doc = to_doc(&group)?;
        self.store.update_report_group(&record).map_err(|e| match e {
            // Deleted since we read it.
            StoreError::NotFound(_) => super::group_not_found(&arn),
            other => other.into(),
        })?;
        Ok(UpdateReportGroupOutput { report_group: Some(group) })
    }

    pub fn delete_report_group(&self, input: DeleteReportGroupInput) -> Result<DeleteReportGroupOutput, ApiError> {
        kiln_model::validate(&input)?;
        let arn = input.arn.unwrap_or_default();
        match self.store.delete_report_group(&arn, input.delete_reports.unwrap_or(false))? {
            // CodeBuild declares no not-found error here: deleting twice succeeds.
            GroupDeletion::Deleted | GroupDeletion::Absent => Ok(DeleteReportGroupOutput {}),
            GroupDeletion::HasReports => Err(ApiError::InvalidInput(format!(
                "Report group {arn} cannot be deleted because it contains reports: delete them first, \
                 or set deleteReports to true"
            ))),
        }
    }

    pub fn batch_get_report_groups(
        &self,
        input: BatchGetReportGroupsInput,
    ) -> Result<BatchGetReportGroupsOutput, ApiError> {
        kiln_model::validate(&input)?;
        let asked = input.report_group_arns.unwrap_or_default();
        let records = self.store.get_report_groups(&asked)?;
        let groups = records.iter().map(group_of).collect::<Result<Vec<_>, _>>()?;
        let mut not_found: Vec<String> = Vec::new();
        for arn in &asked {
            if !records.iter().any(|r| &r.arn == arn) && !not_found.contains(arn) {
                not_found.push(arn.clone());
            }
        }
        Ok(BatchGetReportGroupsOutput { report_groups: Some(groups), report_groups_not_found: Some(not_found) })
    }

    pub fn list_report_groups(&self, input: ListReportGroupsInput) -> Result<ListReportGroupsOutput, ApiError> {
        kiln_model::validate(&input)?;
        let sort = match input.sort_by {
            None | Some(ReportGroupSortByType::Name) => ReportGroupSort::Name,
            Some(ReportGroupSortByType::CreatedTime) => ReportGroupSort::Created,
            Some(ReportGroupSortByType::LastModifiedTime) => ReportGroupSort::Modified,
        };
        let order = order_of(input.sort_order, Order::Ascending);
        let limit = page_size(input.max_results);
        let page = self.store.list_report_groups(sort, order, input.next_token.as_deref(), limit)?;
        Ok(ListReportGroupsOutput { report_groups: Some(page.items), next_token: page.next })
    }

    /// Stores a new group (`arn` and `name` set), stamping its times and status. `project` is
    /// the project whose build creates it: such groups count against the per-project limit.
    pub(super) fn store_new_group(
        &self,
        mut group: ReportGroup,
        project: Option<&str>,
    ) -> Result<ReportGroup, ApiError> {
        let arn = group.arn.clone().unwrap_or_default();
        let now = now_ms();
        group.created = Some(Timestamp::from_millis(now));
        group.last_modified = Some(Timestamp::from_millis(now));
        group.status = Some(ReportGroupStatusType::Active);
        let record = ReportGroupRecord {
            arn: arn.clone(),
            name: group.name.clone().unwrap_or_default(),
            project: project.map(str::to_string),
            created_ms: now,
            modified_ms: now,
            doc: to_doc(&group)?,
        };
        self.store.create_report_group(&record, super::record::GROUPS_PER_PROJECT).map_err(|e| match e {
            StoreError::AlreadyExists(_) => {
                ApiError::ResourceAlreadyExists(format!("Report group already exists: {arn}"))
            }
            StoreError::LimitExceeded(_) => ApiError::AccountLimitExceeded(format!(
                "Cannot create report group {arn}: project {} already has the maximum of {} report groups",
                project.unwrap_or_default(),
                super::record::GROUPS_PER_PROJECT
            )),
            other => other.into(),
        })?;
        Ok(group)
    }
}

/// S3 exports need a bucket; the type must be said.
fn check_export_config(config: &ReportExportConfig) -> Result<(), ApiError> {
    match config.export_config_type {
        None => Err(ApiError::InvalidInput("Invalid input: exportConfig.exportConfigType must be set".to_string())),
        Some(ReportExportConfigType::S3) => {
            let bucket = config.s3_destination.as_ref().and_then(|d| d.bucket.as_deref());
            if bucket.is_none_or(str::is_empty) {
                return Err(ApiError::InvalidInput(
                    "Invalid input: exportConfig.s3Destination.bucket must be set when exportConfig.exportConfigType \
                     is S3"
                        .to_string(),
                ));
            }
            Ok(())
        }
        Some(ReportExportConfigType::NoExport) => Ok(()),
    }
}

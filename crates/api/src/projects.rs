//! CreateProject, UpdateProject, DeleteProject, BatchGetProjects, ListProjects.

use kiln_model::Timestamp;
use kiln_model::codebuild::*;
use kiln_store::{Order, ProjectRecord, ProjectSort};

use crate::names::{QUEUED_TIMEOUT_MINUTES, check_project_name, check_range, project_name_from};
use crate::secondary::{check_secondary_artifacts, check_secondary_sources, check_secondary_versions};
use crate::{Api, ApiError, now_ms};

/// Page size of the List* operations.
pub(crate) const PAGE_SIZE: usize = 100;

impl Api {
    pub fn create_project(&self, input: CreateProjectInput) -> Result<CreateProjectOutput, ApiError> {
        kiln_model::validate(&input)?;
        let name = input.name.clone().unwrap_or_default();
        check_project_name("name", &name)?;
        check_range("timeoutInMinutes", input.timeout_in_minutes, 5, 2160)?;
        check_range(
            "queuedTimeoutInMinutes",
            input.queued_timeout_in_minutes,
            QUEUED_TIMEOUT_MINUTES.0,
            QUEUED_TIMEOUT_MINUTES.1,
        )?;
        if let Some(limit) = input.concurrent_build_limit {
            self.check_concurrent_limit(limit)?;
        }
        let now = now_ms();
        let mut project = Project {
            name: Some(name.clone()),
            arn: Some(self.config.project_arn(&name)),
            description: input.description,
            source: input.source,
            secondary_sources: input.secondary_sources,
            source_version: input.source_version,
            secondary_source_versions: input.secondary_source_versions,
            artifacts: input.artifacts,
            secondary_artifacts: input.secondary_artifacts,
            cache: input.cache,
            environment: input.environment,
            service_role: input.service_role,
            timeout_in_minutes: input.timeout_in_minutes,
            queued_timeout_in_minutes: input.queued_timeout_in_minutes,
            encryption_key: input.encryption_key,
            tags: input.tags,
            created: Some(Timestamp::from_millis(now)),
            last_modified: Some(Timestamp::from_millis(now)),
            vpc_config: input.vpc_config,
            badge: Some(ProjectBadge {
                badge_enabled: Some(input.badge_enabled.unwrap_or(false)),
                ..Default::default()
            }),
            logs_config: input.logs_config,
            file_system_locations: input.file_system_locations,
            build_batch_config: input.build_batch_config,
            concurrent_build_limit: input.concurrent_build_limit,
            auto_retry_limit: input.auto_retry_limit,
            ..Default::default()
        };
        self.complete_project(&mut project)?;
        let record = ProjectRecord { name: name.clone(), created_ms: now, modified_ms: now, doc: to_doc(&project)? };
        self.store.create_project(&record).map_err(|e| match e {
            kiln_store::StoreError::AlreadyExists(_) => {
                ApiError::ResourceAlreadyExists(format!("Project already exists: {}", self.config.project_arn(&name)))
            }
            other => other.into(),
        })?;
        Ok(CreateProjectOutput { project: Some(project) })
    }

    pub fn update_project(&self, input: UpdateProjectInput) -> Result<UpdateProjectOutput, ApiError> {
        kiln_model::validate(&input)?;
        let name = project_name_from(input.name.as_deref().unwrap_or_default()).to_string();
        check_range("timeoutInMinutes", input.timeout_in_minutes, 5, 2160)?;
        check_range(
            "queuedTimeoutInMinutes",
            input.queued_timeout_in_minutes,
            QUEUED_TIMEOUT_MINUTES.0,
            QUEUED_TIMEOUT_MINUTES.1,
        )?;
        let mut project = self.load_project(&name)?;
        // Each member given replaces the stored one, as in CodeBuild.
        macro_rules! replace {
            ($($field:ident),*) => { $( if input.$field.is_some() { project.$field = input.$field; } )* };
        }
        replace!(
            description,
            source,
            secondary_sources,
            source_version,
            secondary_source_versions,
            artifacts,
            secondary_artifacts,
            cache,
            environment,
            service_role,
            timeout_in_minutes,
            queued_timeout_in_minutes,
            encryption_key,
            tags,
            vpc_config,
            logs_config,
            file_system_locations,
            build_batch_config,
            auto_retry_limit
        );
        if let Some(enabled) = input.badge_enabled {
            project.badge = Some(ProjectBadge { badge_enabled: Some(enabled), ..Default::default() });
        }
        match input.concurrent_build_limit {
            Some(-1) => project.concurrent_build_limit = None,
            Some(limit) => {
                self.check_concurrent_limit(limit)?;
                project.concurrent_build_limit = Some(limit);
            }
            None => {}
        }
        let now = now_ms();
        project.last_modified = Some(Timestamp::from_millis(now));
        self.complete_project(&mut project)?;
        let created_ms = project.created.map(|t| t.to_millis()).unwrap_or(now);
        let record = ProjectRecord { name, created_ms, modified_ms: now, doc: to_doc(&project)? };
        self.store.update_project(&record)?;
        project.webhook = self.project_webhook(&record.name)?;
        Ok(UpdateProjectOutput { project: Some(project) })
    }

    pub fn delete_project(&self, input: DeleteProjectInput) -> Result<DeleteProjectOutput, ApiError> {
        kiln_model::validate(&input)?;
        let name = project_name_from(input.name.as_deref().unwrap_or_default());
        // CodeBuild declares no error for a missing project here; deleting twice succeeds.
        self.store.delete_project(name)?;
        Ok(DeleteProjectOutput {})
    }

    pub fn batch_get_projects(&self, input: BatchGetProjectsInput) -> Result<BatchGetProjectsOutput, ApiError> {
        kiln_model::validate(&input)?;
        let asked = input.names.unwrap_or_default();
        let names: Vec<String> = asked.iter().map(|n| project_name_from(n).to_string()).collect();
        let records = self.store.get_projects(&names)?;
        let mut projects = Vec::with_capacity(records.len());
        for r in &records {
            let mut project = from_doc::<Project>(&r.doc)?;
            project.webhook = self.project_webhook(&r.name)?;
            projects.push(project);
        }
        let not_found: Vec<String> =
            asked.iter().filter(|n| !records.iter().any(|r| r.name == project_name_from(n))).cloned().collect();
        Ok(BatchGetProjectsOutput { projects: Some(projects), projects_not_found: Some(not_found) })
    }

    pub fn list_projects(&self, input: ListProjectsInput) -> Result<ListProjectsOutput, ApiError> {
        kiln_model::validate(&input)?;
        let sort = match input.sort_by {
            None | Some(ProjectSortByType::Name) => ProjectSort::Name,
            Some(ProjectSortByType::CreatedTime) => ProjectSort::Created,
            Some(ProjectSortByType::LastModifiedTime) => ProjectSort::Modified,
        };
        let order = order_of(input.sort_order, Order::Ascending);
        let page = self.store.list_projects(sort, order, input.next_token.as_deref(), PAGE_SIZE)?;
        Ok(ListProjectsOutput { projects: Some(page.items), next_token: page.next })
    }

    /// The stored project, or CodeBuild's not-found error.
    pub(crate) fn load_project(&self, name: &str) -> Result<Project, ApiError> {
        match self.store.get_project(name)? {
            Some(record) => from_doc(&record.doc),
            None => Err(self.project_not_found(name)),
        }
    }

    /// Fails like [`Api::load_project`] when the project does not exist, without decoding it.
    pub(crate) fn require_project(&self, name: &str) -> Result<(), ApiError> {
        match self.store.get_project(name)? {
            Some(_) => Ok(()),
            None => Err(self.project_not_found(name)),
        }
    }

    fn project_not_found(&self, name: &str) -> ApiError {
        ApiError::ResourceNotFound(format!("Project cannot be found: {}", self.config.project_arn(name)))
    }

    fn check_concurrent_limit(&self, limit: i32) -> Result<(), ApiError> {
        let account = self.config.concurrency as i64;
        if limit < 1 {
            return Err(ApiError::InvalidInput(format!(
                "Invalid input: concurrentBuildLimit must be at least 1, got {limit}"
            )));
        }
        if i64::from(limit) > account {
            return Err(ApiError::InvalidInput(format!(
                "Project-level concurrent build limit cannot exceed the account-level concurrent build limit of {account}"
            )));
        }
        Ok(())
    }

    /// Checks what the model cannot say and fills the defaults CodeBuild fills.
    fn complete_project(&self, project: &mut Project) -> Result<(), ApiError> {
        let name = project.name.clone().unwrap_or_default();
        if let Some(source) = project.source.as_mut() {
            check_source("source", source)?;
        }
        for (i, source) in project.secondary_sources.iter_mut().flatten().enumerate() {
            check_source(&format!("secondarySources[{i}]"), source)?;
        }
        let secondary_sources = project.secondary_sources.as_deref().unwrap_or_default();
        check_secondary_sources("secondarySources", secondary_sources)?;
        let versions = project.secondary_source_versions.as_deref().unwrap_or_default();
        check_secondary_versions("secondarySourceVersions", versions, secondary_sources)?;
        check_secondary_artifacts("secondaryArtifacts", project.secondary_artifacts.as_deref().unwrap_or_default())?;
        if let Some(artifacts) = project.artifacts.as_mut() {
            complete_artifacts("artifacts", artifacts, &name)?;
        }
        for (i, artifacts) in project.secondary_artifacts.iter_mut().flatten().enumerate() {
            complete_artifacts(&format!("secondaryArtifacts[{i}]"), artifacts, &name)?;
        }
        if let Some(env) = project.environment.as_mut() {
            env.image_pull_credentials_type.get_or_insert(ImagePullCredentialsType::Codebuild);
            env.privileged_mode.get_or_insert(false);
            env.environment_variables.get_or_insert_with(Vec::new);
            for var in env.environment_variables.iter_mut().flatten() {
                var.r#type.get_or_insert(EnvironmentVariableType::Plaintext);
            }
        }
        project.timeout_in_minutes.get_or_insert(60);
        project.queued_timeout_in_minutes.get_or_insert(480);
        project.encryption_key.get_or_insert_with(|| {
            format!("arn:aws:kms:{}:{}:alias/aws/s3", self.config.region, self.config.account_id)
        });
        project.cache.as_ref().map_or(Ok(()), |cache| crate::cache::check_cache("cache", cache))?;
        project.cache.get_or_insert(ProjectCache { r#type: Some(CacheType::NoCache), ..Default::default() });
        project.tags.get_or_insert_with(Vec::new);
        let logs = project.logs_config.get_or_insert_with(LogsConfig::default);
        logs.cloud_watch_logs
            .get_or_insert(CloudWatchLogsConfig { status: Some(LogsConfigStatusType::Enabled), ..Default::default() });
        logs.s3_logs.get_or_insert(S3LogsConfig {
            status: Some(LogsConfigStatusType::Disabled),
            encryption_disabled: Some(false),
            ..Default::default()
        });
        project.project_visibility.get_or_insert(ProjectVisibilityType::Private);
        Ok(())
    }
}

/// Source rules: a location for every type that fetches something, a buildspec for NO_SOURCE.
pub(crate) fn check_source(field: &str, source: &mut ProjectSource) -> Result<(), ApiError> {
    let kind = source.r#type.unwrap_or(SourceType::NoSource);
    match kind {
        SourceType::Codepipeline => {
            return Err(ApiError::InvalidInput(format!(
                "Invalid input: {field}.type CODEPIPELINE is not supported by Kiln: builds run outside CodePipeline"
            )));
        }
        SourceType::NoSource => {
            if source.buildspec.as_deref().is_none_or(str::is_empty) {
                return Err(ApiError::InvalidInput(format!(
                    "Invalid input: {field}.buildspec must be set when {field}.type is NO_SOURCE"
                )));
            }
        }
        _ => {
            if source.location.as_deref().is_none_or(str::is_empty) {
                return Err(ApiError::InvalidInput(format!(
                    "Invalid input: {field}.location must be set for source type {kind}"
                )));
            }
        }
    }
    if let Some(depth) = source.git_clone_depth
        && depth < 0
    {
        return Err(ApiError::InvalidInput(format!(
            "Invalid input: {field}.gitCloneDepth must be 0 or more, got {depth}"
        )));
    }
    source.insecure_ssl.get_or_insert(false);
    Ok(())
}

pub(crate) fn complete_artifacts(field: &str, artifacts: &mut ProjectArtifacts, project: &str) -> Result<(), ApiError> {
    match artifacts.r#type {
        Some(ArtifactsType::S3) => {
            if artifacts.location.as_deref().is_none_or(str::is_empty) {
                return Err(ApiError::InvalidInput(format!(
                    "Invalid input: {field}.location must be set for artifact type S3"
                )));
            }
            artifacts.name.get_or_insert_with(|| project.to_string());
            artifacts.namespace_type.get_or_insert(ArtifactNamespace::None);
            artifacts.packaging.get_or_insert(ArtifactPackaging::None);
            artifacts.encryption_disabled.get_or_insert(false);
        }
        Some(ArtifactsType::Codepipeline) => {
            return Err(ApiError::InvalidInput(format!(
                "Invalid input: {field}.type CODEPIPELINE is not supported by Kiln: builds run outside CodePipeline"
            )));
        }
        _ => {}
    }
    Ok(())
}

pub(crate) fn order_of(order: Option<SortOrderType>, default: Order) -> Order {
    match order {
        Some(SortOrderType::Ascending) => Order::Ascending,
        Some(SortOrderType::Descending) => Order::Descending,
        None => default,
    }
}

pub(crate) fn to_doc<T: serde::Serialize>(value: &T) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(|e| ApiError::Internal(format!("cannot encode document: {e}")))
}

pub(crate) fn from_doc<T: serde::de::DeserializeOwned>(doc: &str) -> Result<T, ApiError> {
    serde_json::from_str(doc).map_err(|e| ApiError::Internal(format!("stored document is unreadable: {e}")))
}

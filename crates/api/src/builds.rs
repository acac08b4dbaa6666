//! StartBuild, BatchGetBuilds, ListBuilds, ListBuildsForProject, StopBuild, RetryBuild,
//! BatchDeleteBuilds.

use kiln_model::Timestamp;
use kiln_model::codebuild::*;
use kiln_store::{BuildRecord, BuildState, IdempotencyRecord, Order};
use kiln_wire::Protocol;
use kiln_wire::transcode;

use crate::lifecycle::{complete, end_phase, start_phase};
use crate::names::{QUEUED_TIMEOUT_MINUTES, build_id_from, check_project_name, check_range};
use crate::projects::{PAGE_SIZE, check_source, complete_artifacts, from_doc, order_of, to_doc};
use crate::secondary::{check_secondary_artifacts, check_secondary_sources, check_secondary_versions};
use crate::settings::{BuildSettings, artifact_location};
use crate::{Api, ApiError, Caller, now_ms};

/// How long an idempotency token is remembered (CodeBuild: 5 minutes).
const IDEMPOTENCY_WINDOW_MS: i64 = 5 * 60 * 1000;

/// How long StopBuild waits for a running build to end before answering with its current state.
const STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

impl Api {
    pub fn start_build(&self, input: StartBuildInput, caller: &Caller) -> Result<StartBuildOutput, ApiError> {
        kiln_model::validate(&input)?;
        let project_name = input.project_name.clone().unwrap_or_default();
        check_project_name("projectName", &project_name)?;
        check_range("timeoutInMinutesOverride", input.timeout_in_minutes_override, 5, 2160)?;
        check_range(
            "queuedTimeoutInMinutesOverride",
            input.queued_timeout_in_minutes_override,
            QUEUED_TIMEOUT_MINUTES.0,
            QUEUED_TIMEOUT_MINUTES.1,
        )?;
        if let Some(depth) = input.git_clone_depth_override
            && depth < 0
        {
            return Err(ApiError::InvalidInput(format!(
                "Invalid input: gitCloneDepthOverride must be 0 or more, got {depth}"
            )));
        }
        let project = self.load_project(&project_name)?;
        let token = input.idempotency_token.clone();
        let request_hash = {
            let mut unkeyed = input.clone();
            unkeyed.idempotency_token = None;
            to_doc(&unkeyed)?
        };
        let _serialised = token.as_ref().map(|_| self.lock_idempotency());
        if let Some(token) = &token
            && let Some(build) = self.replay_idempotent(token, &request_hash)?
        {
            return Ok(StartBuildOutput { build: Some(build) });
        }
        let (build, settings) = self.build_from_project(&project, &input, caller)?;
        let build = self.enqueue(&project, build, &settings, token.map(|t| (t, request_hash)))?;
        Ok(StartBuildOutput { build: Some(build) })
    }

    pub fn batch_get_builds(&self, input: BatchGetBuildsInput) -> Result<BatchGetBuildsOutput, ApiError> {
        let (records, not_found) = self.find_builds(input)?;
        let mut builds = Vec::with_capacity(records.len());
        for r in &records {
            builds.push(from_doc::<Build>(&r.doc)?);
        }
        Ok(BatchGetBuildsOutput { builds: Some(builds), builds_not_found: Some(not_found) })
    }

    /// BatchGetBuilds' answer encoded for `protocol` straight from the stored documents. They
    /// are the model's JSON already (`serde_json::to_string(&Build)`): AWS JSON 1.1 splices them
    /// in as they are, RPC v2 CBOR transcodes them (or splices the CBOR of a document polled
    /// before and unchanged since, see `encoded_builds`), so the most polled call skips decoding a
    /// hundred builds into typed values. The same answer as [`Api::batch_get_builds`] encoded (a
    /// test compares them).
    pub fn batch_get_builds_encoded(
        &self,
        input: BatchGetBuildsInput,
        protocol: Protocol,
    ) -> Result<Vec<u8>, ApiError> {
        let (records, not_found) = self.find_builds(input)?;
        let mut out = Vec::with_capacity(records.iter().map(|r| r.doc.len() + 1).sum::<usize>() + 64);
        match protocol {
            Protocol::AwsJson11 => {
                out.extend_from_slice(br#"{"builds":["#);
                for (i, r) in records.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(r.doc.as_bytes());
                }
                out.extend_from_slice(br#"],"buildsNotFound":"#);
                serde_json::to_writer(&mut out, &not_found).map_err(|e| ApiError::Internal(e.to_string()))?;
                out.push(b'}');
            }
            Protocol::RpcV2Cbor => {
                transcode::write_map_head(&mut out, 2);
                transcode::write_text(&mut out, "builds");
                transcode::write_array_head(&mut out, records.len());
                for r in &records {
                    self.encoded_builds
                        .write(&r.id, &r.doc, BUILD_TIMESTAMP_MEMBERS, &mut out)
                        .map_err(|e| ApiError::Internal(format!("stored build {} is not valid JSON: {e}", r.id)))?;
                }
                transcode::write_text(&mut out, "buildsNotFound");
                transcode::write_array_head(&mut out, not_found.len());
                for id in &not_found {
                    transcode::write_text(&mut out, id);
                }
            }
        }
        Ok(out)
    }

    /// The stored builds among the ids asked (ids or ARNs), and the ids asked that are not.
    fn find_builds(&self, input: BatchGetBuildsInput) -> Result<(Vec<BuildRecord>, Vec<String>), ApiError> {
        kiln_model::validate(&input)?;
        let asked = input.ids.unwrap_or_default();
        let ids: Vec<String> = asked.iter().map(|i| build_id_from(i).to_string()).collect();
        let records = self.store.get_builds(&ids)?;
        let mut not_found = Vec::new();
        for (asked_id, id) in asked.iter().zip(&ids) {
            if !records.iter().any(|r| &r.id == id) && !not_found.contains(asked_id) {
                not_found.push(asked_id.clone());
            }
        }
        Ok((records, not_found))
    }

    pub fn list_builds(&self, input: ListBuildsInput) -> Result<ListBuildsOutput, ApiError> {
        kiln_model::validate(&input)?;
        let order = order_of(input.sort_order, Order::Descending);
        let page = self.store.list_builds(order, input.next_token.as_deref(), PAGE_SIZE)?;
        Ok(ListBuildsOutput { ids: Some(page.items), next_token: page.next })
    }

    pub fn list_builds_for_project(
        &self,
        input: ListBuildsForProjectInput,
    ) -> Result<ListBuildsForProjectOutput, ApiError> {
        kiln_model::validate(&input)?;
        let name = crate::names::project_name_from(input.project_name.as_deref().unwrap_or_default()).to_string();
        self.require_project(&name)?;
        let order = order_of(input.sort_order, Order::Descending);
        let page = self.store.list_builds_for_project(&name, order, input.next_token.as_deref(), PAGE_SIZE)?;
        Ok(ListBuildsForProjectOutput { ids: Some(page.items), next_token: page.next })
    }

    pub fn stop_build(&self, input: StopBuildInput) -> Result<StopBuildOutput, ApiError> {
        kiln_model::validate(&input)?;
        let id = build_id_from(input.id.as_deref().unwrap_or_default()).to_string();
        let mut refusal = None;
        let mut was_running = false;
        let record = self.store.update_build(&id, &mut |record| {
            match record.state {
                BuildState::Done => {
                    let status = from_doc::<Build>(&record.doc)
                        .ok()
                        .and_then(|b| b.build_status)
                        .map(|s| s.as_str())
                        .unwrap_or("UNKNOWN");
                    refusal =
                        Some(format!("Build {id} cannot be stopped: it has already completed with status {status}"));
                }
                BuildState::Queued => {
                    // Never started: it ends here, STOPPED, as CodeBuild ends a queued build.
                    if let Ok(mut build) = from_doc::<Build>(&record.doc) {
                        complete(&mut build, StatusType::Stopped, now_ms());
                        if let Ok(doc) = to_doc(&build) {
                            record.doc = doc;
                            record.state = BuildState::Done;
                        }
                    }
                }
                BuildState::Running => {
                    record.stop_requested = true;
                    was_running = true;
                }
            }
        })?;
        let Some(record) = record else {
            return Err(ApiError::ResourceNotFound(format!("Build {id} not found")));
        };
        if let Some(message) = refusal {
            return Err(ApiError::InvalidInput(message));
        }
        if was_running {
            self.scheduler.stop(&id);
            // CodeBuild answers StopBuild with the build already STOPPED; the process group
            // usually ends within milliseconds of SIGTERM, so wait a little for it.
            self.scheduler.wait_until_finished(&id, STOP_WAIT);
            if let Some(stopped) = self.store.get_build(&id)? {
                return Ok(StopBuildOutput { build: Some(from_doc(&stopped.doc)?) });
            }
        } else {
            // A slot may be free for the project's next queued build.
            self.scheduler.wake();
        }
        Ok(StopBuildOutput { build: Some(from_doc(&record.doc)?) })
    }

    pub fn retry_build(&self, input: RetryBuildInput, caller: &Caller) -> Result<RetryBuildOutput, ApiError> {
        kiln_model::validate(&input)?;
        let id = build_id_from(input.id.as_deref().unwrap_or_default()).to_string();
        let Some(old) = self.store.get_build(&id)? else {
            return Err(ApiError::ResourceNotFound(format!("Build {id} not found")));
        };
        let request_hash = format!("retry:{id}");
        let _serialised = input.idempotency_token.as_ref().map(|_| self.lock_idempotency());
        if let Some(token) = &input.idempotency_token
            && let Some(build) = self.replay_idempotent(token, &request_hash)?
        {
            return Ok(RetryBuildOutput { build: Some(build) });
        }
        let settings = BuildSettings::from_json(&old.settings);
        let old: Build = from_doc(&old.doc)?;
        let project_name = old.project_name.clone().unwrap_or_default();
        let project = self.load_project(&project_name)?;
        // A retry runs the same settings as the original: the build document records them all.
        let mut build = Build {
            source: old.source,
            secondary_sources: old.secondary_sources,
            source_version: old.source_version,
            secondary_source_versions: old.secondary_source_versions,
            cache: old.cache,
            environment: old.environment,
            service_role: old.service_role,
            timeout_in_minutes: old.timeout_in_minutes,
            queued_timeout_in_minutes: old.queued_timeout_in_minutes,
            encryption_key: old.encryption_key,
            ..Default::default()
        };
        self.fill_new_build(&mut build, &project, caller);
        show_artifacts(&mut build, &settings);
        let build = self.enqueue(&project, build, &settings, input.idempotency_token.map(|t| (t, request_hash)))?;
        Ok(RetryBuildOutput { build: Some(build) })
    }

    pub fn batch_delete_builds(&self, input: BatchDeleteBuildsInput) -> Result<BatchDeleteBuildsOutput, ApiError> {
        kiln_model::validate(&input)?;
        let asked: Vec<String> = input.ids.unwrap_or_default();
        let ids: Vec<String> = asked.iter().map(|i| build_id_from(i).to_string()).collect();
        let records = self.store.get_builds(&ids)?;
        let mut deletable = Vec::new();
        let mut not_deleted = Vec::new();
        for id in &ids {
            match records.iter().find(|r| &r.id == id) {
                Some(r) if r.state == BuildState::Done => deletable.push(id.clone()),
                Some(_) => not_deleted
                    .push(BuildNotDeleted { id: Some(id.clone()), status_code: Some("BUILD_IN_PROGRESS".to_string()) }),
                None => not_deleted
                    .push(BuildNotDeleted { id: Some(id.clone()), status_code: Some("BUILD_NOT_FOUND".to_string()) }),
            }
        }
        let deleted = self.store.delete_builds(&deletable)?;
        Ok(BatchDeleteBuildsOutput { builds_deleted: Some(deleted), builds_not_deleted: Some(not_deleted) })
    }

    fn lock_idempotency(&self) -> std::sync::MutexGuard<'_, ()> {
        match self.idempotency.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// A build made with the same token and the same parameters within the window, or the
    /// parameter-mismatch error when the parameters differ.
    fn replay_idempotent(&self, token: &str, request_hash: &str) -> Result<Option<Build>, ApiError> {
        let Some(found) = self.store.find_idempotency(token, now_ms() - IDEMPOTENCY_WINDOW_MS)? else {
            return Ok(None);
        };
        if found.request_hash != request_hash {
            return Err(ApiError::InvalidInput(format!(
                "Idempotent token parameter mismatch: idempotencyToken '{token}' was used within the last 5 minutes \
                 with different parameters"
            )));
        }
        match self.store.get_build(&found.build_id)? {
            Some(record) => Ok(Some(from_doc(&record.doc)?)),
            None => Ok(None),
        }
    }

    /// Stores a new build QUEUED and wakes the scheduler.
    fn enqueue(
        &self,
        project: &Project,
        build: Build,
        settings: &BuildSettings,
        idempotency: Option<(String, String)>,
    ) -> Result<Build, ApiError> {
        let project_name = build.project_name.clone().unwrap_or_default();
        let id = build.id.clone().unwrap_or_default();
        let now = self.next_submission_ms();
        self.check_limits(project, &project_name)?;
        let record = BuildRecord {
            id: id.clone(),
            project: project_name,
            number: 0,
            state: BuildState::Queued,
            submitted_ms: now,
            stop_requested: false,
            doc: String::new(),
            settings: settings.to_json(),
        };
        let idem = idempotency.map(|(token, request_hash)| IdempotencyRecord {
            token,
            request_hash,
            build_id: id.clone(),
            created_ms: now,
        });
        let encode_error = std::cell::RefCell::new(None);
        let stored = self.store.insert_build(
            &record,
            &|number| {
                let mut b = build.clone();
                b.build_number = Some(number);
                to_doc(&b).unwrap_or_else(|e| {
                    *encode_error.borrow_mut() = Some(e);
                    String::new()
                })
            },
            idem.as_ref(),
        )?;
        if let Some(e) = encode_error.into_inner() {
            return Err(e);
        }
        self.scheduler.wake();
        from_doc(&stored.doc)
    }

    /// CodeBuild's limits at submission: the project's concurrent build limit (StartBuild fails,
    /// builds are not queued past it) and the account's queue limit.
    fn check_limits(&self, project: &Project, project_name: &str) -> Result<(), ApiError> {
        if let Some(limit) = project.concurrent_build_limit {
            let active = self.store.active_builds_of_project(project_name)?;
            if active >= usize::try_from(limit).unwrap_or(0) {
                return Err(ApiError::AccountLimitExceeded(format!(
                    "Build concurrency limit of {limit} reached for project {project_name}"
                )));
            }
        }
        let queue_limit = self.config.max_queued.max(1);
        if self.store.count_builds_in_state(BuildState::Queued, queue_limit)? >= queue_limit {
            return Err(ApiError::AccountLimitExceeded(format!(
                "Cannot have more than {queue_limit} builds in queue for the account"
            )));
        }
        Ok(())
    }

    /// The build a StartBuild request describes: the project's settings with the overrides, and
    /// the settings the Build shape does not show.
    fn build_from_project(
        &self,
        project: &Project,
        input: &StartBuildInput,
        caller: &Caller,
    ) -> Result<(Build, BuildSettings), ApiError> {
        let mut source = project.source.clone().unwrap_or_default();
        if let Some(t) = input.source_type_override {
            source.r#type = Some(t);
        }
        if input.source_location_override.is_some() {
            source.location = input.source_location_override.clone();
        }
        if input.git_clone_depth_override.is_some() {
            source.git_clone_depth = input.git_clone_depth_override;
        }
        if input.git_submodules_config_override.is_some() {
            source.git_submodules_config = input.git_submodules_config_override.clone();
        }
        if input.buildspec_override.is_some() {
            source.buildspec = input.buildspec_override.clone();
        }
        if input.insecure_ssl_override.is_some() {
            source.insecure_ssl = input.insecure_ssl_override;
        }
        if input.report_build_status_override.is_some() {
            source.report_build_status = input.report_build_status_override;
        }
        if input.source_auth_override.is_some() {
            source.auth = input.source_auth_override.clone();
        }
        check_source("source", &mut source)?;
        input.cache_override.as_ref().map_or(Ok(()), |cache| crate::cache::check_cache("cacheOverride", cache))?;
        let mut secondary_sources =
            input.secondary_sources_override.clone().or_else(|| project.secondary_sources.clone());
        for (i, s) in secondary_sources.iter_mut().flatten().enumerate() {
            check_source(&format!("secondarySourcesOverride[{i}]"), s)?;
        }
        check_secondary_sources("secondarySourcesOverride", secondary_sources.as_deref().unwrap_or_default())?;
        let secondary_source_versions = match &input.secondary_sources_version_override {
            Some(v) => Some(v.clone()),
            None => project.secondary_source_versions.clone(),
        };
        check_secondary_versions(
            "secondarySourcesVersionOverride",
            secondary_source_versions.as_deref().unwrap_or_default(),
            secondary_sources.as_deref().unwrap_or_default(),
        )?;

        let mut environment = project.environment.clone().unwrap_or_default();
        if let Some(v) = &input.image_override {
            environment.image = Some(v.clone());
        }
        if let Some(v) = input.compute_type_override {
            environment.compute_type = Some(v);
        }
        if let Some(v) = input.environment_type_override {
            environment.r#type = Some(v);
        }
        if let Some(v) = input.privileged_mode_override {
            environment.privileged_mode = Some(v);
        }
        if let Some(v) = &input.certificate_override {
            environment.certificate = Some(v.clone());
        }
        if let Some(v) = input.image_pull_credentials_type_override {
            environment.image_pull_credentials_type = Some(v);
        }
        if let Some(v) = &input.registry_credential_override {
            environment.registry_credential = Some(v.clone());
        }
        if let Some(overrides) = &input.environment_variables_override {
            let vars = environment.environment_variables.get_or_insert_with(Vec::new);
            for o in overrides {
                let mut o = o.clone();
                o.r#type.get_or_insert(EnvironmentVariableType::Plaintext);
                match vars.iter_mut().find(|v| v.name == o.name) {
                    Some(existing) => *existing = o,
                    None => vars.push(o),
                }
            }
        }

        let project_name = project.name.clone().unwrap_or_default();
        let mut artifacts = input.artifacts_override.clone().or_else(|| project.artifacts.clone());
        if let Some(a) = artifacts.as_mut() {
            complete_artifacts("artifactsOverride", a, &project_name)?;
        }
        let mut secondary_artifacts = input
            .secondary_artifacts_override
            .clone()
            .or_else(|| project.secondary_artifacts.clone())
            .unwrap_or_default();
        for (i, a) in secondary_artifacts.iter_mut().enumerate() {
            complete_artifacts(&format!("secondaryArtifactsOverride[{i}]"), a, &project_name)?;
        }
        check_secondary_artifacts("secondaryArtifactsOverride", &secondary_artifacts)?;
        let settings = BuildSettings { artifacts, secondary_artifacts };
        let mut build = Build {
            source: Some(source),
            secondary_sources,
            source_version: input.source_version.clone().or_else(|| project.source_version.clone()),
            secondary_source_versions,
            cache: input.cache_override.clone().or_else(|| project.cache.clone()),
            environment: Some(environment),
            service_role: input.service_role_override.clone().or_else(|| project.service_role.clone()),
            timeout_in_minutes: input.timeout_in_minutes_override.or(project.timeout_in_minutes).or(Some(60)),
            queued_timeout_in_minutes: input
                .queued_timeout_in_minutes_override
                .or(project.queued_timeout_in_minutes)
                .or(Some(480)),
            encryption_key: input.encryption_key_override.clone().or_else(|| project.encryption_key.clone()),
            ..Default::default()
        };
        if let Some(logs) = input.logs_config_override.clone().or_else(|| project.logs_config.clone()) {
            build.logs = Some(LogsLocation {
                cloud_watch_logs: logs.cloud_watch_logs,
                s3_logs: logs.s3_logs,
                ..Default::default()
            });
        }
        self.fill_new_build(&mut build, project, caller);
        show_artifacts(&mut build, &settings);
        Ok((build, settings))
    }

    /// Identity, status and the first two phases of a new build.
    fn fill_new_build(&self, build: &mut Build, project: &Project, caller: &Caller) {
        let project_name = project.name.clone().unwrap_or_default();
        let id = format!("{project_name}:{}", uuid::Uuid::new_v4());
        let now = now_ms();
        build.arn = Some(self.config.build_arn(&id));
        build.id = Some(id);
        build.project_name = Some(project_name);
        build.start_time = Some(Timestamp::from_millis(now));
        build.build_status = Some(StatusType::InProgress);
        build.build_complete = Some(false);
        build.initiator = Some(caller.access_key_id.clone().unwrap_or_else(|| "kiln".to_string()));
        build.phases = None;
        start_phase(build, BuildPhaseType::Submitted, now);
        end_phase(build, StatusType::Succeeded, None, now);
        start_phase(build, BuildPhaseType::Queued, now);
        // Until the build is provisioned its log stream does not exist: CodeBuild shows null.
        let logs = build.logs.get_or_insert_with(LogsLocation::default);
        logs.deep_link = Some(format!(
            "https://console.aws.amazon.com/cloudwatch/home?region={}#logEvent:group=null;stream=null",
            self.config.region
        ));
    }
}

/// What a build reports of its artifact settings before they are uploaded: CodeBuild shows
/// where S3 artifacts will go from the start; NO_ARTIFACTS has "".
fn show_artifacts(build: &mut Build, settings: &BuildSettings) {
    let id = build.id.clone().unwrap_or_default();
    let show = |a: &ProjectArtifacts| BuildArtifacts {
        location: Some(artifact_location(a, &id)),
        encryption_disabled: a.encryption_disabled,
        override_artifact_name: a.override_artifact_name,
        artifact_identifier: a.artifact_identifier.clone(),
        ..Default::default()
    };
    build.artifacts = Some(match &settings.artifacts {
        Some(a) => show(a),
        None => BuildArtifacts { location: Some(String::new()), ..Default::default() },
    });
    build.secondary_artifacts = if settings.secondary_artifacts.is_empty() {
        None
    } else {
        Some(settings.secondary_artifacts.iter().map(show).collect())
    };
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::testing::api;

    #[test]
    fn the_answers_from_stored_documents_are_the_typed_answer_encoded() {
        let api = api();
        let buildspec = "version: 0.2\nphases:\n  build:\n    commands: [\"echo \\\"quoted\\\" é\"]\n";
        let mut input = crate::testing::no_source_project("pp", buildspec);
        if let Some(environment) = input.environment.as_mut() {
            environment.environment_variables = Some(vec![EnvironmentVariable {
                name: Some("A".into()),
                value: Some("line\nbreak".into()),
                ..Default::default()
            }]);
        }
        api.create_project(input).expect("create project");
        let caller = Caller::default();
        let started: Vec<String> = (0..2)
            .map(|_| {
                let out =
                    api.start_build(StartBuildInput { project_name: Some("pp".into()), ..Default::default() }, &caller);
                out.expect("start").build.and_then(|b| b.id).expect("an id")
            })
            .collect();
        let arn = api.config.build_arn(&started[1]);
        let empty = || BatchGetBuildsInput { ids: Some(vec![]) };
        for protocol in [Protocol::AwsJson11, Protocol::RpcV2Cbor] {
            let encoded = api.batch_get_builds_encoded(empty(), protocol).map(|_| ());
            assert_eq!(encoded, api.batch_get_builds(empty()).map(|_| ()));
        }
        for ids in [vec![started[0].clone(), "pp:missing".into(), arn, started[0].clone()], vec!["x:y".into()]] {
            let input = || BatchGetBuildsInput { ids: Some(ids.clone()) };
            let typed = api.batch_get_builds(input()).expect("typed");
            let typed_json: Value =
                serde_json::from_slice(&kiln_wire::encode(Protocol::AwsJson11, &typed)).expect("typed JSON");
            let spliced = api.batch_get_builds_encoded(input(), Protocol::AwsJson11).expect("spliced");
            let spliced: Value = serde_json::from_slice(&spliced).expect("spliced JSON");
            assert_eq!(spliced, typed_json, "ids {ids:?}");

            let typed_cbor: ciborium::Value =
                ciborium::from_reader(kiln_wire::encode(Protocol::RpcV2Cbor, &typed).as_slice()).expect("typed CBOR");
            let transcoded = api.batch_get_builds_encoded(input(), Protocol::RpcV2Cbor).expect("transcoded");
            let transcoded: ciborium::Value = ciborium::from_reader(transcoded.as_slice()).expect("transcoded CBOR");
            assert_eq!(transcoded, typed_cbor, "ids {ids:?}");
        }
        // The CBOR kept from the calls above follows a document that changed since.
        let one = || BatchGetBuildsInput { ids: Some(vec![started[0].clone()]) };
        let transcoded = |api: &Api| -> ciborium::Value {
            let bytes = api.batch_get_builds_encoded(one(), Protocol::RpcV2Cbor).expect("transcoded");
            ciborium::from_reader(bytes.as_slice()).expect("transcoded CBOR")
        };
        let before = transcoded(&api);
        api.stop_build(StopBuildInput { id: Some(started[0].clone()) }).expect("stop");
        let typed = api.batch_get_builds(one()).expect("typed");
        let typed_cbor: ciborium::Value =
            ciborium::from_reader(kiln_wire::encode(Protocol::RpcV2Cbor, &typed).as_slice()).expect("typed CBOR");
        let after = transcoded(&api);
        assert_ne!(after, before, "the stop changed the build");
        assert_eq!(after, typed_cbor);
    }
}

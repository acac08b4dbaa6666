//! Turns the agent's events into changes of the build document and its log, in the store.

use std::sync::Arc;
use std::time::{Duration, Instant};

use kiln_agent::protocol::{Context, Event};
use kiln_api::lifecycle::{complete, context, end_phase, running_phase, start_phase};
use kiln_model::codebuild::{
    Build, BuildArtifacts, BuildPhaseType, ExportedEnvironmentVariable, PhaseContext, ProjectSourceVersion, StatusType,
};
use kiln_store::{BuildState, LogLines, LogText, Store};

use crate::log_writer::LogWriter;
use crate::metrics::{NoMetrics, PhaseObserver, ended_phases};
use crate::reports::ReportRecorder;

/// Pending log text is written once it reaches this size (or at the next flush tick).
const LOG_BATCH_BYTES: usize = 1 << 20;
/// What a batch of spooled lines counts towards [`LOG_BATCH_BYTES`]: only its place is stored.
const SPOOLED_BATCH_BYTES: usize = 64;
/// How long the places of spooled lines may wait to be stored. Storing them first makes the
/// spool file durable (an fsync), which slows down a build writing to it; at this pace it
/// costs little, and the lines still show up live. Phase and status changes store them at once.
const SPOOLED_WAIT: Duration = Duration::from_millis(250);

pub struct Recorder {
    store: Arc<dyn Store>,
    build_id: String,
    /// Log lines not yet stored, a batch per arrival time; `pending_bytes` is their size.
    pending: Vec<LogLines>,
    pending_bytes: usize,
    /// When the oldest pending spooled batch arrived.
    spooled_since: Option<Instant>,
    /// Stores the build's test reports; `None` where reports are not kept.
    reports: Option<ReportRecorder>,
    /// Told the duration of every phase this recorder ends.
    metrics: Arc<dyn PhaseObserver>,
    /// The agent reported the build's result.
    pub finished: bool,
    log: LogWriter,
}

impl Recorder {
    pub fn new(store: Arc<dyn Store>, build_id: String) -> Self {
        Recorder {
            log: LogWriter::start(Arc::clone(&store), build_id.clone()),
            store,
            build_id,
            pending: Vec::new(),
            pending_bytes: 0,
            spooled_since: None,
            reports: None,
            metrics: Arc::new(NoMetrics),
            finished: false,
        }
    }

    /// Reports ended phases to `metrics`.
    pub fn with_metrics(mut self, metrics: Arc<dyn PhaseObserver>) -> Self {
        self.metrics = metrics;
        self
    }

    /// Also stores the reports the agent reads.
    pub fn with_reports(mut self, reports: ReportRecorder) -> Self {
        self.reports = Some(reports);
        self
    }

    /// Applies one event. Phase and status changes store the pending log lines first, so that a
    /// reader who sees a phase change also sees the lines that came before it.
    pub fn apply(&mut self, event: Event) {
        match event {
            Event::Log { at_ms, line } => self.push_lines(at_ms, kiln_api::now_ms(), std::iter::once(line.as_str())),
            Event::Lines { at_ms, lines } => {
                self.push_lines(at_ms, kiln_api::now_ms(), lines.iter().map(String::as_str))
            }
            Event::Spooled { at_ms, offset, len, lines } => self.push_spooled(at_ms, offset, len, lines),
            Event::SpoolFailed { error } => self.log.fail(&format!("cannot write the log spool: {error}")),
            Event::PhaseStart { phase, at_ms } => {
                let Ok(phase) = phase.parse::<BuildPhaseType>() else { return };
                self.change(|b| {
                    if running_phase(b).is_some() {
                        end_phase(b, StatusType::Succeeded, None, at_ms);
                    }
                    start_phase(b, phase, at_ms);
                });
            }
            Event::PhaseEnd { phase: _, status, contexts, at_ms } => {
                let Ok(status) = status.parse::<StatusType>() else { return };
                let contexts: Vec<PhaseContext> = contexts.iter().map(phase_context).collect();
                self.change(|b| end_phase(b, status, Some(contexts.clone()), at_ms));
            }
            Event::SourceResolved { commit } => {
                self.change(|b| b.resolved_source_version = Some(commit.clone()));
            }
            Event::Exported { variables } => {
                let vars: Vec<ExportedEnvironmentVariable> = variables
                    .into_iter()
                    .map(|(name, value)| ExportedEnvironmentVariable { name: Some(name), value: Some(value) })
                    .collect();
                self.change(|b| b.exported_environment_variables = Some(vars.clone()));
            }
            Event::SecondarySourceResolved { identifier, commit } => {
                self.change(|b| record_secondary_version(b, &identifier, &commit));
            }
            Event::Artifacts { identifier, location, sha256, md5 } => {
                self.change(|b| {
                    let artifacts = match &identifier {
                        None => b.artifacts.get_or_insert_with(Default::default),
                        Some(id) => {
                            let list = b.secondary_artifacts.get_or_insert_with(Vec::new);
                            match list.iter().position(|a| a.artifact_identifier.as_deref() == Some(id.as_str())) {
                                Some(i) => &mut list[i],
                                None => {
                                    list.push(BuildArtifacts {
                                        artifact_identifier: Some(id.clone()),
                                        ..Default::default()
                                    });
                                    let last = list.len() - 1;
                                    &mut list[last]
                                }
                            }
                        }
                    };
                    artifacts.location = Some(location.clone());
                    artifacts.sha256sum = sha256.clone();
                    artifacts.md5sum = md5.clone();
                });
            }
            Event::Report { group, status, test_cases, raw_paths } => {
                let Some(reports) = &self.reports else { return };
                match reports.record(&self.build_id, &group, &status, test_cases, raw_paths) {
                    Ok(arn) => self.change(|b| b.report_arns.get_or_insert_with(Vec::new).push(arn.clone())),
                    Err(e) => {
                        let line = kiln_agent::clock::container_line(&format!("Report {group} was not saved: {e}"));
                        let now = kiln_api::now_ms();
                        self.push_lines(now, now, std::iter::once(line.as_str()));
                    }
                }
            }
            Event::Finished { status, at_ms } => {
                let status = status.parse::<StatusType>().unwrap_or(StatusType::Fault);
                self.finished = true;
                self.finish(status, None, at_ms);
            }
            // ResolveSecrets is answered by the runner; neither is recorded.
            Event::PhasesOutcome { .. }
            | Event::ResolveSecrets { .. }
            | Event::ArtifactNames { .. }
            | Event::CacheRestore { .. }
            | Event::CacheSave { .. } => {}
        }
    }

    /// Ends the build with `status`; `reason` becomes the running phase's context and a log line.
    pub fn finish(&mut self, status: StatusType, reason: Option<(&str, &str)>, at_ms: i64) {
        self.sync_logs();
        recover_unreported_output(self.store.as_ref(), &self.build_id);
        if let Some((_, message)) = reason {
            self.push_lines(at_ms, at_ms, std::iter::once(kiln_agent::clock::container_line(message).as_str()));
            self.sync_logs();
        }
        let reason = reason.map(|(code, message)| vec![context(code, message)]);
        let mut ended = Vec::new();
        let result = self.store.update_build(&self.build_id, &mut |record| {
            let Ok(mut build) = serde_json::from_str::<Build>(&record.doc) else { return };
            let before = build.clone();
            if running_phase(&build).is_some() {
                end_phase(&mut build, status, reason.clone(), at_ms);
            }
            complete(&mut build, status, at_ms);
            ended = ended_phases(&before, &build);
            if let Ok(doc) = serde_json::to_string(&build) {
                record.doc = doc;
            }
            record.state = BuildState::Done;
        });
        match result {
            Ok(_) => self.observe(&ended),
            Err(e) => tracing::error!(build = %self.build_id, "cannot record the end of the build: {e}"),
        }
    }

    /// Queues lines (each without its newline) for the build's log; lines that arrive at the
    /// same time join one batch, so the store keeps them as one chunk.
    fn push_lines<'a>(&mut self, timestamp_ms: i64, ingestion_ms: i64, lines: impl Iterator<Item = &'a str>) {
        let joins = |b: &LogLines| {
            (b.timestamp_ms, b.ingestion_ms) == (timestamp_ms, ingestion_ms) && matches!(b.text, LogText::Inline(_))
        };
        if !self.pending.last().is_some_and(joins) {
            self.pending.push(LogLines::inline(timestamp_ms, ingestion_ms, String::new()));
        }
        let Some(LogLines { text: LogText::Inline(text), .. }) = self.pending.last_mut() else { return };
        let before = text.len();
        for line in lines {
            text.push_str(line);
            text.push('\n');
        }
        self.pending_bytes += text.len() - before;
        if self.pending_bytes >= LOG_BATCH_BYTES {
            self.flush_logs();
        }
    }

    /// Queues the place of lines the agent wrote to the spool file; a batch that continues
    /// the previous one at the same time extends it.
    fn push_spooled(&mut self, timestamp_ms: i64, offset: u64, len: u64, lines: u64) {
        let ingestion_ms = kiln_api::now_ms();
        if let Some(LogLines {
            timestamp_ms: t,
            ingestion_ms: i,
            text: LogText::Spooled { offset: o, len: l, lines: n },
        }) = self.pending.last_mut()
            && (*t, *i) == (timestamp_ms, ingestion_ms)
            && o.checked_add(*l) == Some(offset)
        {
            *l = l.saturating_add(len);
            *n = n.saturating_add(lines);
            return;
        }
        self.pending.push(LogLines { timestamp_ms, ingestion_ms, text: LogText::Spooled { offset, len, lines } });
        self.spooled_since.get_or_insert_with(Instant::now);
        self.pending_bytes += SPOOLED_BATCH_BYTES;
        if self.pending_bytes >= LOG_BATCH_BYTES {
            self.flush_logs();
        }
    }

    /// Called every few tens of milliseconds: hands the pending lines to the log writer,
    /// unless spooled ones among them may wait longer.
    pub fn tick(&mut self) {
        if self.spooled_since.is_none_or(|since| since.elapsed() >= SPOOLED_WAIT) {
            self.flush_logs();
        }
    }

    /// Hands the pending lines to the log writer.
    pub fn flush_logs(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        self.pending_bytes = 0;
        self.spooled_since = None;
        if !pending.is_empty() {
            self.log.write(pending);
        }
    }

    /// Stores the pending lines and waits until every line so far is stored.
    fn sync_logs(&mut self) {
        self.flush_logs();
        self.log.sync();
    }

    /// Why the build's log could not be stored; later lines are dropped, not retried.
    pub fn log_error(&self) -> Option<String> {
        self.log.error()
    }

    fn change(&mut self, mut f: impl FnMut(&mut Build)) {
        self.sync_logs();
        let mut ended = Vec::new();
        let result = self.store.record_progress(&self.build_id, &mut |doc| {
            let Ok(mut build) = serde_json::from_str::<Build>(doc) else { return };
            let before = build.clone();
            f(&mut build);
            ended = ended_phases(&before, &build);
            if let Ok(changed) = serde_json::to_string(&build) {
                *doc = changed;
            }
        });
        match result {
            Ok(_) => self.observe(&ended),
            Err(e) => tracing::error!(build = %self.build_id, "cannot update the build: {e}"),
        }
    }

    fn observe(&self, ended: &[(BuildPhaseType, f64)]) {
        for (phase, seconds) in ended {
            self.metrics.phase_ended(*phase, *seconds);
        }
    }
}

/// Keeps the output an agent wrote to the build's spool file but did not report, because it
/// was stopped or killed, or the server was.
pub(crate) fn recover_unreported_output(store: &dyn Store, build_id: &str) {
    match store.recover_spool(build_id) {
        Ok(0) => {}
        Ok(lines) => tracing::info!(build = %build_id, "kept {lines} lines of output the agent did not report"),
        Err(e) => tracing::warn!(build = %build_id, "cannot keep the output the agent did not report: {e}"),
    }
}

fn phase_context(c: &Context) -> PhaseContext {
    context(&c.status_code, &c.message)
}

/// `Build.secondarySourceVersions` holds the commit each secondary source was checked out at.
fn record_secondary_version(build: &mut Build, identifier: &str, commit: &str) {
    let versions = build.secondary_source_versions.get_or_insert_with(Vec::new);
    let version = ProjectSourceVersion {
        source_identifier: Some(identifier.to_string()),
        source_version: Some(commit.to_string()),
    };
    match versions.iter_mut().find(|v| v.source_identifier.as_deref() == Some(identifier)) {
        Some(existing) => *existing = version,
        None => versions.push(version),
    }
}

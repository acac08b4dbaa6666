//! The queue: claims QUEUED builds up to the concurrency limit, expires builds queued past
//! their queued timeout, and recovers builds a crash left running.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use kiln_api::lifecycle::{complete, end_phase};
use kiln_model::codebuild::{Build, StatusType};
use kiln_store::{BuildState, Store};
use tokio::sync::Notify;

use crate::metrics::{NoMetrics, PhaseObserver, ended_phases};
use crate::reserve::SpaceReserve;
use crate::run::{kill_leftovers, run_build, set_log_location};

/// How the executor runs builds on this machine.
#[derive(Debug, Clone)]
pub struct ExecutorConfig {
    /// Builds' directories live in `<data_dir>/builds/<uuid>`; the sandbox hides the data dir.
    pub data_dir: PathBuf,
    /// Builds that run at once.
    pub concurrency: usize,
    /// Run build phases inside bubblewrap.
    pub sandbox: bool,
    /// The kiln binary, started as `kiln agent outer <job>`.
    pub kiln_exe: PathBuf,
    /// Between SIGTERM and SIGKILL when a build is stopped or times out.
    pub stop_grace: Duration,
    /// How long a "minute" of `timeoutInMinutes` / `queuedTimeoutInMinutes` lasts. One minute,
    /// except in tests that need a timeout to happen within seconds.
    pub minute: Duration,
    /// Extra environment of the build agent's outer stage (the object store's settings).
    pub agent_env: Vec<(String, String)>,
    /// nice(1) steps builds run below the server (see `kiln_agent::protocol::Job::nice`).
    pub build_nice: u8,
}

pub(crate) struct Shared {
    pub store: Arc<dyn Store>,
    pub api: kiln_api::Config,
    pub exec: ExecutorConfig,
    /// Told the duration of every phase the executor ends.
    pub metrics: Arc<dyn PhaseObserver>,
    wake: Notify,
    /// Running builds by id, with the signal that asks them to stop.
    running: Mutex<HashMap<String, Arc<Notify>>>,
    /// Signalled whenever a build leaves `running`.
    finished: Condvar,
    /// Released when the store fails, so that builds' ends can still be recorded.
    pub reserve: SpaceReserve,
}

impl Shared {
    fn running(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Notify>>> {
        match self.running.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    pub(crate) fn finished(&self, id: &str) {
        self.running().remove(id);
        self.finished.notify_all();
        self.wake.notify_one();
    }
}

/// The handle the operation layer holds.
pub struct Scheduler {
    shared: Arc<Shared>,
}

impl kiln_api::Scheduler for Scheduler {
    fn wake(&self) {
        self.shared.wake.notify_one();
    }

    fn stop(&self, build_id: &str) {
        if let Some(stop) = self.shared.running().get(build_id) {
            stop.notify_one();
        }
    }

    fn wait_until_finished(&self, build_id: &str, timeout: Duration) {
        let deadline = std::time::Instant::now() + timeout;
        let mut running = self.shared.running();
        while running.contains_key(build_id) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return;
            }
            running = match self.shared.finished.wait_timeout(running, left) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }
}

impl Scheduler {
    /// Recovers what a previous run left behind, then starts the queue loop on the current
    /// tokio runtime.
    pub fn start(store: Arc<dyn Store>, api: kiln_api::Config, exec: ExecutorConfig) -> Arc<Scheduler> {
        Self::start_observed(store, api, exec, Arc::new(NoMetrics))
    }

    /// As [`Scheduler::start`], telling `metrics` how long each phase the executor ends took.
    pub fn start_observed(
        store: Arc<dyn Store>,
        api: kiln_api::Config,
        exec: ExecutorConfig,
        metrics: Arc<dyn PhaseObserver>,
    ) -> Arc<Scheduler> {
        let reserve = SpaceReserve::create(&exec.data_dir);
        let shared = Arc::new(Shared {
            reserve,
            store,
            api,
            exec,
            metrics,
            wake: Notify::new(),
            running: Mutex::new(HashMap::new()),
            finished: Condvar::new(),
        });
        recover(&shared);
        tokio::spawn(queue_loop(shared.clone()));
        Arc::new(Scheduler { shared })
    }
}

/// Builds that were running when the server died cannot be resumed: their agent is gone (or
/// orphaned). Kill what is left of them and end them FAULT, saying why.
fn recover(shared: &Shared) {
    let running = match shared.store.builds_in_state(BuildState::Running, usize::MAX) {
        Ok(builds) => builds,
        Err(e) => {
            tracing::error!("cannot read running builds at start: {e}");
            return;
        }
    };
    let now = kiln_api::now_ms();
    for record in running {
        kill_leftovers(&shared.exec, &record.id);
        crate::recorder::recover_unreported_output(shared.store.as_ref(), &record.id);
        let result = shared.store.update_build(&record.id, &mut |r| {
            let Ok(mut build) = serde_json::from_str::<Build>(&r.doc) else { return };
            let reason = kiln_api::lifecycle::context(
                "SERVER_ERROR",
                "The Kiln server stopped while this build was running (restart or crash); the build did not finish",
            );
            end_phase(&mut build, StatusType::Fault, Some(vec![reason]), now);
            complete(&mut build, StatusType::Fault, now);
            if let Ok(doc) = serde_json::to_string(&build) {
                r.doc = doc;
            }
            r.state = BuildState::Done;
        });
        match result {
            Ok(_) => tracing::warn!(build = %record.id, "build was running when the server stopped: ended as FAULT"),
            Err(e) => tracing::error!(build = %record.id, "cannot end interrupted build: {e}"),
        }
    }
}

/// Idempotency tokens are valid for five minutes; older ones are purged once a minute.
const IDEMPOTENCY_WINDOW_MS: i64 = 5 * 60 * 1000;
/// How long reports are kept (CodeBuild: 30 days).
const REPORT_RETENTION_MS: i64 = 30 * 24 * 60 * 60 * 1000;
const PURGE_EVERY: Duration = Duration::from_secs(60);

async fn queue_loop(shared: Arc<Shared>) {
    let mut last_purge = tokio::time::Instant::now();
    let mut next_expiry_ms = i64::MIN;
    loop {
        if kiln_api::now_ms() >= next_expiry_ms {
            next_expiry_ms = expire_queued(&shared);
        }
        claim(&shared);
        if last_purge.elapsed() >= PURGE_EVERY
            && let Err(e) = shared.store.purge_idempotency(kiln_api::now_ms() - IDEMPOTENCY_WINDOW_MS)
        {
            tracing::warn!("cannot purge expired idempotency tokens: {e}");
        }
        // CodeBuild keeps reports for 30 days.
        if last_purge.elapsed() >= PURGE_EVERY
            && let Err(e) = shared.store.purge_reports(kiln_api::now_ms() - REPORT_RETENTION_MS)
        {
            tracing::warn!("cannot purge expired reports: {e}");
        }
        if last_purge.elapsed() >= PURGE_EVERY {
            last_purge = tokio::time::Instant::now();
        }
        // Woken by StartBuild, StopBuild and finished builds; the tick catches queued timeouts.
        tokio::select! {
            _ = shared.wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

/// Starts as many queued builds as there are free slots, oldest first.
fn claim(shared: &Arc<Shared>) {
    let free = shared.exec.concurrency.saturating_sub(shared.running().len());
    if free == 0 {
        return;
    }
    let queued = match shared.store.builds_in_state(BuildState::Queued, free) {
        Ok(q) => q,
        Err(e) => {
            tracing::error!("cannot read the queue: {e}");
            return;
        }
    };
    for record in queued {
        let now = kiln_api::now_ms();
        let mut claimed = false;
        let mut ended = Vec::new();
        // Registered before the claim is visible, so a StopBuild that sees RUNNING finds it.
        let stop = Arc::new(Notify::new());
        shared.running().insert(record.id.clone(), stop.clone());
        let result = shared.store.update_build(&record.id, &mut |r| {
            // Another claimer (or StopBuild) may have got there first.
            if r.state != BuildState::Queued {
                return;
            }
            let Ok(mut build) = serde_json::from_str::<Build>(&r.doc) else { return };
            let before = build.clone();
            end_phase(&mut build, StatusType::Succeeded, None, now);
            ended = ended_phases(&before, &build);
            // The log stream exists from PROVISIONING on: CodeBuild fills these fields then.
            set_log_location(&mut build, &shared.api);
            if let Ok(doc) = serde_json::to_string(&build) {
                r.doc = doc;
                r.state = BuildState::Running;
                claimed = true;
            }
        });
        match result {
            Ok(Some(r)) if claimed => {
                for (phase, seconds) in &ended {
                    shared.metrics.phase_ended(*phase, *seconds);
                }
                tokio::spawn(run_build(shared.clone(), r, stop));
            }
            Ok(_) => {
                shared.running().remove(&record.id);
            }
            Err(e) => {
                shared.running().remove(&record.id);
                tracing::error!(build = %record.id, "cannot claim build: {e}");
            }
        }
    }
}

/// Ends builds that waited longer than their `queuedTimeoutInMinutes`: TIMED_OUT in QUEUED.
/// Returns when the next one can expire: the earliest deadline of those still queued, or the
/// shortest queued timeout from now, since a build submitted later waits at least that long.
/// The queue loop wakes on every StartBuild; reading the whole queue each time would make a
/// long queue cost its length on every submission.
fn expire_queued(shared: &Shared) -> i64 {
    let now = kiln_api::now_ms();
    let minute_ms = i64::try_from(shared.exec.minute.as_millis()).unwrap_or(i64::MAX);
    let mut next = now.saturating_add(i64::from(kiln_api::QUEUED_TIMEOUT_MINUTES.0).saturating_mul(minute_ms));
    let queued = match shared.store.builds_in_state(BuildState::Queued, usize::MAX) {
        Ok(queued) => queued,
        // Try again on the next turn of the loop.
        Err(_) => return now,
    };
    for record in queued {
        let Ok(build) = serde_json::from_str::<Build>(&record.doc) else { continue };
        let limit = i64::from(build.queued_timeout_in_minutes.unwrap_or(kiln_api::QUEUED_TIMEOUT_MINUTES.1))
            .saturating_mul(minute_ms);
        let deadline = record.submitted_ms.saturating_add(limit);
        if now < deadline {
            next = next.min(deadline);
            continue;
        }
        let mut ended = Vec::new();
        let result = shared.store.update_build(&record.id, &mut |r| {
            if r.state != BuildState::Queued {
                return;
            }
            let Ok(mut build) = serde_json::from_str::<Build>(&r.doc) else { return };
            let before = build.clone();
            complete(&mut build, StatusType::TimedOut, now);
            if let Ok(doc) = serde_json::to_string(&build) {
                r.doc = doc;
                r.state = BuildState::Done;
                ended = ended_phases(&before, &build);
            }
        });
        if result.is_ok() {
            for (phase, seconds) in &ended {
                shared.metrics.phase_ended(*phase, *seconds);
            }
        }
    }
    next
}

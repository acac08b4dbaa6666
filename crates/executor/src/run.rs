//! Running one claimed build: start the agent in its own process group, record its events,
//! enforce StopBuild and the build timeout, and clean up.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use kiln_agent::protocol::Event;
use kiln_api::logs::names;
use kiln_model::codebuild::{Build, StatusType};
use kiln_store::BuildRecord;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::Notify;

use crate::job::job_for;
use crate::recorder::Recorder;
use crate::reports::ReportRecorder;
use crate::scheduler::Shared;
use kiln_api::settings::BuildSettings;

/// How often buffered log lines are written while a build runs.
const LOG_FLUSH_EVERY: Duration = Duration::from_millis(50);
/// How often the store is asked whether a stop was requested.
const STOP_CHECK_EVERY: Duration = Duration::from_secs(1);
/// After SIGKILL, how long to wait for the agent's output to close before giving up on it.
const AFTER_KILL_WAIT: Duration = Duration::from_secs(5);
/// The file in a build's directory that holds its agent's process group id.
const PGID_FILE: &str = "agent.pgid";

/// Why a build is being ended from outside.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ending {
    Stopped,
    TimedOut,
    /// The build's log could not be stored (e.g. the disk is full): running on would lose it.
    LogLost(String),
}

pub(crate) fn build_dir(data_dir: &Path, build_id: &str) -> PathBuf {
    let uuid = build_id.split_once(':').map(|(_, u)| u).unwrap_or(build_id);
    data_dir.join("builds").join(uuid)
}

pub(crate) async fn run_build(shared: Arc<Shared>, record: BuildRecord, stop: Arc<Notify>) {
    let id = record.id.clone();
    let mut recorder = Recorder::new(shared.store.clone(), id.clone())
        .with_reports(ReportRecorder::new(shared.store.clone(), shared.api.clone()))
        .with_metrics(shared.metrics.clone());
    let dir = build_dir(&shared.exec.data_dir, &id);
    match start_and_follow(&shared, &record, &dir, &stop, &mut recorder).await {
        Ok(()) => {}
        Err(message) => {
            tracing::error!(build = %id, "{message}");
            recorder.finish(StatusType::Fault, Some(("SERVER_ERROR", &message)), kiln_api::now_ms());
        }
    }
    if let Err(e) = tokio::fs::remove_dir_all(&dir).await
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(build = %id, "cannot remove build directory {}: {e}", dir.display());
    }
    shared.finished(&id);
}

async fn start_and_follow(
    shared: &Shared,
    record: &BuildRecord,
    dir: &Path,
    stop: &Notify,
    recorder: &mut Recorder,
) -> Result<(), String> {
    let build: Build = serde_json::from_str(&record.doc).map_err(|e| format!("stored build is unreadable: {e}"))?;
    tokio::fs::create_dir_all(dir).await.map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let settings = BuildSettings::from_json(&record.settings);
    let mut job = job_for(&build, &settings, record.number, &shared.api, &shared.exec, dir);
    // Where the store can take output straight from the agent, it does (see kiln_agent's spool).
    job.log_spool = shared.store.log_spool(&record.id).unwrap_or_else(|e| {
        tracing::warn!(build = %record.id, "no log spool, output goes through the agent: {e}");
        None
    });
    let job_file = dir.join("job.json");
    let bytes = serde_json::to_vec(&job).map_err(|e| e.to_string())?;
    tokio::fs::write(&job_file, bytes).await.map_err(|e| format!("cannot write {}: {e}", job_file.display()))?;

    let mut child = tokio::process::Command::new(&shared.exec.kiln_exe)
        .arg("agent")
        .arg("outer")
        .arg(&job_file)
        .envs(shared.exec.agent_env.iter().map(|(k, v)| (k, v)))
        .process_group(0)
        // The agent asks for secret values on stdout and reads the answer here.
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start the build agent {}: {e}", shared.exec.kiln_exe.display()))?;
    let pgid = child.id().and_then(|p| i32::try_from(p).ok()).map(Pid::from_raw);
    if let Some(pgid) = pgid {
        // Kept so that a restarted server can kill what a crash left running.
        let _ = tokio::fs::write(dir.join(PGID_FILE), pgid.as_raw().to_string()).await;
    }
    let stdout = child.stdout.take().ok_or("the build agent has no output pipe")?;
    let mut lines = BufReader::new(stdout).lines();
    let mut agent_stdin = child.stdin.take();

    let minutes = u32::try_from(build.timeout_in_minutes.unwrap_or(60)).unwrap_or(60);
    let deadline = tokio::time::sleep(shared.exec.minute * minutes);
    tokio::pin!(deadline);
    let mut flush = tokio::time::interval(LOG_FLUSH_EVERY);
    let mut stop_check = tokio::time::interval(STOP_CHECK_EVERY);
    let mut ending: Option<Ending> = None;
    let far_future = tokio::time::Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600);
    let kill_at = tokio::time::sleep_until(far_future);
    tokio::pin!(kill_at);
    let mut killed = false;

    loop {
        tokio::select! {
            line = lines.next_line() => match line {
                Ok(Some(line)) => {
                    // After a stop or timeout, only log lines still count: the build's outcome is decided.
                    match Event::from_line(&line) {
                        Some(Event::ResolveSecrets { lookups }) => {
                            let answer = crate::secrets::answer(shared.store.as_ref(), &shared.api, &lookups);
                            crate::secrets::send(&mut agent_stdin, &answer).await;
                        }
                        Some(event @ (Event::Log { .. } | Event::Lines { .. } | Event::Spooled { .. })) => {
                            recorder.apply(event)
                        }
                        Some(event) if ending.is_none() => recorder.apply(event),
                        Some(_) => {}
                        None => tracing::warn!(build = %record.id, "agent printed a non-event line: {line}"),
                    }
                }
                Ok(None) | Err(_) => break,
            },
            _ = stop.notified(), if ending.is_none() => {
                begin_ending(&mut ending, Ending::Stopped, pgid, kill_at.as_mut(), shared.exec.stop_grace);
            }
            _ = &mut deadline, if ending.is_none() => {
                begin_ending(&mut ending, Ending::TimedOut, pgid, kill_at.as_mut(), shared.exec.stop_grace);
            }
            _ = &mut kill_at => {
                if killed {
                    tracing::error!(build = %record.id, "the build agent's output did not close after SIGKILL");
                    break;
                }
                killed = true;
                signal_group(pgid, Signal::SIGKILL);
                kill_at.as_mut().reset(tokio::time::Instant::now() + AFTER_KILL_WAIT);
            }
            _ = flush.tick() => recorder.tick(),
            // A log that cannot be stored ends the build; the reserve lets its end be recorded.
            _ = std::future::ready(()), if ending.is_none() && recorder.log_error().is_some() => {
                shared.reserve.release();
                let why = Ending::LogLost(recorder.log_error().unwrap_or_default());
                begin_ending(&mut ending, why, pgid, kill_at.as_mut(), shared.exec.stop_grace);
            }
            // The store is the source of truth for stop requests (another server process may
            // have taken the StopBuild call); the in-process signal is only the fast path.
            _ = stop_check.tick(), if ending.is_none() => {
                if matches!(shared.store.get_build(&record.id), Ok(Some(r)) if r.stop_requested) {
                    begin_ending(&mut ending, Ending::Stopped, pgid, kill_at.as_mut(), shared.exec.stop_grace);
                }
            }
        }
    }
    // Whatever the build left behind in its process group goes with it, as a container would.
    signal_group(pgid, Signal::SIGKILL);
    let status = child.wait().await;
    let now = kiln_api::now_ms();
    match ending {
        Some(Ending::Stopped) => recorder.finish(StatusType::Stopped, None, now),
        Some(Ending::LogLost(e)) => recorder.finish(
            StatusType::Fault,
            Some(("SERVER_ERROR", &format!("Cannot store the build's log: {e}"))),
            now,
        ),
        Some(Ending::TimedOut) => recorder.finish(
            StatusType::TimedOut,
            Some(("BUILD_TIMED_OUT", &format!("Build has timed out after {minutes} minutes"))),
            now,
        ),
        None if !recorder.finished => {
            let how = match status {
                Ok(s) => s.to_string(),
                Err(e) => e.to_string(),
            };
            recorder.finish(
                StatusType::Fault,
                Some(("SERVER_ERROR", &format!("The build agent ended without reporting a result ({how})"))),
                now,
            );
        }
        None => recorder.flush_logs(),
    }
    Ok(())
}

pub(crate) fn set_log_location(build: &mut Build, api: &kiln_api::Config) {
    let group = names::group_name(build.project_name.as_deref().unwrap_or_default());
    let stream = names::stream_of(build.id.as_deref().unwrap_or_default()).to_string();
    let logs = build.logs.get_or_insert_with(Default::default);
    logs.deep_link = Some(format!(
        "https://console.aws.amazon.com/cloudwatch/home?region={}#logEvent:group={group};stream={stream}",
        api.region
    ));
    logs.cloud_watch_logs_arn = Some(names::stream_arn(api, &group, &stream));
    logs.group_name = Some(group);
    logs.stream_name = Some(stream);
}

/// Starts ending a build from outside: SIGTERM to its process group now, SIGKILL after `grace`.
fn begin_ending(
    ending: &mut Option<Ending>,
    why: Ending,
    pgid: Option<Pid>,
    kill_at: std::pin::Pin<&mut tokio::time::Sleep>,
    grace: Duration,
) {
    *ending = Some(why);
    signal_group(pgid, Signal::SIGTERM);
    kill_at.reset(tokio::time::Instant::now() + grace);
}

fn signal_group(pgid: Option<Pid>, signal: Signal) {
    if let Some(pgid) = pgid {
        // ESRCH (the group is already gone) is the expected end of a kill.
        let _ = killpg(pgid, signal);
    }
}

/// Kills the process group a previous server run recorded for this build, if it still exists
/// and still belongs to a kiln agent.
pub(crate) fn kill_leftovers(exec: &crate::ExecutorConfig, build_id: &str) {
    let file = build_dir(&exec.data_dir, build_id).join(PGID_FILE);
    let Ok(text) = std::fs::read_to_string(&file) else { return };
    let Ok(pgid) = text.trim().parse::<i32>() else { return };
    let cmdline = std::fs::read(format!("/proc/{pgid}/cmdline")).unwrap_or_default();
    let cmdline = String::from_utf8_lossy(&cmdline);
    if cmdline.contains("agent") {
        let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
    }
}

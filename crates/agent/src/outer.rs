//! The outer stage, run by the executor outside any sandbox: PROVISIONING (the build's
//! directories), DOWNLOAD_SOURCE (git, with the server user's git configuration, so
//! `url.<base>.insteadOf` works), then the inner stage inside the sandbox, then
//! UPLOAD_ARTIFACTS and FINALIZING.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::clock::now_ms;
use crate::emit::Emitter;
use crate::inherit;
use crate::protocol::{Context, Event, Job};
use crate::sandbox;

/// Runs a whole build; the last event is [`Event::Finished`]. Returns the process exit code.
pub fn run(mut job: Job, emit: &Emitter) -> i32 {
    lower_priority(job.nice, emit);
    let status = match run_stages(&mut job, emit) {
        Ok(true) => "SUCCEEDED",
        Ok(false) | Err(()) => "FAILED",
    };
    emit.emit(&Event::Finished { status: status.to_string(), at_ms: now_ms() });
    0
}

/// `Ok(succeeded)`; `Err(())` when a phase failed in a way that skips straight to FINALIZING
/// (FINALIZING has then been run).
fn run_stages(job: &mut Job, emit: &Emitter) -> Result<bool, ()> {
    emit.phase_start("PROVISIONING");
    emit.agent(&format!("Running on Kiln {} ({})", env!("CARGO_PKG_VERSION"), sandbox::describe(job.sandbox)));
    if let Err(context) = provision(job) {
        emit.phase_end("PROVISIONING", "FAILED", Some(context));
        finalize(emit);
        return Err(());
    }
    emit.phase_end("PROVISIONING", "SUCCEEDED", None);

    emit.phase_start("DOWNLOAD_SOURCE");
    emit.agent("Phase is DOWNLOAD_SOURCE");
    match crate::download::download_source(job, emit) {
        Ok(prepared) => {
            emit.phase_end("DOWNLOAD_SOURCE", "SUCCEEDED", None);
            job.prepared = Some(prepared);
        }
        Err(context) => {
            emit.phase_end("DOWNLOAD_SOURCE", "FAILED", Some(context));
            finalize(emit);
            return Err(());
        }
    }

    let inner = run_inner(job, emit);
    crate::reports::process(job, emit);
    let mut succeeded = !inner.failed;
    if !inner.aborted {
        emit.phase_start("UPLOAD_ARTIFACTS");
        emit.agent("Entering phase UPLOAD_ARTIFACTS");
        crate::cache::save(job, inner.cache_save.as_ref(), emit);
        match crate::upload::upload_artifacts(job, &inner.artifact_names, emit) {
            Ok(()) => emit.phase_end("UPLOAD_ARTIFACTS", "SUCCEEDED", None),
            Err(context) => {
                succeeded = false;
                emit.phase_end("UPLOAD_ARTIFACTS", "FAILED", Some(context));
            }
        }
    }
    finalize(emit);
    Ok(succeeded)
}

/// Lowers this process's CPU priority by `steps` before anything of the build starts, so that
/// every process of the build inherits it.
fn lower_priority(steps: u8, emit: &Emitter) {
    if steps > 0
        && let Err(e) = rustix::process::nice(i32::from(steps))
    {
        emit.agent(&format!("Cannot lower the build's CPU priority by {steps}: {e}"));
    }
}

fn client_error(message: impl Into<String>) -> Context {
    Context { status_code: "CLIENT_ERROR".to_string(), message: message.into() }
}

fn provision(job: &Job) -> Result<(), Context> {
    for dir in ["src", "tmp", "home", sandbox::TMP_DIR] {
        let path = job.build_dir.join(dir);
        std::fs::create_dir_all(&path)
            .map_err(|e| client_error(format!("cannot create build directory {}: {e}", path.display())))?;
    }
    Ok(())
}

/// What the inner stage reported for the outer one.
#[derive(Debug, Default)]
pub struct InnerOutcome {
    /// A phase failed.
    pub failed: bool,
    /// The phases ended early: UPLOAD_ARTIFACTS is skipped.
    pub aborted: bool,
    /// The artifact names as the build's shell expanded them.
    pub artifact_names: Vec<(Option<String>, String)>,
    /// What the cache keeps of this build (a succeeding one).
    pub cache_save: Option<crate::cache::CacheRequest>,
}

impl InnerOutcome {
    fn broken() -> Self {
        InnerOutcome { failed: true, aborted: true, ..Default::default() }
    }
}

/// Starts the inner stage (sandboxed when asked) and relays its events.
fn run_inner(job: &Job, emit: &Emitter) -> InnerOutcome {
    // Without the spool, output still reaches the store, through the events.
    let spool = job.log_spool.as_deref().and_then(|path| {
        match crate::spool::open_for_inner(path).and_then(|file| inherit::pass_on(&file).map(|fd| (file, fd))) {
            Ok(passed) => Some(passed),
            Err(e) => {
                emit.agent(&format!(
                    "Cannot open the log spool {}: {e}; output goes through the agent",
                    path.display()
                ));
                None
            }
        }
    });
    // The inner stage's events come back on a pipe of their own, not on the sandbox's stdout.
    let (events, events_writer, events_fd) =
        match std::io::pipe().and_then(|(r, w)| inherit::pass_on(&w).map(|fd| (r, w, fd))) {
            Ok(pipe) => pipe,
            Err(e) => {
                emit.agent(&format!("Cannot start the build phases: cannot make the event pipe: {e}"));
                return InnerOutcome::broken();
            }
        };
    let job = &Job { log_spool_fd: spool.as_ref().map(|(_, fd)| *fd), events_fd: Some(events_fd), ..job.clone() };
    let job_file = job.build_dir.join("tmp").join("inner-job.json");
    let written = serde_json::to_vec(job).map_err(|e| e.to_string()).and_then(|bytes| {
        std::fs::write(&job_file, bytes).map_err(|e| format!("cannot write {}: {e}", job_file.display()))
    });
    if let Err(e) = written {
        emit.agent(&format!("Cannot start the build phases: {e}"));
        return InnerOutcome::broken();
    }
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            emit.agent(&format!("Cannot start the build phases: cannot find the kiln binary: {e}"));
            return InnerOutcome::broken();
        }
    };
    let mut command: Command = sandbox::command(job, &exe, &job_file);
    command.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::inherit());
    let child = command.spawn();
    // The inner stage has its copies; ours must not leak into anything else this stage starts,
    // and the event pipe ends when the inner stage's copy closes.
    drop(spool);
    drop(events_writer);
    let mut child = match child {
        Ok(child) => child,
        Err(e) => {
            emit.agent(&format!("Cannot start the build phases: {e}"));
            return InnerOutcome::broken();
        }
    };
    // Resolved secrets go over the pipe, never into the inner job file.
    let input = crate::secrets::InnerInput::new(child.stdin.take());
    let env = job.prepared.as_ref().map(|p| p.secret_env.clone()).unwrap_or_default();
    crate::secrets::send_to_inner(&input, &crate::secrets::InnerSecrets { env, hide: emit.hidden() });
    let mut cache_save = None;
    let mut outcome = None;
    let mut artifact_names = Vec::new();
    for line in BufReader::new(events).lines() {
        let Ok(mut line) = line else { break };
        // Build output, the bulk of the traffic, is relayed without decoding it.
        if Event::is_output(&line) {
            line.push('\n');
            emit.raw(&line);
            continue;
        }
        match Event::from_line(&line) {
            Some(Event::PhasesOutcome { failed, aborted }) => outcome = Some((failed, aborted)),
            Some(Event::ArtifactNames { names }) => artifact_names = names,
            Some(Event::CacheRestore { request }) => crate::cache::restore(job, request.as_ref(), &input, emit),
            Some(Event::CacheSave { request }) => cache_save = Some(request),
            Some(_) => emit.raw(&format!("{line}\n")),
            // Not an event: the inner stage printed something else; keep it as a log line.
            None => emit.log(line),
        }
    }
    let status = child.wait();
    match outcome {
        Some((failed, aborted)) => InnerOutcome { failed, aborted, artifact_names, cache_save },
        None => {
            let how = match status {
                Ok(s) => s.to_string(),
                Err(e) => e.to_string(),
            };
            emit.agent(&format!("The build phases ended without reporting an outcome ({how})"));
            InnerOutcome::broken()
        }
    }
}

fn finalize(emit: &Emitter) {
    emit.phase_start("FINALIZING");
    emit.agent("Phase is FINALIZING");
    emit.phase_end("FINALIZING", "SUCCEEDED", None);
}

//! The inner stage: runs the buildspec's phases INSTALL, PRE_BUILD, BUILD and POST_BUILD with
//! CodeBuild's semantics, inside the sandbox, and reports a [`Event::PhasesOutcome`].
//!
//! Transitions on failure (CodeBuild's, see shared/reference/codebuild.md §2): a failed INSTALL
//! or PRE_BUILD ends the phases (the build goes on to FINALIZING); a failed BUILD still runs
//! POST_BUILD with `CODEBUILD_BUILD_SUCCEEDING=0`; a phase's `on-failure` (ABORT or CONTINUE)
//! overrides that default.

use std::sync::{Arc, Mutex};

use kiln_buildspec::{Buildspec, OnFailure, Phase, Version};

use crate::emit::Emitter;
use crate::environment;
use crate::protocol::{Context, Event, Job};
use crate::shell::{OutputSink, ShellKind, ShellSession};

/// The four command phases in order, with CodeBuild's default for what a failure does.
const PHASES: [(&str, FailureDefault); 4] = [
    ("INSTALL", FailureDefault::EndPhases),
    ("PRE_BUILD", FailureDefault::EndPhases),
    ("BUILD", FailureDefault::NextPhase),
    ("POST_BUILD", FailureDefault::NextPhase),
];

#[derive(Clone, Copy)]
enum FailureDefault {
    EndPhases,
    NextPhase,
}

/// Runs the phases of `job` (whose `prepared` holds the buildspec) and returns whether the
/// build is still succeeding.
pub fn run(job: &Job, emit: &Emitter) -> bool {
    // The build's commands run as this process's user, and could otherwise open its
    // descriptors through /proc/<pid>/fd: its event pipe to the outer stage (to forge events)
    // and the spool file (to rewrite the log). Not dumpable, /proc keeps them out.
    if let Err(e) = nix::sys::prctl::set_dumpable(false) {
        emit.agent(&format!("Internal error: cannot protect the build agent's descriptors: {e}"));
        emit.emit(&Event::PhasesOutcome { failed: true, aborted: true });
        return false;
    }
    match job.log_spool_fd.map(crate::spool::Spool::adopt) {
        Some(Ok(spool)) => emit.use_spool(spool),
        Some(Err(e)) => emit.agent(&format!("Cannot write the log spool: {e}; output goes through the agent")),
        None => {}
    }
    let Some(prepared) = &job.prepared else {
        emit.agent("Internal error: the inner stage got no prepared buildspec");
        emit.emit(&Event::PhasesOutcome { failed: true, aborted: true });
        return false;
    };
    let spec = match kiln_buildspec::parse(&prepared.buildspec_text) {
        Ok(spec) => spec,
        Err(e) => {
            // The outer stage validated it already; this is a safety net.
            emit.agent(&format!("YAML_FILE_ERROR: {e}"));
            emit.emit(&Event::PhasesOutcome { failed: true, aborted: true });
            return false;
        }
    };
    let secret_env = match crate::secrets::receive_in_inner(&mut std::io::stdin().lock()) {
        Ok(secrets) => {
            // The outer stage hides these in what it relays; output in the spool is ours to hide.
            emit.hide(secrets.hide);
            emit.hide(secrets.env.iter().map(|(_, value)| value.clone()));
            secrets.env
        }
        Err(e) => {
            emit.agent(&format!("Internal error: {e}"));
            emit.emit(&Event::PhasesOutcome { failed: true, aborted: true });
            return false;
        }
    };
    let src_dir = job.build_dir.join("src");
    let env = environment::initial(
        job,
        &spec.env.variables,
        &secret_env,
        &src_dir,
        prepared.resolved_source_version.as_deref(),
    );
    let kind = match spec.env.shell.as_deref() {
        Some(shell) => ShellKind::from_buildspec(shell).unwrap_or(ShellKind::Sh),
        None => ShellKind::Sh,
    };
    let carry = spec.version != Version::V0_1;
    let mut session = ShellSession::new(kind, env, src_dir, job.build_dir.join("tmp"), carry);
    crate::cache::before_install(job, &spec, &mut session, emit);
    let mut succeeding = true;
    let mut aborted = false;
    for (name, default) in PHASES {
        let phase = phase_of(&spec, name);
        emit.phase_start(name);
        emit.agent(&format!("Entering phase {name}"));
        let failure = match phase {
            Some(phase) => match run_as(phase.run_as.as_deref().or(spec.run_as.as_deref()), job.sandbox, emit) {
                Ok(wrapper) => {
                    session.set_wrapper(wrapper);
                    run_with_retries(name, phase, &mut session, emit, succeeding)
                }
                Err(message) => {
                    emit.agent(&message);
                    Some(Context { status_code: "COMMAND_EXECUTION_ERROR".to_string(), message })
                }
            },
            None => None,
        };
        match failure {
            None => emit.phase_end(name, "SUCCEEDED", None),
            Some(context) => {
                succeeding = false;
                session.set_exported("CODEBUILD_BUILD_SUCCEEDING", "0");
                emit.phase_end(name, "FAILED", Some(context));
                let on_failure = phase.and_then(|p| p.on_failure.clone());
                let end = match on_failure {
                    Some(OnFailure::Continue) => false,
                    Some(OnFailure::Abort) => true,
                    // The retries are spent: the build ends, as with ABORT.
                    Some(OnFailure::Retry { .. }) => true,
                    None => matches!(default, FailureDefault::EndPhases),
                };
                if end {
                    aborted = true;
                    break;
                }
            }
        }
    }

    let exported = spec
        .env
        .exported_variables
        .iter()
        .map(|name| (name.clone(), session.var(name).unwrap_or_default().to_string()))
        .collect::<Vec<_>>();
    if !exported.is_empty() {
        emit.emit(&Event::Exported { variables: exported });
    }
    if !aborted {
        emit_artifact_names(&spec, &mut session, emit);
    }
    crate::cache::after_phases(job, &spec, &mut session, emit, succeeding);
    emit.emit(&Event::PhasesOutcome { failed: !succeeding, aborted });
    succeeding
}

/// Expands `artifacts.name` and each secondary artifact's `name` in the build's shell, so
/// `name: app-$(date +%Y-%m-%d)` or `$CODEBUILD_BUILD_NUMBER` mean what they mean in CodeBuild.
fn emit_artifact_names(spec: &Buildspec, session: &mut ShellSession, emit: &Emitter) {
    let Some(artifacts) = &spec.artifacts else { return };
    let wanted = std::iter::once((None, &artifacts.name))
        .chain(artifacts.secondary_artifacts.iter().map(|(id, a)| (Some(id.clone()), &a.name)));
    let mut names = Vec::new();
    for (id, name) in wanted {
        let Some(name) = name else { continue };
        match session.expand(name) {
            Ok(Some(expanded)) if !expanded.trim().is_empty() => names.push((id, expanded.trim().to_string())),
            Ok(_) => emit.agent(&format!("artifact name {name:?} expands to nothing; the project's name is used")),
            Err(e) => emit.agent(&format!("cannot evaluate artifact name {name:?}: {e}")),
        }
    }
    if !names.is_empty() {
        emit.emit(&Event::ArtifactNames { names });
    }
}

/// The wrapper for a phase's commands under `run-as` (none without it).
fn run_as(user: Option<&str>, sandboxed: bool, emit: &Emitter) -> Result<Vec<String>, String> {
    let Some(user) = user else { return Ok(Vec::new()) };
    let wrapper = crate::run_as::wrapper(user, sandboxed)?;
    emit.agent(&format!("Running commands as user {user}"));
    Ok(wrapper)
}

fn phase_of<'a>(spec: &'a Buildspec, name: &str) -> Option<&'a Phase> {
    match name {
        "INSTALL" => spec.phases.install.as_ref(),
        "PRE_BUILD" => spec.phases.pre_build.as_ref(),
        "BUILD" => spec.phases.build.as_ref(),
        "POST_BUILD" => spec.phases.post_build.as_ref(),
        _ => None,
    }
}

/// How much of an attempt's output is kept to match a RETRY pattern against.
const RETRY_OUTPUT_LIMIT: usize = 1024 * 1024;

/// Runs a phase; with `on-failure: RETRY[-count][-regex]` a failed attempt runs again, up to
/// `count` more times, when its output matches the regex (any output, without one).
fn run_with_retries(
    name: &str,
    phase: &Phase,
    session: &mut ShellSession,
    emit: &Emitter,
    succeeding: bool,
) -> Option<Context> {
    let retry = match &phase.on_failure {
        // The buildspec parser has checked that the pattern compiles.
        Some(OnFailure::Retry { count, pattern }) => {
            Some((*count, pattern.as_deref().and_then(|p| regex::Regex::new(p).ok())))
        }
        _ => None,
    };
    let mut attempt = 0;
    loop {
        let output = Arc::new(Mutex::new(String::new()));
        let sink: OutputSink = {
            let emit = emit.clone();
            let output = output.clone();
            Arc::new(move |lines: &str| {
                if let Ok(mut kept) = output.lock()
                    && kept.len() < RETRY_OUTPUT_LIMIT
                {
                    kept.push_str(lines);
                }
                emit.output(lines)
            })
        };
        let failure = run_phase(phase, session, &sink, emit, succeeding)?;
        let Some((count, pattern)) = &retry else { return Some(failure) };
        let matches = match pattern {
            Some(re) => output.lock().map(|text| re.is_match(text.as_str())).unwrap_or(false),
            None => true,
        };
        if attempt >= *count || !matches {
            return Some(failure);
        }
        attempt += 1;
        emit.agent(&format!("Phase {name} failed; retrying it ({attempt} of {count})"));
    }
}

/// Runs a phase's `commands` (stopping at the first failure) then its `finally` block.
/// Returns the failure context, if the phase failed.
fn run_phase(
    phase: &Phase,
    session: &mut ShellSession,
    sink: &OutputSink,
    emit: &Emitter,
    succeeding: bool,
) -> Option<Context> {
    if !phase.runtime_versions.is_empty() {
        // What CodeBuild prints on images without managed runtimes.
        emit.agent("Skipping install of runtimes. Runtime version selection is not supported by this build image.");
    }
    session.set_exported("CODEBUILD_BUILD_SUCCEEDING", if succeeding { "1" } else { "0" });
    let mut failure = run_commands(&phase.commands, session, sink, emit);
    if !phase.finally.is_empty() {
        let finally_failure = run_commands(&phase.finally, session, sink, emit);
        failure = failure.or(finally_failure);
    }
    failure
}

fn run_commands(commands: &[String], session: &mut ShellSession, sink: &OutputSink, emit: &Emitter) -> Option<Context> {
    for command in commands {
        emit.agent(&format!("Running command {command}"));
        let status = match session.run(command, &[], sink) {
            Ok(status) => status,
            Err(e) => {
                let message = format!("Error while executing command: {command}. Reason: {e}");
                emit.agent(&message);
                return Some(Context { status_code: "COMMAND_EXECUTION_ERROR".to_string(), message });
            }
        };
        if status != 0 {
            emit.agent(&format!("Command did not exit successfully {command} exit status {status}"));
            return Some(Context {
                status_code: "COMMAND_EXECUTION_ERROR".to_string(),
                message: format!("Error while executing command: {command}. Reason: exit status {status}"),
            });
        }
    }
    None
}

//! How a build document changes as it moves through its phases, recorded exactly as CodeBuild
//! records it: phases that never ran are absent; SUBMITTED and QUEUED carry no contexts; the
//! other finished phases carry contexts (one empty context on success); COMPLETED has only a
//! type and a start time.

use kiln_model::Timestamp;
use kiln_model::codebuild::{Build, BuildPhase, BuildPhaseType, PhaseContext, StatusType};

/// A phase context: CodeBuild's `{statusCode, message}`.
pub fn context(status_code: &str, message: &str) -> PhaseContext {
    PhaseContext { status_code: Some(status_code.to_string()), message: Some(message.to_string()) }
}

/// Appends a new, running phase and makes it current.
pub fn start_phase(build: &mut Build, phase: BuildPhaseType, at_ms: i64) {
    build.phases.get_or_insert_with(Vec::new).push(BuildPhase {
        phase_type: Some(phase),
        start_time: Some(Timestamp::from_millis(at_ms)),
        ..Default::default()
    });
    build.current_phase = Some(phase.as_str().to_string());
}

/// Ends the running phase (the last one, if it has no status yet) with `status`.
/// `contexts: None` means "the default for this phase": none for SUBMITTED/QUEUED, one empty
/// context otherwise.
pub fn end_phase(build: &mut Build, status: StatusType, contexts: Option<Vec<PhaseContext>>, at_ms: i64) {
    let Some(phase) = build.phases.as_mut().and_then(|p| p.last_mut()) else {
        return;
    };
    if phase.phase_status.is_some() || phase.phase_type == Some(BuildPhaseType::Completed) {
        return;
    }
    let start_ms = phase.start_time.map(|t| t.to_millis()).unwrap_or(at_ms);
    let end_ms = at_ms.max(start_ms);
    phase.phase_status = Some(status);
    phase.end_time = Some(Timestamp::from_millis(end_ms));
    phase.duration_in_seconds = Some((end_ms - start_ms) / 1000);
    // SUBMITTED and QUEUED never carry contexts, nor does a phase ended by StopBuild (CodeBuild's
    // stop-build example); other phases carry one empty context unless given one.
    let no_default = matches!(phase.phase_type, Some(BuildPhaseType::Submitted | BuildPhaseType::Queued))
        || status == StatusType::Stopped;
    phase.contexts = match contexts {
        Some(c) => Some(c),
        None if no_default => None,
        None => Some(vec![context("", "")]),
    };
}

/// The phase currently running, if any.
pub fn running_phase(build: &Build) -> Option<BuildPhaseType> {
    let phase = build.phases.as_ref()?.last()?;
    if phase.phase_status.is_none() && phase.phase_type != Some(BuildPhaseType::Completed) {
        phase.phase_type
    } else {
        None
    }
}

/// Ends the build: the running phase (if any) gets `phase_status`, then COMPLETED is appended
/// and the build takes `status`.
pub fn complete(build: &mut Build, status: StatusType, at_ms: i64) {
    if running_phase(build).is_some() {
        end_phase(build, status, None, at_ms);
    }
    if build.build_complete == Some(true) {
        return;
    }
    start_phase(build, BuildPhaseType::Completed, at_ms);
    build.build_status = Some(status);
    build.build_complete = Some(true);
    build.end_time = Some(Timestamp::from_millis(at_ms));
}

/// Whether the build has ended.
pub fn is_complete(build: &Build) -> bool {
    build.build_complete == Some(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_are_recorded_like_codebuild() {
        let mut b = Build::default();
        start_phase(&mut b, BuildPhaseType::Submitted, 1_000);
        end_phase(&mut b, StatusType::Succeeded, None, 1_200);
        start_phase(&mut b, BuildPhaseType::Queued, 1_200);
        end_phase(&mut b, StatusType::Succeeded, None, 2_000);
        start_phase(&mut b, BuildPhaseType::Provisioning, 2_000);
        end_phase(&mut b, StatusType::Succeeded, None, 36_500);
        start_phase(&mut b, BuildPhaseType::Build, 36_500);
        complete(&mut b, StatusType::Stopped, 40_000);
        let phases = b.phases.clone().unwrap_or_default();
        assert_eq!(phases.len(), 5);
        assert_eq!(phases[0].contexts, None);
        assert_eq!(phases[0].duration_in_seconds, Some(0));
        assert_eq!(phases[2].duration_in_seconds, Some(34));
        assert_eq!(phases[2].contexts, Some(vec![context("", "")]));
        assert_eq!(phases[3].phase_status, Some(StatusType::Stopped));
        assert_eq!(phases[3].contexts, None);
        let completed = &phases[4];
        assert_eq!(completed.phase_type, Some(BuildPhaseType::Completed));
        assert_eq!(completed.phase_status, None);
        assert_eq!(completed.end_time, None);
        assert_eq!(b.build_status, Some(StatusType::Stopped));
        assert_eq!(b.current_phase.as_deref(), Some("COMPLETED"));
        // Completing twice changes nothing.
        complete(&mut b, StatusType::Failed, 50_000);
        assert_eq!(b.build_status, Some(StatusType::Stopped));
        assert_eq!(b.phases.map(|p| p.len()), Some(5));
    }
}

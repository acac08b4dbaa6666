//! The executor's metrics hook: the server registers an observer, so the executor does not
//! depend on how (or whether) metrics are exported.

use kiln_model::codebuild::{Build, BuildPhaseType};

/// Told about every build phase the executor ends.
pub trait PhaseObserver: Send + Sync + 'static {
    /// `phase` ended after `seconds` (from its start time to its end time).
    fn phase_ended(&self, phase: BuildPhaseType, seconds: f64);
}

/// Observes nothing: for executors started without metrics.
pub struct NoMetrics;

impl PhaseObserver for NoMetrics {
    fn phase_ended(&self, _phase: BuildPhaseType, _seconds: f64) {}
}

/// The phases that have an end time in `after` but not in `before` (a change of one build),
/// with their durations in seconds. Phases are only appended, so they are matched by position.
pub fn ended_phases(before: &Build, after: &Build) -> Vec<(BuildPhaseType, f64)> {
    let old = before.phases.as_deref().unwrap_or_default();
    let new = after.phases.as_deref().unwrap_or_default();
    new.iter()
        .enumerate()
        .filter(|(i, phase)| phase.end_time.is_some() && old.get(*i).is_none_or(|p| p.end_time.is_none()))
        .filter_map(|(_, phase)| {
            let kind = phase.phase_type?;
            let start = phase.start_time?.to_millis();
            let end = phase.end_time?.to_millis();
            Some((kind, (end - start).max(0) as f64 / 1000.0))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiln_api::lifecycle::{end_phase, start_phase};
    use kiln_model::codebuild::StatusType;

    #[test]
    fn only_phases_that_end_in_the_change_are_reported() {
        let mut before = Build::default();
        start_phase(&mut before, BuildPhaseType::Submitted, 1_000);
        end_phase(&mut before, StatusType::Succeeded, None, 1_500);
        start_phase(&mut before, BuildPhaseType::Install, 2_000);
        let mut after = before.clone();
        end_phase(&mut after, StatusType::Succeeded, None, 4_250);
        start_phase(&mut after, BuildPhaseType::Build, 4_250);
        assert_eq!(ended_phases(&before, &after), [(BuildPhaseType::Install, 2.25)]);
        // Nothing ended: nothing reported.
        assert!(ended_phases(&after, &after).is_empty());
        // A phase that starts and ends within one change counts too.
        let mut later = after.clone();
        end_phase(&mut later, StatusType::Failed, None, 5_000);
        start_phase(&mut later, BuildPhaseType::PostBuild, 5_000);
        end_phase(&mut later, StatusType::Succeeded, None, 5_100);
        let ended = ended_phases(&before, &later);
        let kinds: Vec<BuildPhaseType> = ended.iter().map(|(k, _)| *k).collect();
        assert_eq!(kinds, [BuildPhaseType::Install, BuildPhaseType::Build, BuildPhaseType::PostBuild]);
        assert!((ended[2].1 - 0.1).abs() < 1e-9);
    }
}

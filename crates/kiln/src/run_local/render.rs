//! The terminal side of `kiln run`: the build's log lines as they arrive, what the events say
//! about phases, variables and artifacts, and the closing summary.

use std::io::Write;
use std::path::PathBuf;

use kiln_agent::protocol::Event;

/// One phase as it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseResult {
    pub phase: String,
    pub status: String,
    pub duration_ms: i64,
    /// The phase context's message, if any.
    pub message: String,
}

/// An uploaded artifact: its identifier (`None` for the primary), object key and ZIP-ness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    pub identifier: Option<String>,
    pub key: String,
    pub zip: bool,
}

/// What the build's events said.
#[derive(Debug, Default)]
pub struct Outcome {
    pub phases: Vec<PhaseResult>,
    started: Vec<(String, i64)>,
    pub exported: Vec<(String, String)>,
    pub artifacts: Vec<Uploaded>,
    pub commit: Option<String>,
    pub reports: Vec<(String, String, usize)>,
    /// The build's result (the `Finished` event), once known.
    pub status: Option<String>,
    first_start_ms: Option<i64>,
    finished_ms: Option<i64>,
}

impl Outcome {
    /// Records an event; log lines go to `out` at once.
    pub fn apply(&mut self, event: Event, out: &mut dyn Write) {
        match event {
            Event::Log { line, .. } => {
                // A closed terminal stops the output, not the build.
                let _ = writeln!(out, "{line}");
            }
            Event::Lines { lines, .. } => {
                for line in lines {
                    let _ = writeln!(out, "{line}");
                }
            }
            Event::PhaseStart { phase, at_ms } => {
                self.first_start_ms.get_or_insert(at_ms);
                self.started.push((phase, at_ms));
            }
            Event::PhaseEnd { phase, status, contexts, at_ms } => {
                let start = self.started.iter().rev().find(|(p, _)| *p == phase).map(|(_, at)| *at).unwrap_or(at_ms);
                let message = contexts.into_iter().map(|c| c.message).find(|m| !m.is_empty()).unwrap_or_default();
                self.phases.push(PhaseResult { phase, status, duration_ms: at_ms - start, message });
            }
            Event::SourceResolved { commit } => self.commit = Some(commit),
            Event::Exported { variables } => self.exported = variables,
            Event::Artifacts { identifier, location, sha256, .. } => {
                let key = location.split_once(":::").map(|(_, path)| path).unwrap_or(&location);
                let key = key.split_once('/').map(|(_, k)| k).unwrap_or_default().to_string();
                self.artifacts.push(Uploaded { identifier, key, zip: sha256.is_some() });
            }
            Event::Report { group, status, test_cases, .. } => self.reports.push((group, status, test_cases.len())),
            Event::Finished { status, at_ms } => {
                self.status = Some(status);
                self.finished_ms = Some(at_ms);
            }
            _ => {}
        }
    }
}

/// The closing summary: result, phases with durations, exported variables, artifact paths.
pub fn summary(outcome: &Outcome, artifacts: &[PathBuf], out: &mut dyn Write) {
    let mut text = String::new();
    let status = outcome.status.as_deref().unwrap_or("UNKNOWN");
    let total = match (outcome.first_start_ms, outcome.finished_ms) {
        (Some(start), Some(end)) => end - start,
        _ => outcome.phases.iter().map(|p| p.duration_ms).sum(),
    };
    text.push_str(&format!("\nBuild {status} in {}", seconds(total)));
    if let Some(commit) = &outcome.commit {
        text.push_str(&format!(" (commit {commit})"));
    }
    text.push_str("\nPhases:\n");
    for p in &outcome.phases {
        text.push_str(&format!("  {:<18} {:<10} {:>8}", p.phase, p.status, seconds(p.duration_ms)));
        if !p.message.is_empty() {
            text.push_str(&format!("  {}", p.message));
        }
        text.push('\n');
    }
    if !outcome.exported.is_empty() {
        text.push_str("Exported variables:\n");
        for (name, value) in &outcome.exported {
            text.push_str(&format!("  {name}={value}\n"));
        }
    }
    if !outcome.reports.is_empty() {
        text.push_str("Reports:\n");
        for (group, status, cases) in &outcome.reports {
            text.push_str(&format!("  {group}: {status}, {cases} test cases\n"));
        }
    }
    if !artifacts.is_empty() {
        text.push_str("Artifacts:\n");
        for path in artifacts {
            text.push_str(&format!("  {}\n", path.display()));
        }
    }
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

fn seconds(ms: i64) -> String {
    format!("{}.{:02}s", ms / 1000, (ms % 1000) / 10)
}

#[cfg(test)]
mod tests {
    use kiln_agent::protocol::Context;

    use super::*;

    #[test]
    fn phases_get_durations_and_the_summary_lists_everything() {
        let mut outcome = Outcome::default();
        let mut log = Vec::new();
        outcome.apply(Event::PhaseStart { phase: "BUILD".into(), at_ms: 1_000 }, &mut log);
        outcome.apply(Event::Log { at_ms: 1_100, line: "hello".into() }, &mut log);
        let context = Context { status_code: "COMMAND_EXECUTION_ERROR".into(), message: "exit status 3".into() };
        outcome.apply(
            Event::PhaseEnd { phase: "BUILD".into(), status: "FAILED".into(), contexts: vec![context], at_ms: 3_250 },
            &mut log,
        );
        outcome.apply(Event::Exported { variables: vec![("V".into(), "1".into())] }, &mut log);
        let location = "arn:aws:s3:::kiln-run/app/out.zip".to_string();
        outcome.apply(Event::Artifacts { identifier: None, location, sha256: Some("x".into()), md5: None }, &mut log);
        outcome.apply(Event::Finished { status: "FAILED".into(), at_ms: 4_000 }, &mut log);
        assert_eq!(String::from_utf8(log).expect("utf-8"), "hello\n");
        assert_eq!(outcome.phases[0].duration_ms, 2_250);
        assert_eq!(outcome.artifacts, [Uploaded { identifier: None, key: "app/out.zip".into(), zip: true }]);

        let mut text = Vec::new();
        summary(&outcome, &[PathBuf::from("/a/out.zip")], &mut text);
        let text = String::from_utf8(text).expect("utf-8");
        assert!(text.contains("Build FAILED in 3.00s"), "{text}");
        assert!(text.contains("BUILD") && text.contains("exit status 3"), "{text}");
        assert!(text.contains("  V=1\n"), "{text}");
        assert!(text.contains("  /a/out.zip\n"), "{text}");
    }
}

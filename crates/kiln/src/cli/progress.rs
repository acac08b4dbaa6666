//! How a followed build's phases are shown. On a terminal: one status line, rewritten in place
//! (cleared before log lines are printed, drawn again after). Otherwise: one plain line per
//! finished phase, so logs and pipes stay readable.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// Erase the current terminal line and return to its start.
const CLEAR_LINE: &str = "\r\x1b[2K";

pub struct Progress {
    /// Rewrite one status line (stdout is a terminal).
    live: bool,
    /// Show phases at all (`kiln logs` shows only the log).
    enabled: bool,
    /// Phases already printed as plain lines.
    reported: usize,
    /// A status line is on screen.
    shown: bool,
}

impl Progress {
    pub fn new(live: bool, enabled: bool) -> Progress {
        Progress { live, enabled, reported: 0, shown: false }
    }

    /// Plain mode: a line for each phase that finished since the last call.
    pub fn phases(&mut self, out: &mut dyn Write, build: &Value) -> std::io::Result<()> {
        if !self.enabled || self.live {
            return Ok(());
        }
        let phases = build["phases"].as_array().map(Vec::as_slice).unwrap_or_default();
        for phase in phases.iter().skip(self.reported) {
            let Some(status) = phase["phaseStatus"].as_str() else { break };
            let name = phase["phaseType"].as_str().unwrap_or("?");
            let seconds = phase["durationInSeconds"].as_i64().unwrap_or(0);
            writeln!(out, "[phase] {name} {status} ({seconds}s)")?;
            self.reported += 1;
        }
        Ok(())
    }

    /// Live mode: removes the status line before other output.
    pub fn clear(&mut self, out: &mut dyn Write) -> std::io::Result<()> {
        if self.shown {
            out.write_all(CLEAR_LINE.as_bytes())?;
            self.shown = false;
        }
        Ok(())
    }

    /// Live mode: draws the status line for the build's current phase.
    pub fn redraw(&mut self, out: &mut dyn Write, build: &Value) -> std::io::Result<()> {
        if !self.enabled || !self.live {
            return Ok(());
        }
        self.clear(out)?;
        write!(out, "{}", status_line(build, now()))?;
        self.shown = true;
        Ok(())
    }

    /// The closing line: the build's result and how long it took.
    pub fn finish(&mut self, out: &mut dyn Write, build: &Value) -> std::io::Result<()> {
        if !self.enabled {
            return Ok(());
        }
        self.clear(out)?;
        let id = build["id"].as_str().unwrap_or("?");
        let status = build["buildStatus"].as_str().unwrap_or("?");
        let seconds = elapsed(build, now());
        writeln!(out, "[build] {id} {status} in {}", duration(seconds))
    }
}

/// `[BUILD] proj:uuid  00:42`
fn status_line(build: &Value, now: f64) -> String {
    let phase = build["currentPhase"].as_str().unwrap_or("SUBMITTED");
    let id = build["id"].as_str().unwrap_or("?");
    format!("[{phase}] {id}  {}", duration(elapsed(build, now)))
}

/// Seconds since the build started, up to its end when it has one.
fn elapsed(build: &Value, now: f64) -> u64 {
    let start = build["startTime"].as_f64().unwrap_or(now);
    let end = build["endTime"].as_f64().unwrap_or(now);
    (end - start).max(0.0) as u64
}

fn duration(seconds: u64) -> String {
    format!("{:02}:{:02}", seconds / 60, seconds % 60)
}

fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn build() -> Value {
        json!({
            "id": "p:1", "currentPhase": "BUILD", "startTime": 100.0, "buildStatus": "IN_PROGRESS",
            "phases": [
                {"phaseType": "SUBMITTED", "phaseStatus": "SUCCEEDED", "durationInSeconds": 0},
                {"phaseType": "QUEUED", "phaseStatus": "SUCCEEDED", "durationInSeconds": 2},
                {"phaseType": "BUILD"},
            ],
        })
    }

    #[test]
    fn plain_mode_prints_each_finished_phase_once() {
        let mut progress = Progress::new(false, true);
        let mut out = Vec::new();
        progress.phases(&mut out, &build()).unwrap();
        progress.phases(&mut out, &build()).unwrap();
        progress.redraw(&mut out, &build()).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "[phase] SUBMITTED SUCCEEDED (0s)\n[phase] QUEUED SUCCEEDED (2s)\n"
        );
    }

    #[test]
    fn live_mode_rewrites_one_line_and_clears_it_for_log_output() {
        let mut progress = Progress::new(true, true);
        let mut out = Vec::new();
        progress.phases(&mut out, &build()).unwrap();
        progress.redraw(&mut out, &build()).unwrap();
        progress.clear(&mut out).unwrap();
        progress.clear(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("[BUILD] p:1  "), "{text:?}");
        assert!(text.ends_with(CLEAR_LINE) && text.matches(CLEAR_LINE).count() == 1, "{text:?}");
    }

    #[test]
    fn the_status_line_shows_the_time_since_the_start() {
        assert_eq!(status_line(&build(), 175.0), "[BUILD] p:1  01:15");
        let mut done = build();
        done["endTime"] = json!(103.0);
        assert_eq!(elapsed(&done, 1000.0), 3);
    }
}

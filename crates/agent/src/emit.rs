//! The agent's only output channel: events as JSON lines on standard output, written whole
//! under a lock so that lines from output-reader threads never interleave.

use std::io::Write;
use std::sync::{Arc, Mutex};

use crate::clock::{container_line, now_ms};
use crate::protocol::{Context, Event};

#[derive(Clone)]
pub struct Emitter {
    out: Arc<Mutex<Box<dyn Write + Send>>>,
}

impl Emitter {
    pub fn stdout() -> Self {
        Emitter::to(Box::new(std::io::stdout()))
    }

    pub fn to(out: Box<dyn Write + Send>) -> Self {
        Emitter { out: Arc::new(Mutex::new(out)) }
    }

    pub fn emit(&self, event: &Event) {
        let mut line = event.to_line();
        line.push('\n');
        self.raw(&line);
    }

    /// Writes an already-encoded event line (the outer stage relays the inner stage's lines).
    pub fn raw(&self, line: &str) {
        let mut out = match self.out.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        // If the executor is gone there is no one to tell; the build is being torn down.
        let _ = out.write_all(line.as_bytes());
        let _ = out.flush();
    }

    /// A line of build output.
    pub fn log(&self, line: impl Into<String>) {
        self.emit(&Event::Log { at_ms: now_ms(), line: line.into() });
    }

    /// A CodeBuild-style agent line: `[Container] <time> <message>`.
    pub fn agent(&self, message: &str) {
        self.log(container_line(message));
    }

    pub fn phase_start(&self, phase: &str) {
        self.emit(&Event::PhaseStart { phase: phase.to_string(), at_ms: now_ms() });
    }

    /// Ends a phase, logging it as CodeBuild's agent does.
    pub fn phase_end(&self, phase: &str, status: &str, context: Option<Context>) {
        self.agent(&format!("Phase complete: {phase} State: {status}"));
        let (code, message) =
            context.as_ref().map(|c| (c.status_code.as_str(), c.message.as_str())).unwrap_or(("", ""));
        self.agent(&format!("Phase context status code: {code} Message: {message}"));
        let contexts = vec![context.unwrap_or(Context { status_code: String::new(), message: String::new() })];
        self.emit(&Event::PhaseEnd { phase: phase.to_string(), status: status.to_string(), contexts, at_ms: now_ms() });
    }
}

//! The agent's only output channel: events as JSON lines on standard output, written whole
//! under a lock so that lines from output-reader threads never interleave.
//!
//! Every line leaves through [`Emitter::write`], which hides the build's secret values in log
//! lines and phase contexts (see `crate::mask`): the outer stage's own lines, the lines it
//! relays from the inner stage ([`Emitter::raw`]), and build output alike. With a spool
//! ([`Emitter::use_spool`]), command output goes into the spool file, masked the same way,
//! and only its place there is emitted.

use std::borrow::Cow;
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use crate::clock::{container_line, now_ms};
use crate::mask::Secrets;
use crate::protocol::{Context, Event};
use crate::spool::Spool;

#[derive(Clone)]
pub struct Emitter {
    out: Arc<Mutex<Box<dyn Write + Send>>>,
    secrets: Arc<RwLock<Secrets>>,
    /// Where command output goes.
    output: Arc<Mutex<Output>>,
}

/// Where [`Emitter::output`] sends command output.
#[derive(Default)]
enum Output {
    /// As [`Event::Lines`].
    #[default]
    Events,
    Spool(Spool),
    /// The spool could not be written: the build is ending, output is dropped.
    Lost,
}

impl Emitter {
    pub fn stdout() -> Self {
        Emitter::to(Box::new(std::io::stdout()))
    }

    pub fn to(out: Box<dyn Write + Send>) -> Self {
        Emitter { out: Arc::new(Mutex::new(out)), secrets: Arc::default(), output: Arc::default() }
    }

    /// From now on, [`Emitter::output`] appends to `spool` (this emitter and its clones).
    pub fn use_spool(&self, spool: Spool) {
        *self.output.lock().unwrap_or_else(PoisonError::into_inner) = Output::Spool(spool);
    }

    /// From now on, these values are shown as `***` in every log line and phase context.
    pub fn hide(&self, values: impl IntoIterator<Item = String>) {
        self.secrets.write().unwrap_or_else(PoisonError::into_inner).add(values);
    }

    /// Every value [`Emitter::hide`] was given so far (for the inner stage, which writes
    /// output itself when it has a spool).
    pub fn hidden(&self) -> Vec<String> {
        self.secrets.read().unwrap_or_else(PoisonError::into_inner).values().to_vec()
    }

    pub fn emit(&self, event: &Event) {
        let secrets = self.secrets.read().unwrap_or_else(PoisonError::into_inner);
        let event = if secrets.is_empty() { Cow::Borrowed(event) } else { Cow::Owned(masked(event, &secrets)) };
        drop(secrets);
        let mut line = event.to_line();
        line.push('\n');
        self.write(&line);
    }

    /// Writes an already-encoded event line (the outer stage relays the inner stage's lines),
    /// masked like any other.
    pub fn raw(&self, line: &str) {
        let hiding = !self.secrets.read().unwrap_or_else(PoisonError::into_inner).is_empty();
        if !hiding {
            return self.write(line);
        }
        match Event::from_line(line.trim_end()) {
            Some(event) => self.emit(&event),
            None => self.log(line.trim_end()),
        }
    }

    fn write(&self, line: &str) {
        let mut out = self.out.lock().unwrap_or_else(PoisonError::into_inner);
        // If the executor is gone there is no one to tell; the build is being torn down.
        let _ = out.write_all(line.as_bytes());
        let _ = out.flush();
    }

    /// A line of build output.
    pub fn log(&self, line: impl Into<String>) {
        self.emit(&Event::Log { at_ms: now_ms(), line: line.into() });
    }

    /// Command output read together (whole lines, each ending with `\n`), as one event: into
    /// the spool file when there is one (a failure to write it is reported once, and later
    /// output is dropped), else as [`Event::Lines`].
    pub fn output(&self, lines: &str) {
        if lines.is_empty() {
            return;
        }
        // Held while emitting, so that events name spool offsets in the order written.
        let mut output = self.output.lock().unwrap_or_else(PoisonError::into_inner);
        let file = match &mut *output {
            Output::Spool(file) => file,
            Output::Lost => return,
            Output::Events => {
                drop(output);
                let lines = lines.split_terminator('\n').map(str::to_string).collect();
                return self.emit(&Event::Lines { at_ms: now_ms(), lines });
            }
        };
        let text = {
            let secrets = self.secrets.read().unwrap_or_else(PoisonError::into_inner);
            if secrets.is_empty() { Cow::Borrowed(lines) } else { Cow::Owned(mask_lines(lines, &secrets)) }
        };
        let at_ms = now_ms();
        match file.append(text.as_bytes()) {
            Ok(offset) => {
                let len = text.len() as u64;
                let lines = count_newlines(text.as_bytes()) as u64;
                self.emit(&Event::Spooled { at_ms, offset, len, lines });
            }
            Err(e) => {
                *output = Output::Lost;
                self.emit(&Event::SpoolFailed { error: e.to_string() });
            }
        }
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

/// The number of `\n` in `bytes`, eight bytes at a time: output is counted as fast as it is
/// read. The obvious `filter().count()` runs at about 2 GB/s here (a sixth of the agent's time
/// on 1 GiB of output), this at about 10.
fn count_newlines(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const NEWLINES: u64 = ONES * b'\n' as u64;
    const LOW7: u64 = ONES * 0x7f;
    let mut words = bytes.chunks_exact(8);
    let mut total = 0;
    for word in &mut words {
        let Ok(word) = <[u8; 8]>::try_from(word) else { continue };
        // A byte of `x` is zero where the byte was a newline; `zero` has the high bit of
        // exactly those bytes set (adding 0x7f carries into it from any other non-zero byte).
        let x = u64::from_ne_bytes(word) ^ NEWLINES;
        let zero = !(((x & LOW7) + LOW7) | x | LOW7);
        // Each byte of `zero >> 7` is 0 or 1; the multiply sums them into the top byte.
        total += ((zero >> 7).wrapping_mul(ONES) >> 56) as usize;
    }
    total + words.remainder().iter().filter(|&&b| b == b'\n').count()
}

/// Whole lines with the secrets hidden line by line, as in every other log line (a value is
/// never matched across a line's end).
fn mask_lines(lines: &str, secrets: &Secrets) -> String {
    let mut out = String::with_capacity(lines.len());
    for line in lines.split_terminator('\n') {
        out.push_str(&secrets.mask(line));
        out.push('\n');
    }
    out
}

/// `event` with the secrets hidden in what reaches the build log and the phase contexts.
fn masked(event: &Event, secrets: &Secrets) -> Event {
    match event {
        Event::Log { at_ms, line } => Event::Log { at_ms: *at_ms, line: secrets.mask(line).into_owned() },
        Event::Lines { at_ms, lines } => {
            Event::Lines { at_ms: *at_ms, lines: lines.iter().map(|l| secrets.mask(l).into_owned()).collect() }
        }
        Event::PhaseEnd { phase, status, contexts, at_ms } => Event::PhaseEnd {
            phase: phase.clone(),
            status: status.clone(),
            contexts: contexts
                .iter()
                .map(|c| Context { status_code: c.status_code.clone(), message: secrets.mask(&c.message).into_owned() })
                .collect(),
            at_ms: *at_ms,
        },
        other => other.clone(),
    }
}

/// An emitter writing into a buffer a test can read.
#[cfg(test)]
pub(crate) fn capture() -> (Emitter, Arc<Mutex<Vec<u8>>>) {
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Arc::new(Mutex::new(Vec::new()));
    (Emitter::to(Box::new(Sink(buf.clone()))), buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spool::Spool;

    fn text(buf: &Arc<Mutex<Vec<u8>>>) -> String {
        String::from_utf8(buf.lock().unwrap_or_else(PoisonError::into_inner).clone()).expect("utf-8")
    }

    #[test]
    fn newlines_are_counted_in_any_length_and_alignment() {
        // Every byte value beside newlines (0x8a and 0x0b differ from '\n' in one bit), runs of
        // newlines, and slices that start and end inside a word.
        let mut bytes: Vec<u8> = (0..20_000u32).map(|i| if i % 3 == 0 { b'\n' } else { (i % 256) as u8 }).collect();
        bytes.extend_from_slice(&[b'\n'; 100]);
        bytes.extend_from_slice(&[0x8a, 0x0b, 0x0a, 0xff, 0x00, 0x0a, 0x0a, 0x7f, 0x0a]);
        for (from, to) in [
            (0, 0),
            (0, 1),
            (1, 33),
            (5, 8165),
            (3, 8200),
            (0, bytes.len()),
            (7, bytes.len() - 3),
            (19_990, bytes.len()),
        ] {
            let slice = &bytes[from..to];
            assert_eq!(count_newlines(slice), slice.iter().filter(|&&b| b == b'\n').count(), "{from}..{to}");
        }
    }

    #[test]
    fn own_relayed_and_context_lines_are_masked() {
        let (emit, buf) = capture();
        emit.log("before s3cr3t");
        emit.hide(["s3cr3t".to_string()]);
        emit.log("echo s3cr3t");
        emit.agent("Running command echo s3cr3t");
        let relayed = Event::Log { at_ms: 1, line: "inner says s3cr3t".into() }.to_line();
        emit.raw(&format!("{relayed}\n"));
        emit.raw("not an event s3cr3t\n");
        emit.output("out s3cr3t\nclean\n");
        emit.phase_end(
            "BUILD",
            "FAILED",
            Some(Context { status_code: "COMMAND_EXECUTION_ERROR".into(), message: "cmd s3cr3t failed".into() }),
        );
        emit.emit(&Event::Exported { variables: vec![("X".into(), "s3cr3t".into())] });
        let out = text(&buf);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].contains("before s3cr3t"), "lines before hide() are not rewritten");
        let after = lines[1..].join("\n");
        assert_eq!(after.matches("s3cr3t").count(), 1, "only the exported value keeps it: {after}");
        assert!(after.contains(r#""line":"echo ***""#), "{after}");
        assert!(after.contains("inner says ***"), "{after}");
        assert!(after.contains("not an event ***"), "{after}");
        assert!(after.contains(r#""lines":["out ***","clean"]"#), "{after}");
        assert!(after.contains(r#""message":"cmd *** failed""#), "{after}");
        assert!(after.contains("Message: cmd *** failed"), "{after}");
    }

    fn events(buf: &Arc<Mutex<Vec<u8>>>) -> Vec<Event> {
        text(buf).lines().map(|l| Event::from_line(l).expect("an event")).collect()
    }

    #[test]
    fn output_goes_to_the_spool_masked_and_only_its_place_is_emitted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("spool.log");
        std::fs::write(&path, "earlier\n").expect("write");
        let file = std::fs::OpenOptions::new().append(true).open(&path).expect("open");
        let (emit, buf) = capture();
        emit.use_spool(Spool::to_file(file));
        emit.output("plain\n\n");
        emit.hide(["s3cr3t\n".to_string(), "other".to_string()]);
        emit.output("a s3cr3t\nother s3cr3t\n");
        emit.output("");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "earlier\nplain\n\na ***\n*** ***\n");
        let placed: Vec<(u64, u64, u64)> = events(&buf)
            .into_iter()
            .map(|e| match e {
                Event::Spooled { offset, len, lines, .. } => (offset, len, lines),
                other => panic!("only places are emitted: {other:?}"),
            })
            .collect();
        assert_eq!(placed, [(8, 7, 2), (15, 14, 2)]);
    }

    #[test]
    fn a_spool_that_cannot_be_written_is_reported_once_and_output_stops() {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
        let (emit, buf) = capture();
        emit.use_spool(Spool::to_file(full));
        emit.output("lost\n");
        emit.output("dropped too\n");
        let events = events(&buf);
        assert_eq!(events.len(), 1, "{events:?}");
        assert!(matches!(&events[0], Event::SpoolFailed { error } if error.contains("space")), "{events:?}");
    }

    #[test]
    fn without_a_spool_output_is_a_lines_event() {
        let (emit, buf) = capture();
        emit.output("a\r\n\nb\n");
        let events = events(&buf);
        let [Event::Lines { lines, .. }] = events.as_slice() else { panic!("one Lines event: {events:?}") };
        assert_eq!(lines, &["a\r", "", "b"], "split at newlines only");
    }
}

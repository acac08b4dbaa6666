//! Running a child with stdout and stderr merged into one pipe whose lines go to an
//! [`OutputSink`], without waiting forever for background processes that keep the pipe open.

use std::io::{self, Read};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread;
use std::time::Duration;

use super::OutputSink;

/// Longer lines are delivered in pieces of at most this many bytes.
pub const MAX_LINE_BYTES: usize = 256 * 1024;

/// How long to wait for end-of-output after the shell exits; longer means a background process
/// still holds the pipe, and its output keeps flowing to the sink after `run` returns.
pub const LEAK_TIMEOUT: Duration = Duration::from_millis(150);

/// Splits a byte stream into lines for the sink. Shared (behind a mutex) between the reader
/// thread and `run`, so lines keep their order even when `run` flushes a partial line.
struct LineSplitter {
    buf: Vec<u8>,
    sink: OutputSink,
}

impl LineSplitter {
    /// Hands the sink every line `data` completes, in one call.
    fn push(&mut self, mut data: &[u8]) {
        let mut lines = Vec::new();
        while let Some(i) = data.iter().position(|&b| b == b'\n') {
            if self.buf.is_empty() && i <= MAX_LINE_BYTES {
                // The common case: a whole line inside this read, copied once.
                lines.push(String::from_utf8_lossy(&data[..i]).into_owned());
            } else {
                self.buf.extend_from_slice(&data[..i]);
                self.take_long_prefix(&mut lines);
                lines.push(String::from_utf8_lossy(&self.buf).into_owned());
                self.buf.clear();
            }
            data = &data[i + 1..];
        }
        self.buf.extend_from_slice(data);
        self.take_long_prefix(&mut lines);
        if !lines.is_empty() {
            (self.sink)(lines);
        }
    }

    /// Delivers an unterminated line (at end of output, or when `run` returns).
    fn flush(&mut self) {
        if !self.buf.is_empty() {
            let line = String::from_utf8_lossy(&self.buf).into_owned();
            self.buf.clear();
            (self.sink)(vec![line]);
        }
    }

    fn take_long_prefix(&mut self, lines: &mut Vec<String>) {
        while self.buf.len() > MAX_LINE_BYTES {
            let cut = char_boundary(&self.buf, MAX_LINE_BYTES);
            let piece: Vec<u8> = self.buf.drain(..cut).collect();
            lines.push(String::from_utf8_lossy(&piece).into_owned());
        }
    }
}

/// A cut position at or just below `max` that does not split a UTF-8 sequence (if the bytes
/// there are valid UTF-8 at all).
fn char_boundary(buf: &[u8], max: usize) -> usize {
    let mut cut = max;
    while cut > max.saturating_sub(3) && cut > 1 && buf.get(cut).is_some_and(|b| b & 0xC0 == 0x80) {
        cut -= 1;
    }
    cut
}

fn lock(lines: &Mutex<LineSplitter>) -> std::sync::MutexGuard<'_, LineSplitter> {
    // A panicking sink must not silence all later output.
    lines.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Spawns `cmd` (stdin, stdout and stderr are set here) and waits for it to exit, forwarding
/// its output to `sink` line by line.
pub(crate) fn run_with_output(mut cmd: Command, sink: &OutputSink) -> io::Result<ExitStatus> {
    let (mut reader, writer) = io::pipe()?;
    cmd.stdin(Stdio::null()).stdout(writer.try_clone()?).stderr(writer);
    let child = cmd.spawn();
    // The Command holds our copies of the write end; EOF needs them closed.
    drop(cmd);
    let mut child = child?;

    let lines = Arc::new(Mutex::new(LineSplitter { buf: Vec::new(), sink: Arc::clone(sink) }));
    let (eof_tx, eof_rx) = mpsc::channel::<()>();
    let pump_lines = Arc::clone(&lines);
    let pump = thread::Builder::new().name("kiln-shell-output".into()).spawn(move || {
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            match reader.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => lock(&pump_lines).push(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        lock(&pump_lines).flush();
        let _ = eof_tx.send(());
    });
    let pump = match pump {
        Ok(pump) => pump,
        Err(e) => {
            // Nobody reads the pipe: stop the shell rather than let it block on a full pipe.
            let _ = child.kill();
            let _ = child.wait();
            return Err(e);
        }
    };

    let status = child.wait();
    match eof_rx.recv_timeout(LEAK_TIMEOUT) {
        Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => {
            let _ = pump.join();
        }
        // A background process holds the pipe: the pump thread stays detached and keeps
        // forwarding its output; the shell's unterminated last line is delivered now.
        Err(mpsc::RecvTimeoutError::Timeout) => lock(&lines).flush(),
    }
    status
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a panic is a test failure
mod tests {
    use super::*;

    fn collect() -> (OutputSink, Arc<Mutex<Vec<String>>>) {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink_lines = Arc::clone(&lines);
        let sink: OutputSink = Arc::new(move |batch| {
            if let Ok(mut v) = sink_lines.lock() {
                v.extend(batch)
            }
        });
        (sink, lines)
    }

    fn splitter(sink: OutputSink) -> LineSplitter {
        LineSplitter { buf: Vec::new(), sink }
    }

    #[test]
    fn splits_lines_across_chunks() {
        let (sink, lines) = collect();
        let mut s = splitter(sink);
        s.push(b"ab");
        s.push(b"c\n\nd\ne");
        s.push(b"f");
        s.flush();
        s.flush();
        assert_eq!(*lines.lock().unwrap(), ["abc", "", "d", "ef"]);
    }

    #[test]
    fn one_read_is_one_batch() {
        let batches = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&batches);
        let sink: OutputSink = Arc::new(move |batch: Vec<String>| kept.lock().unwrap().push(batch));
        let mut s = splitter(sink);
        s.push(b"a\nb\nc");
        s.push(b"\nd\n");
        s.push(b"no end");
        assert_eq!(*batches.lock().unwrap(), [vec!["a", "b"], vec!["c", "d"]]);
    }

    #[test]
    fn splits_long_lines_at_limit() {
        let (sink, lines) = collect();
        let mut s = splitter(sink);
        let mut data = vec![b'x'; MAX_LINE_BYTES];
        data.push(b'\n');
        data.extend(vec![b'y'; MAX_LINE_BYTES + 5]);
        data.push(b'\n');
        s.push(&data);
        let lines = lines.lock().unwrap();
        let lens: Vec<usize> = lines.iter().map(String::len).collect();
        assert_eq!(lens, [MAX_LINE_BYTES, MAX_LINE_BYTES, 5]);
    }

    #[test]
    fn long_line_split_keeps_utf8_characters_whole() {
        let (sink, lines) = collect();
        let mut s = splitter(sink);
        // 'é' is two bytes; an odd prefix puts one straddling the limit.
        let mut data = vec![b'x'];
        while data.len() < MAX_LINE_BYTES + 10 {
            data.extend_from_slice("é".as_bytes());
        }
        s.push(&data);
        s.flush();
        let lines = lines.lock().unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].len(), MAX_LINE_BYTES - 1);
        assert!(lines.iter().all(|l| !l.contains('\u{FFFD}')));
        assert_eq!(lines.concat().len(), data.len());
    }
}

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

/// The pipe commands write into (Linux allows up to `/proc/sys/fs/pipe-max-size`, 1 MiB by default).
const PIPE_BYTES: i32 = 1 << 20;
/// One read of output: one event, and one write to the spool. Below [`MAX_LINE_BYTES`], so
/// that a read's whole lines are never too long.
const READ_BYTES: usize = 128 * 1024;

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
        let mut lines = String::new();
        // The line carried over from the last read ends first.
        if !self.buf.is_empty() {
            let Some(end) = data.iter().position(|&b| b == b'\n') else {
                self.buf.extend_from_slice(data);
                self.take_long_prefix(&mut lines);
                return self.deliver(&lines);
            };
            self.buf.extend_from_slice(&data[..end]);
            self.take_long_prefix(&mut lines);
            push_line(&mut lines, &self.buf);
            self.buf.clear();
            data = &data[end + 1..];
        }
        let whole_len = data.iter().rposition(|&b| b == b'\n').map_or(0, |last| last + 1);
        let (whole, rest) = data.split_at(whole_len);
        match std::str::from_utf8(whole) {
            // The common case: valid UTF-8 and no line too long (the whole block is shorter
            // than the limit); with nothing carried over it reaches the sink uncopied.
            Ok(text) if whole.len() <= MAX_LINE_BYTES => {
                if lines.is_empty() {
                    self.deliver(text);
                } else {
                    lines.push_str(text);
                }
            }
            _ => {
                for line in whole.split_inclusive(|&b| b == b'\n') {
                    self.buf.extend_from_slice(&line[..line.len() - 1]);
                    self.take_long_prefix(&mut lines);
                    push_line(&mut lines, &self.buf);
                    self.buf.clear();
                }
            }
        }
        self.buf.extend_from_slice(rest);
        self.take_long_prefix(&mut lines);
        self.deliver(&lines);
    }

    /// Delivers an unterminated line (at end of output, or when `run` returns).
    fn flush(&mut self) {
        if !self.buf.is_empty() {
            let mut line = String::new();
            push_line(&mut line, &self.buf);
            self.buf.clear();
            self.deliver(&line);
        }
    }

    fn deliver(&self, lines: &str) {
        if !lines.is_empty() {
            (self.sink)(lines);
        }
    }

    /// Moves pieces of at most [`MAX_LINE_BYTES`] off a line too long to wait for its end.
    fn take_long_prefix(&mut self, lines: &mut String) {
        while self.buf.len() > MAX_LINE_BYTES {
            let cut = char_boundary(&self.buf, MAX_LINE_BYTES);
            push_line(lines, &self.buf[..cut]);
            self.buf.drain(..cut);
        }
    }
}

/// Appends `line` (invalid UTF-8 replaced) and a newline.
fn push_line(lines: &mut String, line: &[u8]) {
    lines.push_str(&String::from_utf8_lossy(line));
    lines.push('\n');
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
    // A larger pipe lets a command keep writing while the reader stores what it read; without
    // it a chatty command stalls on every write to the spool. Best effort: the default works.
    let _ = nix::fcntl::fcntl(&reader, nix::fcntl::FcntlArg::F_SETPIPE_SZ(PIPE_BYTES));
    cmd.stdin(Stdio::null()).stdout(writer.try_clone()?).stderr(writer);
    let child = cmd.spawn();
    // The Command holds our copies of the write end; EOF needs them closed.
    drop(cmd);
    let mut child = child?;

    let lines = Arc::new(Mutex::new(LineSplitter { buf: Vec::new(), sink: Arc::clone(sink) }));
    let (eof_tx, eof_rx) = mpsc::channel::<()>();
    let pump_lines = Arc::clone(&lines);
    let pump = thread::Builder::new().name("kiln-shell-output".into()).spawn(move || {
        let mut chunk = vec![0u8; READ_BYTES];
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

    /// A sink keeping each delivered block.
    fn collect() -> (OutputSink, Arc<Mutex<Vec<String>>>) {
        let blocks = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&blocks);
        let sink: OutputSink = Arc::new(move |block: &str| kept.lock().unwrap().push(block.to_string()));
        (sink, blocks)
    }

    fn splitter(sink: OutputSink) -> LineSplitter {
        LineSplitter { buf: Vec::new(), sink }
    }

    fn lines(blocks: &Mutex<Vec<String>>) -> Vec<String> {
        blocks.lock().unwrap().concat().split_terminator('\n').map(str::to_string).collect()
    }

    #[test]
    fn splits_lines_across_chunks() {
        let (sink, blocks) = collect();
        let mut s = splitter(sink);
        s.push(b"ab");
        s.push(b"c\n\nd\ne");
        s.push(b"f");
        s.flush();
        s.flush();
        assert_eq!(lines(&blocks), ["abc", "", "d", "ef"]);
        assert!(blocks.lock().unwrap().iter().all(|b| b.ends_with('\n')), "every block is whole lines");
    }

    #[test]
    fn one_read_is_one_block() {
        let (sink, blocks) = collect();
        let mut s = splitter(sink);
        s.push(b"a\nb\nc");
        s.push(b"\nd\n");
        s.push(b"no end");
        assert_eq!(*blocks.lock().unwrap(), ["a\nb\n", "c\nd\n"]);
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        let (sink, blocks) = collect();
        let mut s = splitter(sink);
        s.push(b"ok\n\xffbad\n");
        assert_eq!(lines(&blocks), ["ok", "\u{FFFD}bad"]);
    }

    #[test]
    fn splits_long_lines_at_limit() {
        let (sink, blocks) = collect();
        let mut s = splitter(sink);
        let mut data = vec![b'x'; MAX_LINE_BYTES];
        data.push(b'\n');
        data.extend(vec![b'y'; MAX_LINE_BYTES + 5]);
        data.push(b'\n');
        s.push(&data);
        let lens: Vec<usize> = lines(&blocks).iter().map(String::len).collect();
        assert_eq!(lens, [MAX_LINE_BYTES, MAX_LINE_BYTES, 5]);
    }

    #[test]
    fn a_long_line_is_delivered_in_pieces_before_its_end() {
        let (sink, blocks) = collect();
        let mut s = splitter(sink);
        for _ in 0..5 {
            s.push(&vec![b'z'; MAX_LINE_BYTES / 2]);
        }
        let lens: Vec<usize> = lines(&blocks).iter().map(String::len).collect();
        assert_eq!(lens, [MAX_LINE_BYTES, MAX_LINE_BYTES], "a full piece as soon as it is past the limit");
        s.flush();
        assert_eq!(lines(&blocks).last().map(String::len), Some(MAX_LINE_BYTES / 2));
    }

    #[test]
    fn long_line_split_keeps_utf8_characters_whole() {
        let (sink, blocks) = collect();
        let mut s = splitter(sink);
        // 'é' is two bytes; an odd prefix puts one straddling the limit.
        let mut data = vec![b'x'];
        while data.len() < MAX_LINE_BYTES + 10 {
            data.extend_from_slice("é".as_bytes());
        }
        s.push(&data);
        s.flush();
        let lines = lines(&blocks);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].len(), MAX_LINE_BYTES - 1);
        assert!(lines.iter().all(|l| !l.contains('\u{FFFD}')));
        assert_eq!(lines.concat().len(), data.len());
    }
}

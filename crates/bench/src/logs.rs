//! Log throughput: one build writing a large stream to stdout, beside the same stream piped
//! into `cat > /dev/null` and the same build discarding it.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::builds;
use crate::http::Connection;
use crate::server::rss_kib;

pub struct LogThroughput {
    pub bytes: u64,
    pub pipe_seconds: f64,
    /// The same stream into a file beside the data dir: the floor of keeping it at all.
    pub file_seconds: f64,
    pub build_discarding_seconds: f64,
    pub build_capturing_seconds: f64,
    pub rss_before_kib: Option<u64>,
    pub rss_peak_kib: Option<u64>,
}

impl LogThroughput {
    pub fn pipe_mib_s(&self) -> f64 {
        mib(self.bytes) / self.pipe_seconds.max(1e-9)
    }

    pub fn file_mib_s(&self) -> f64 {
        mib(self.bytes) / self.file_seconds.max(1e-9)
    }

    /// The stream over the time capture took: the capturing build less the fixed cost of a
    /// build (the discarding build less its pipe time).
    pub fn capture_mib_s(&self) -> f64 {
        let fixed = (self.build_discarding_seconds - self.pipe_seconds).max(0.0);
        mib(self.bytes) / (self.build_capturing_seconds - fixed).max(1e-9)
    }
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// 100-byte lines (99 characters and a newline), `bytes` in all.
fn stream(bytes: u64) -> String {
    format!(
        "yes '{}' | head -c {bytes}",
        "kiln-bench log line ".repeat(5).trim_end().chars().take(99).collect::<String>()
    )
}

/// Runs `sh -c script` and returns its wall time.
fn timed_shell(script: &str) -> Result<f64, String> {
    let t = Instant::now();
    let status = Command::new("sh").args(["-c", script]).stdout(Stdio::null()).status().map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("`{script}` failed"));
    }
    Ok(t.elapsed().as_secs_f64())
}

/// `scratch` is a directory on the data dir's file system, for the file baseline.
pub fn measure(addr: &str, server_pid: u32, bytes: u64, scratch: &Path) -> Result<LogThroughput, String> {
    let mut conn = Connection::open(addr).map_err(|e| e.to_string())?;
    let discard = format!("{} > /dev/null", stream(bytes));
    builds::create_project(&mut conn, "bench-log-discard", &[&discard])?;
    builds::create_project(&mut conn, "bench-log-capture", &[&stream(bytes)])?;

    let pipe_seconds = timed_shell(&format!("{} | cat > /dev/null", stream(bytes)))?;
    let file = scratch.join("log-baseline.txt");
    let file_seconds = timed_shell(&format!("{} | cat > '{}'", stream(bytes), file.display()))?;
    let _ = std::fs::remove_file(&file);

    let (build_discarding_seconds, _) = timed_build(&mut conn, "bench-log-discard", server_pid)?;
    let rss_before_kib = rss_kib(server_pid);
    let (build_capturing_seconds, rss_peak_kib) = timed_build(&mut conn, "bench-log-capture", server_pid)?;
    Ok(LogThroughput {
        bytes,
        pipe_seconds,
        file_seconds,
        build_discarding_seconds,
        build_capturing_seconds,
        rss_before_kib,
        rss_peak_kib,
    })
}

/// StartBuild → complete, sampling the server's RSS meanwhile; returns (seconds, peak KiB).
fn timed_build(conn: &mut Connection, project: &str, pid: u32) -> Result<(f64, Option<u64>), String> {
    let t = Instant::now();
    let id = builds::start(conn, project)?;
    let deadline = t + Duration::from_secs(1800);
    let mut peak = None;
    loop {
        peak = peak.max(rss_kib(pid));
        let build = builds::get(conn, std::slice::from_ref(&id))?.pop().unwrap_or_default();
        if builds::complete(&build) {
            if build["buildStatus"] != "SUCCEEDED" {
                return Err(format!("log build {id} ended {}", build["buildStatus"]));
            }
            return Ok((t.elapsed().as_secs_f64(), peak));
        }
        if Instant::now() > deadline {
            return Err(format!("log build {id} did not finish"));
        }
        // Coarse polling: the build needs the cores more than we need precision.
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_is_exactly_the_bytes_asked_in_100_byte_lines() {
        let out = Command::new("sh").args(["-c", &stream(1000)]).output().expect("sh");
        assert_eq!(out.stdout.len(), 1000);
        let lines: Vec<&[u8]> = out.stdout.split(|b| *b == b'\n').collect();
        assert_eq!(lines.len(), 11, "ten full lines and an empty tail");
        assert!(lines[..10].iter().all(|l| l.len() == 99));
    }
}

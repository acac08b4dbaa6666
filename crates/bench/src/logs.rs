//! Log throughput: one build writing a large stream to stdout, beside the same stream piped
//! into `cat > /dev/null` and into a file, and the same build discarding it, in rounds.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::builds;
use crate::http::Connection;
use crate::server::rss_kib;
use crate::stats::percentile;

/// One round of the four runs, taken back to back.
#[derive(Debug, Clone, Copy)]
pub struct LogRound {
    pub pipe_seconds: f64,
    /// The same stream into a file beside the data dir: the floor of keeping it at all.
    pub file_seconds: f64,
    pub build_discarding_seconds: f64,
    pub build_capturing_seconds: f64,
}

impl LogRound {
    /// The stream over the time capture took: the capturing build less the fixed cost of a
    /// build (the discarding build less its pipe time).
    fn capture_seconds(&self) -> f64 {
        let fixed = (self.build_discarding_seconds - self.pipe_seconds).max(0.0);
        (self.build_capturing_seconds - fixed).max(1e-9)
    }
}

/// Rounds of the same four runs in turns, so that the host's speed drifting during the run
/// (writes into fresh page cache here took 1 to 3 s per GiB within minutes) moves the
/// baselines and Kiln alike; each figure is the median over the rounds, each ratio the median
/// of the rounds' own ratios.
pub struct LogThroughput {
    pub bytes: u64,
    pub rounds: Vec<LogRound>,
    pub rss_before_kib: Option<u64>,
    pub rss_peak_kib: Option<u64>,
}

impl LogThroughput {
    /// The median over the rounds of one figure of a round.
    pub fn median(&self, of: impl Fn(&LogRound) -> f64) -> f64 {
        percentile(&self.rounds.iter().map(of).collect::<Vec<_>>(), 50.0)
    }

    pub fn pipe_seconds(&self) -> f64 {
        self.median(|r| r.pipe_seconds)
    }

    pub fn file_seconds(&self) -> f64 {
        self.median(|r| r.file_seconds)
    }

    pub fn build_discarding_seconds(&self) -> f64 {
        self.median(|r| r.build_discarding_seconds)
    }

    pub fn build_capturing_seconds(&self) -> f64 {
        self.median(|r| r.build_capturing_seconds)
    }

    pub fn pipe_mib_s(&self) -> f64 {
        self.median(|r| mib(self.bytes) / r.pipe_seconds.max(1e-9))
    }

    pub fn file_mib_s(&self) -> f64 {
        self.median(|r| mib(self.bytes) / r.file_seconds.max(1e-9))
    }

    pub fn capture_mib_s(&self) -> f64 {
        self.median(|r| mib(self.bytes) / r.capture_seconds())
    }

    /// Capture rate over the pipe's rate, a fraction.
    pub fn capture_over_pipe(&self) -> f64 {
        self.median(|r| r.pipe_seconds / r.capture_seconds())
    }

    /// Capture rate over the file's rate, a fraction.
    pub fn capture_over_file(&self) -> f64 {
        self.median(|r| r.file_seconds / r.capture_seconds())
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
pub fn measure(
    addr: &str,
    server_pid: u32,
    bytes: u64,
    rounds: usize,
    scratch: &Path,
) -> Result<LogThroughput, String> {
    let mut conn = Connection::open(addr).map_err(|e| e.to_string())?;
    let discard = format!("{} > /dev/null", stream(bytes));
    builds::create_project(&mut conn, "bench-log-discard", &[&discard])?;
    builds::create_project(&mut conn, "bench-log-capture", &[&stream(bytes)])?;

    let file = scratch.join("log-baseline.txt");
    let (mut taken, mut rss_before_kib, mut rss_peak_kib) = (Vec::new(), None, None);
    for _ in 0..rounds.max(1) {
        let pipe_seconds = timed_shell(&format!("{} | cat > /dev/null", stream(bytes)))?;
        let file_seconds = timed_shell(&format!("{} | cat > '{}'", stream(bytes), file.display()))?;
        let _ = std::fs::remove_file(&file);
        let (build_discarding_seconds, _) = timed_build(&mut conn, "bench-log-discard", server_pid)?;
        rss_before_kib = rss_before_kib.or(rss_kib(server_pid));
        let (build_capturing_seconds, peak) = timed_build(&mut conn, "bench-log-capture", server_pid)?;
        rss_peak_kib = rss_peak_kib.max(peak);
        taken.push(LogRound { pipe_seconds, file_seconds, build_discarding_seconds, build_capturing_seconds });
    }
    Ok(LogThroughput { bytes, rounds: taken, rss_before_kib, rss_peak_kib })
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
    fn ratios_pair_the_runs_of_one_round() {
        let round = |pipe, file, capturing| LogRound {
            pipe_seconds: pipe,
            file_seconds: file,
            build_discarding_seconds: 0.5,
            build_capturing_seconds: capturing,
        };
        // The host twice as slow in the second round: the ratios stay those of each round.
        let l = LogThroughput {
            bytes: 1 << 30,
            rounds: vec![round(1.0, 2.0, 2.0), round(2.0, 4.0, 4.0), round(1.0, 2.0, 4.0)],
            rss_before_kib: None,
            rss_peak_kib: None,
        };
        assert_eq!(l.capture_over_pipe(), 0.5);
        assert_eq!(l.capture_over_file(), 1.0);
        assert_eq!(l.pipe_seconds(), 1.0);
        assert_eq!(l.capture_mib_s(), 256.0);
    }

    #[test]
    fn the_stream_is_exactly_the_bytes_asked_in_100_byte_lines() {
        let out = Command::new("sh").args(["-c", &stream(1000)]).output().expect("sh");
        assert_eq!(out.stdout.len(), 1000);
        let lines: Vec<&[u8]> = out.stdout.split(|b| *b == b'\n').collect();
        assert_eq!(lines.len(), 11, "ten full lines and an empty tail");
        assert!(lines[..10].iter().all(|l| l.len() == 99));
    }
}

//! The servers under test, started as child processes and killed when dropped.

use std::io::BufRead;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct KilnServer {
    child: Child,
    pub addr: String,
}

impl KilnServer {
    /// `kiln serve` on `data_dir`, with `extra` arguments (e.g. `--concurrency 50`).
    pub fn start(kiln: &Path, data_dir: &Path, extra: &[&str]) -> Result<KilnServer, String> {
        let mut child = Command::new(kiln)
            .args(["serve", "--listen", "127.0.0.1:0", "--max-queued-builds", "1000000"])
            .args(extra)
            .arg("--data-dir")
            .arg(data_dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", kiln.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut line = String::new();
        std::io::BufReader::new(stdout).read_line(&mut line).map_err(|e| e.to_string())?;
        let addr = line.trim().strip_prefix("kiln listening on http://").ok_or("kiln did not start")?.to_string();
        Ok(KilnServer { child, addr })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for KilnServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct MotoServer {
    child: Child,
    pub addr: String,
}

impl MotoServer {
    /// `moto_server -p PORT` on a free port; `None` when moto is not installed.
    pub fn start() -> Option<MotoServer> {
        let port = TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let server = MotoServer { child, addr: format!("127.0.0.1:{port}") };
        // Moto prints nothing reliable on stdout: wait until it accepts connections.
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(&server.addr).is_ok() {
                return Some(server);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The resident set size of a process in KiB, from /proc/<pid>/status.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_vm_rss(&status)
}

fn parse_vm_rss(status: &str) -> Option<u64> {
    status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.split_whitespace().next()?.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vm_rss_is_read_from_the_status_file() {
        assert_eq!(parse_vm_rss("Name:\tkiln\nVmPeak:\t 99 kB\nVmRSS:\t   12345 kB\n"), Some(12345));
        assert_eq!(parse_vm_rss("Name:\tkiln\n"), None);
        assert!(rss_kib(std::process::id()).is_some_and(|k| k > 0));
    }
}

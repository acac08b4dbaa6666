//! Queue drain: N trivial builds submitted at once, and what each costs beyond its own processes.

use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::builds;
use crate::http::Connection;
use crate::load::throughput;

pub struct Drain {
    pub builds: usize,
    pub concurrency: usize,
    pub submit_seconds: f64,
    pub drain_seconds: f64,
    /// Slot time per build: concurrency × drain time / builds.
    pub per_build_ms: f64,
    /// The build's own processes, run alone: its command in the sandbox Kiln uses.
    pub own_processes_ms: f64,
}

impl Drain {
    pub fn per_second(&self) -> f64 {
        self.builds as f64 / self.drain_seconds.max(1e-9)
    }

    pub fn overhead_ms(&self) -> f64 {
        self.per_build_ms - self.own_processes_ms
    }
}

pub fn measure(addr: &str, count: usize, concurrency: usize, sandboxed: bool) -> Result<Drain, String> {
    let mut conn = Connection::open(addr).map_err(|e| e.to_string())?;
    let project = "bench-drain";
    builds::create_project(&mut conn, project, &["true"])?;
    let ids = Mutex::new(Vec::with_capacity(count));
    let started = Instant::now();
    throughput(&|| Connection::open(addr), 3600.0, 4, count, &|c, _| {
        let id = builds::start(c, project)?;
        ids.lock().map_err(|_| "poisoned".to_string())?.push(id);
        Ok(())
    })?;
    let submit_seconds = started.elapsed().as_secs_f64();
    let ids = ids.into_inner().map_err(|_| "poisoned".to_string())?;
    builds::wait_succeeded(&mut conn, &ids, Duration::from_secs(3600), builds::POLL)?;
    let drain_seconds = started.elapsed().as_secs_f64();
    let own_processes_ms = own_processes(sandboxed, 20)?;
    Ok(Drain {
        builds: ids.len(),
        concurrency,
        submit_seconds,
        drain_seconds,
        per_build_ms: concurrency as f64 * drain_seconds * 1e3 / ids.len().max(1) as f64,
        own_processes_ms,
    })
}

/// Mean time of the build's command alone (`sh -c true`, in bubblewrap when Kiln sandboxes).
fn own_processes(sandboxed: bool, runs: usize) -> Result<f64, String> {
    let started = Instant::now();
    for _ in 0..runs {
        let mut c = if sandboxed {
            let mut c = Command::new("bwrap");
            c.args(["--die-with-parent", "--unshare-all", "--share-net", "--ro-bind", "/", "/", "--dev", "/dev"]);
            c.args(["--proc", "/proc", "--tmpfs", "/tmp", "sh", "-c", "true"]);
            c
        } else {
            let mut c = Command::new("sh");
            c.args(["-c", "true"]);
            c
        };
        if !c.status().map(|s| s.success()).unwrap_or(false) {
            return Err("the build's command alone failed".into());
        }
    }
    Ok(started.elapsed().as_secs_f64() * 1e3 / runs as f64)
}

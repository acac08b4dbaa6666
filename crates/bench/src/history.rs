//! Latency as history grows: a fresh server whose store is seeded with N finished builds.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::api::{Cell, Load, Targets, measure_kiln};
use crate::http::Connection;
use crate::server::{KilnServer, rss_kib};
use crate::{builds, seed};

pub struct History {
    pub builds: usize,
    pub seed_seconds: f64,
    /// (JSON, CBOR) per call, in `api::CALLS` order.
    pub cells: Vec<(Cell, Cell)>,
    /// Server RSS once the history is stored and the reads have run.
    pub rss_kib: Option<u64>,
}

pub fn measure(kiln: &Path, base: &Path, count: usize, load: Load) -> Result<History, String> {
    let data = base.join(format!("history-{count}"));
    let server = KilnServer::start(kiln, &data, &[])?;
    let mut conn = Connection::open(&server.addr).map_err(|e| e.to_string())?;
    let project = "bench-history";
    builds::create_project(&mut conn, project, &["true"])?;
    let template = builds::start(&mut conn, project)?;
    builds::wait_succeeded(&mut conn, std::slice::from_ref(&template), Duration::from_secs(60), builds::POLL)?;
    let seeding = Instant::now();
    let ids = seed::seed(&data.join("kiln.db"), &template, count.saturating_sub(1))?;
    let seed_seconds = seeding.elapsed().as_secs_f64();
    // The middle of the history: neither the newest rows nor the oldest.
    let middle = ids.len() / 2;
    let hundred: Vec<String> = ids.iter().skip(middle.saturating_sub(50)).take(100).cloned().collect();
    let probe = builds::get(&mut conn, &hundred)?;
    let logs = probe.first().map(|b| b["logs"].clone()).unwrap_or_default();
    let targets = Targets {
        project: project.into(),
        ids: hundred,
        log_group: logs["groupName"].as_str().unwrap_or_default().into(),
        log_stream: logs["streamName"].as_str().unwrap_or_default().into(),
    };
    let mut rss = None;
    let cells = measure_kiln(&server.addr, &targets, load, &mut || rss = rss_kib(server.pid()));
    Ok(History { builds: count, seed_seconds, cells, rss_kib: rss })
}

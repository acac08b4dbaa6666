//! Server memory: idle, and with builds running (the seeded-history figure comes from `history`).

use std::path::Path;
use std::time::Duration;

use crate::builds;
use crate::http::Connection;
use crate::load::json_call;
use crate::server::{KilnServer, rss_kib};

pub struct Memory {
    pub idle_kib: Option<u64>,
    pub running: usize,
    pub running_kib: Option<u64>,
}

/// A fresh server's RSS after one call, then with `running` builds in their BUILD phase at once.
pub fn measure(kiln: &Path, data: &Path, running: usize) -> Result<Memory, String> {
    let concurrency = running.to_string();
    let server = KilnServer::start(kiln, data, &["--concurrency", &concurrency, "--stop-grace-seconds", "0.2"])?;
    let mut conn = Connection::open(&server.addr).map_err(|e| e.to_string())?;
    builds::create_project(&mut conn, "bench-memory", &["sleep 600"])?;
    let idle_kib = rss_kib(server.pid());
    let ids: Vec<String> = (0..running).map(|_| builds::start(&mut conn, "bench-memory")).collect::<Result<_, _>>()?;
    builds::wait_until(&mut conn, &ids, Duration::from_secs(300), builds::POLL, &|b| b["currentPhase"] == "BUILD")?;
    let running_kib = rss_kib(server.pid());
    // Stop them rather than leave sleeping processes behind the killed server.
    for id in &ids {
        json_call(&mut conn, "CodeBuild_20161006.StopBuild", &serde_json::json!({"id": id}).to_string())?;
    }
    builds::wait_until(&mut conn, &ids, Duration::from_secs(60), builds::POLL, &builds::complete)?;
    Ok(Memory { idle_kib, running, running_kib })
}

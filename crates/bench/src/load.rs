//! Closed-loop load: a few connections each calling as fast as the server answers.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::http::Connection;

pub struct Throughput {
    pub rps: f64,
    pub latencies: Vec<f64>,
}

/// One request on a connection; `Err` ends the run (a non-200 answer is an error).
pub type Call<'a> = dyn Fn(&mut Connection, usize) -> Result<(), String> + Sync + 'a;

/// `connections` threads, each on its own connection from `open`, calling `call` in a loop
/// for `seconds` or until `max_calls` calls were made in all.
pub fn throughput(
    open: &(dyn Fn() -> std::io::Result<Connection> + Sync),
    seconds: f64,
    connections: usize,
    max_calls: usize,
    call: &Call<'_>,
) -> Result<Throughput, String> {
    let start = Instant::now();
    let until = start + Duration::from_secs_f64(seconds);
    let issued = AtomicUsize::new(0);
    let results: Vec<Result<Vec<f64>, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..connections)
            .map(|_| {
                let issued = &issued;
                scope.spawn(move || {
                    let mut conn = open().map_err(|e| e.to_string())?;
                    let mut latencies = Vec::new();
                    while Instant::now() < until {
                        // A shared count, so that exactly `max_calls` calls are made.
                        let i = issued.fetch_add(1, Ordering::Relaxed);
                        if i >= max_calls {
                            break;
                        }
                        let t = Instant::now();
                        call(&mut conn, i)?;
                        latencies.push(t.elapsed().as_secs_f64() * 1e3);
                    }
                    Ok(latencies)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err("thread panicked".into()))).collect()
    });
    let elapsed = start.elapsed().as_secs_f64();
    let mut latencies = Vec::new();
    for r in results {
        latencies.extend(r?);
    }
    Ok(Throughput { rps: latencies.len() as f64 / elapsed, latencies })
}

/// A JSON 1.1 call that must answer 200.
pub fn json_call(conn: &mut Connection, target: &str, body: &str) -> Result<serde_json::Value, String> {
    let (status, out) = conn.call(target, body).map_err(|e| format!("{target}: {e}"))?;
    if status != 200 {
        return Err(format!("{target}: HTTP {status}: {out}"));
    }
    Ok(out)
}

/// A JSON 1.1 call that must answer 200 with a body, which is not decoded (see
/// [`Connection::call_raw`]).
pub fn json_check(conn: &mut Connection, target: &str, body: &str) -> Result<(), String> {
    let (status, out) = conn.call_raw(target, body).map_err(|e| format!("{target}: {e}"))?;
    checked(target, status, &out)
}

/// [`json_check`] over RPC v2 CBOR.
pub fn cbor_check(conn: &mut Connection, target: &str, body: &[u8]) -> Result<(), String> {
    let (status, out) = conn.call_cbor_raw(target, body).map_err(|e| format!("{target} (CBOR): {e}"))?;
    checked(target, status, &out)
}

fn checked(target: &str, status: u16, body: &[u8]) -> Result<(), String> {
    match (status, body.is_empty()) {
        (200, false) => Ok(()),
        (200, true) => Err(format!("{target}: HTTP 200 with an empty body")),
        _ => Err(format!("{target}: HTTP {status}: {}", String::from_utf8_lossy(body))),
    }
}

//! The table on stdout and the JSON report.

use serde_json::{Value, json};

use crate::api::{self, CALLS, Cell, Load};
use crate::drain::Drain;
use crate::history::History;
use crate::logs::{LogRound, LogThroughput};
use crate::memory::Memory;
use crate::stats::{mean, percentile, summary};

pub struct Figures<'a> {
    pub latency_runs: usize,
    pub floor: &'a [f64],
    pub floor_bwrap: Option<&'a [f64]>,
    pub kiln: &'a [f64],
    pub load: Load,
    pub histories: &'a [History],
    pub moto: &'a Result<Vec<Cell>, String>,
    pub drain: &'a Drain,
    pub log: &'a LogThroughput,
    pub memory: &'a Memory,
}

pub fn print(f: &Figures<'_>) {
    println!();
    println!("StartBuild -> first buildspec command ({} runs, small local repository)", f.latency_runs);
    println!("  {:<44} {:>9} {:>9} {:>9}", "", "p50 ms", "p99 ms", "mean ms");
    print_row("floor: git clone --depth 1 + sh", f.floor);
    if let Some(b) = f.floor_bwrap {
        print_row("floor: git clone --depth 1 + bwrap sh", b);
    }
    print_row("kiln: StartBuild -> first command", f.kiln);
    println!("  kiln p50 / floor p50 = {:.2}x", percentile(f.kiln, 50.0) / percentile(f.floor, 50.0));

    println!();
    println!(
        "API ({} keep-alive connections, {} s per cell, StartBuild at most {} calls; req/s p50 ms p99 ms)",
        f.load.connections, f.load.seconds, f.load.max_starts
    );
    let moto_cells: Vec<Option<&Cell>> = match f.moto {
        Ok(cells) => cells.iter().map(Some).collect(),
        Err(e) => {
            println!("  moto: n/a ({e})");
            vec![None; CALLS.len()]
        }
    };
    println!(
        "  {:<26} {:>8} {:>27} {:>27} {:>27} {:>10}",
        "call", "history", "kiln JSON", "kiln CBOR", "moto JSON", "kiln/moto"
    );
    for (c, call) in CALLS.iter().enumerate() {
        for h in f.histories {
            let (json_cell, cbor_cell) = &h.cells[c];
            let moto = moto_cells.get(c).copied().flatten();
            println!(
                "  {:<26} {:>8} {} {} {} {:>10}",
                call,
                h.builds,
                api::cell_text(json_cell),
                api::cell_text(cbor_cell),
                moto.map(api::cell_text).unwrap_or_else(|| format!("{:>9} {:>8} {:>8}", "n/a", "", "")),
                ratio(json_cell, moto),
            );
        }
    }
    for h in f.histories {
        println!("  seeding {} builds into the store took {:.1} s", h.builds, h.seed_seconds);
    }

    let d = f.drain;
    println!();
    println!("Queue drain ({} trivial builds submitted at once, concurrency {})", d.builds, d.concurrency);
    println!(
        "  submitted in {:.2} s, all finished after {:.2} s: {:.1} builds/s",
        d.submit_seconds,
        d.drain_seconds,
        d.per_second()
    );
    println!(
        "  per build: {:.1} ms of a slot = {:.1} ms the build's own processes (sh -c true{}) + {:.1} ms Kiln overhead",
        d.per_build_ms,
        d.own_processes_ms,
        if f.floor_bwrap.is_some() { " in bwrap" } else { "" },
        d.overhead_ms()
    );

    let l = f.log;
    println!();
    println!(
        "Log throughput ({} MiB of 100-byte lines to stdout; median of {} rounds in turns, min-max)",
        l.bytes >> 20,
        l.rounds.len()
    );
    // Each run's median over the rounds and its spread, from the one field of a round.
    let row = |name: &str, of: fn(&LogRound) -> f64, rate: Option<f64>| {
        let all: Vec<f64> = l.rounds.iter().map(of).collect();
        let range = format!("{:.2}-{:.2}", percentile(&all, 0.0), percentile(&all, 100.0));
        let rate = rate.map(|r| format!("{r:>9.0} MiB/s")).unwrap_or_default();
        let seconds = l.median(of);
        println!("{}", format!("  {name:<44} {seconds:>7.2} s ({range:>9}) {rate}").trim_end());
    };
    row("pipe: yes | head -c | cat > /dev/null", |r| r.pipe_seconds, Some(l.pipe_mib_s()));
    row("file: yes | head -c | cat > file (data disk)", |r| r.file_seconds, Some(l.file_mib_s()));
    row("build, output to /dev/null (no capture)", |r| r.build_discarding_seconds, None);
    row("build, output captured by Kiln", |r| r.build_capturing_seconds, Some(l.capture_mib_s()));
    println!(
        "  capture rate / pipe rate = {:.0}% (target 80%); / file rate = {:.0}%",
        100.0 * l.capture_over_pipe(),
        100.0 * l.capture_over_file()
    );
    println!("  server RSS before {} / peak during capture {}", kib(l.rss_before_kib), kib(l.rss_peak_kib));

    let m = f.memory;
    println!();
    println!("Server memory (VmRSS)");
    println!("  {:<44} {:>12}", "idle (fresh store)", kib(m.idle_kib));
    for h in f.histories {
        println!("  {:<44} {:>12}", format!("{} builds stored (after the reads)", h.builds), kib(h.rss_kib));
    }
    println!("  {:<44} {:>12}", format!("{} builds running", m.running), kib(m.running_kib));
}

pub fn json(f: &Figures<'_>) -> Value {
    let moto: Vec<Value> = match f.moto {
        Ok(cells) => cells.iter().map(api::cell_json).collect(),
        Err(e) => vec![json!({"na": e}); CALLS.len()],
    };
    let api: Vec<Value> = f
        .histories
        .iter()
        .map(|h| {
            let calls: serde_json::Map<String, Value> = CALLS
                .iter()
                .enumerate()
                .map(|(c, call)| {
                    let (j, b) = &h.cells[c];
                    (
                        call.to_string(),
                        json!({"json": api::cell_json(j), "cbor": api::cell_json(b), "moto_json": moto[c]}),
                    )
                })
                .collect();
            json!({"history_builds": h.builds, "seed_seconds": h.seed_seconds, "rss_kib": h.rss_kib, "calls": calls})
        })
        .collect();
    let (d, l, m) = (f.drain, f.log, f.memory);
    json!({
        "latency_runs": f.latency_runs,
        "floor_ms": summary(f.floor),
        "floor_bwrap_ms": f.floor_bwrap.map(summary),
        "kiln_ms": summary(f.kiln),
        "api": {"connections": f.load.connections, "seconds_per_cell": f.load.seconds, "max_starts": f.load.max_starts, "by_history": api},
        "queue_drain": {
            "builds": d.builds, "concurrency": d.concurrency, "submit_seconds": d.submit_seconds,
            "drain_seconds": d.drain_seconds, "builds_per_second": d.per_second(), "slot_ms_per_build": d.per_build_ms,
            "own_processes_ms": d.own_processes_ms, "overhead_ms": d.overhead_ms(),
        },
        "log_throughput": {
            "bytes": l.bytes, "pipe_seconds": l.pipe_seconds(), "pipe_mib_s": l.pipe_mib_s(),
            "file_seconds": l.file_seconds(), "file_mib_s": l.file_mib_s(),
            "build_discarding_seconds": l.build_discarding_seconds(), "build_capturing_seconds": l.build_capturing_seconds(),
            "capture_mib_s": l.capture_mib_s(), "capture_over_pipe": l.capture_over_pipe(),
            "capture_over_file": l.capture_over_file(), "rss_before_kib": l.rss_before_kib, "rss_peak_kib": l.rss_peak_kib,
            "rounds": l.rounds.iter().map(|r| json!({
                "pipe_seconds": r.pipe_seconds, "file_seconds": r.file_seconds,
                "build_discarding_seconds": r.build_discarding_seconds, "build_capturing_seconds": r.build_capturing_seconds,
            })).collect::<Vec<_>>(),
        },
        "memory_kib": {
            "idle": m.idle_kib,
            "with_history": f.histories.iter().map(|h| json!({"builds": h.builds, "rss": h.rss_kib})).collect::<Vec<_>>(),
            "running": {"builds": m.running, "rss": m.running_kib},
        },
    })
}

fn print_row(name: &str, samples: &[f64]) {
    println!(
        "  {:<44} {:>9.1} {:>9.1} {:>9.1}",
        name,
        percentile(samples, 50.0),
        percentile(samples, 99.0),
        mean(samples)
    );
}

/// Kiln's JSON throughput over moto's, or n/a.
fn ratio(kiln: &Cell, moto: Option<&Cell>) -> String {
    match (kiln, moto) {
        (Ok(k), Some(Ok(m))) if m.rps > 0.0 => format!("{:.1}x", k.rps / m.rps),
        _ => "n/a".into(),
    }
}

fn kib(v: Option<u64>) -> String {
    v.map(|k| format!("{:.1} MiB", k as f64 / 1024.0)).unwrap_or_else(|| "n/a".into())
}

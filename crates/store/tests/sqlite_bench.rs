//! Rough throughput of a file store holding many builds. Prints, never asserts: numbers depend
//! on the disk (every commit is fsynced). Run with
//! `cargo test -p kiln-store --release --test sqlite_bench -- --ignored --nocapture`;
//! `KILN_BENCH_BUILDS` changes the build count (default 100,000).

use std::time::{Duration, Instant};

use kiln_store::{BuildRecord, BuildState, LogEvent, Order, ProjectRecord, SqliteStore, Store};

const PROJECTS: usize = 10;
const BATCH: usize = 100;

fn rate(what: &str, count: usize, elapsed: Duration) {
    let per_sec = count as f64 / elapsed.as_secs_f64();
    println!("{what:<44} {count:>8} in {:>8.3}s = {per_sec:>10.0}/s", elapsed.as_secs_f64());
}

/// A small deterministic generator, so runs pick the same ids.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n
    }
}

#[test]
#[ignore = "benchmark; prints throughput"]
fn bench_many_builds() {
    let total: usize = std::env::var("KILN_BENCH_BUILDS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("kiln.db")).expect("open");
    for p in 0..PROJECTS {
        store
            .create_project(&ProjectRecord {
                name: format!("project-{p}"),
                created_ms: 0,
                modified_ms: 0,
                doc: "{}".to_string(),
            })
            .expect("create project");
    }
    // About the size of a real Build document.
    let padding = "x".repeat(2000);
    let ids: Vec<String> = (0..total).map(|i| format!("project-{}:{i:08}", i % PROJECTS)).collect();

    let start = Instant::now();
    let mut tenth = Instant::now();
    for (i, id) in ids.iter().enumerate() {
        // The rate per tenth shows whether inserts slow down as the table grows.
        if i > 0 && i % (total / 10).max(1) == 0 {
            rate(&format!("  insert_build up to {i}"), (total / 10).max(1), tenth.elapsed());
            tenth = Instant::now();
        }
        let build = BuildRecord {
            id: id.clone(),
            project: format!("project-{}", i % PROJECTS),
            number: 0,
            state: if i + 100 < total { BuildState::Done } else { BuildState::Queued },
            submitted_ms: i as i64,
            stop_requested: false,
            doc: String::new(),
            settings: String::new(),
        };
        store.insert_build(&build, &|n| format!(r#"{{"buildNumber":{n},"pad":"{padding}"}}"#), None).expect("insert");
    }
    rate("insert_build (one transaction each)", total, start.elapsed());

    let mut lcg = Lcg(7);
    let rounds = 1000;
    let start = Instant::now();
    for _ in 0..rounds {
        let batch: Vec<String> = (0..BATCH).map(|_| ids[lcg.below(total)].clone()).collect();
        let got = store.get_builds(&batch).expect("get builds");
        assert!(!got.is_empty());
    }
    rate("get_builds(100 random ids)", rounds, start.elapsed());

    let start = Instant::now();
    let mut pages = 0;
    let mut token: Option<String> = None;
    loop {
        let page = store.list_builds(Order::Descending, token.as_deref(), BATCH).expect("list builds");
        pages += 1;
        match page.next {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    rate("list_builds pages of 100, first to last", pages, start.elapsed());

    let start = Instant::now();
    let mut pages = 0;
    let mut token: Option<String> = None;
    loop {
        let page = store
            .list_builds_for_project("project-3", Order::Descending, token.as_deref(), BATCH)
            .expect("list project builds");
        pages += 1;
        match page.next {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    rate("list_builds_for_project pages of 100", pages, start.elapsed());

    let start = Instant::now();
    for _ in 0..rounds {
        store.builds_in_state(BuildState::Queued, 10).expect("queued");
        store.active_builds_of_project("project-3").expect("active");
    }
    rate("builds_in_state(10) + active_builds_of_project", rounds, start.elapsed());

    let lines: Vec<LogEvent> = (0..10)
        .map(|i| LogEvent {
            seq: 0,
            timestamp_ms: i,
            ingestion_ms: i,
            message: format!("a typical build log line number {i} with some text"),
        })
        .collect();
    let start = Instant::now();
    for _ in 0..rounds {
        store.append_log(&ids[total - 1], &lines).expect("append");
    }
    rate("append_log lines (batches of 10)", rounds * lines.len(), start.elapsed());
}

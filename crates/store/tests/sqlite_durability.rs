//! A file store keeps what it acknowledged: across a clean reopen, across `kill -9` of the
//! writing process, and with two handles (as two processes would) on one file.
//!
//! Power loss cannot be simulated here; that part rests on `synchronous=FULL` (checked in the
//! crate's unit tests).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};

use kiln_store::{
    BuildRecord, BuildState, IdempotencyRecord, LogEvent, LogQuery, Order, ProjectRecord, ProjectSort, SqliteStore,
    Store,
};

fn project(name: &str) -> ProjectRecord {
    ProjectRecord { name: name.to_string(), created_ms: 1, modified_ms: 1, doc: format!(r#"{{"name":"{name}"}}"#) }
}

fn build(id: &str, project: &str, submitted_ms: i64) -> BuildRecord {
    BuildRecord {
        id: id.to_string(),
        project: project.to_string(),
        number: 0,
        state: BuildState::Queued,
        submitted_ms,
        stop_requested: false,
        doc: String::new(),
        settings: String::new(),
    }
}

fn number_doc(n: i64) -> String {
    format!(r#"{{"buildNumber":{n}}}"#)
}

fn line(seq: i64) -> LogEvent {
    LogEvent { seq: 0, timestamp_ms: 1000 + seq, ingestion_ms: 2000 + seq, message: format!("line {seq}") }
}

fn whole_log(store: &dyn Store, id: &str) -> Vec<LogEvent> {
    let q = LogQuery { from: None, forward: true, limit: usize::MAX, start_ms: None, end_ms: None };
    store.read_log(id, &q).expect("read log")
}

/// Everything a store holds about these projects and builds, for before/after comparisons.
#[derive(Debug, PartialEq)]
struct Snapshot {
    projects: Vec<ProjectRecord>,
    builds: Vec<BuildRecord>,
    logs: BTreeMap<String, Vec<LogEvent>>,
    tokens: Vec<Option<IdempotencyRecord>>,
}

fn snapshot(store: &dyn Store) -> Snapshot {
    let names = store.list_projects(ProjectSort::Name, Order::Ascending, None, 1000).expect("list projects").items;
    let ids = store.list_builds(Order::Ascending, None, 1000).expect("list builds").items;
    Snapshot {
        projects: store.get_projects(&names).expect("get projects"),
        builds: store.get_builds(&ids).expect("get builds"),
        logs: ids.iter().map(|id| (id.clone(), whole_log(store, id))).collect(),
        tokens: ["tok-1", "tok-2"].iter().map(|t| store.find_idempotency(t, 0).expect("find token")).collect(),
    }
}

#[test]
fn reopened_file_store_has_everything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("kiln.db");
    let (before, token) = {
        let store = SqliteStore::open(&path).expect("open");
        store.create_project(&project("p")).expect("create p");
        store.create_project(&project("q")).expect("create q");
        store
            .update_project(&ProjectRecord { modified_ms: 9, doc: "v2".to_string(), ..project("q") })
            .expect("update q");
        for (i, id) in ["p:1", "p:2", "q:1", "p:3"].into_iter().enumerate() {
            let at = i64::try_from(i).expect("small");
            let token = IdempotencyRecord {
                token: format!("tok-{}", i + 1),
                request_hash: "h".to_string(),
                build_id: id.to_string(),
                created_ms: at,
            };
            store.insert_build(&build(id, &id[..1], at), &number_doc, Some(&token)).expect("insert");
        }
        store
            .update_build("p:2", &mut |b| {
                b.state = BuildState::Running;
                b.stop_requested = true;
                b.doc = "running".to_string();
            })
            .expect("update")
            .expect("present");
        let events: Vec<LogEvent> = (0..50).map(line).collect();
        store.append_log("p:2", &events[..20]).expect("append");
        store.append_log("p:2", &events[20..]).expect("append");
        let page = store.list_builds_for_project("p", Order::Descending, None, 1).expect("first page");
        (snapshot(&store), page.next.expect("a token"))
    };
    assert_eq!(before.logs["p:2"].len(), 50);

    let store = SqliteStore::open(&path).expect("reopen");
    assert_eq!(snapshot(&store), before);
    // Tokens hold their key, not server state: one issued before the restart still pages.
    let page = store.list_builds_for_project("p", Order::Descending, Some(&token), 10).expect("page after restart");
    assert_eq!(page.items, ["p:2", "p:1"]);
    // Numbering continues where it stopped.
    let next = store.insert_build(&build("p:4", "p", 10), &number_doc, None).expect("insert after reopen");
    assert_eq!(next.number, 4);
    assert_eq!(store.append_log("p:2", &[line(50)]).expect("append"), 50);
}

#[test]
fn two_handles_on_one_file_share_numbering_and_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("kiln.db");
    let a = SqliteStore::open(&path).expect("open a");
    let b = SqliteStore::open(&path).expect("open b");
    a.create_project(&project("p")).expect("create");
    let (handles, each) = (2_i64, 40_i64);
    let mut numbers: Vec<i64> = std::thread::scope(|scope| {
        let workers: Vec<_> = [&a, &b]
            .into_iter()
            .enumerate()
            .map(|(h, store)| {
                scope.spawn(move || {
                    (0..each)
                        .map(|i| {
                            store
                                .insert_build(&build(&format!("p:{h}-{i}"), "p", i), &number_doc, None)
                                .expect("insert")
                                .number
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().expect("worker")).collect()
    });
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=handles * each).collect::<Vec<_>>());
    // Each handle reads what the other wrote.
    assert!(b.get_build("p:0-0").expect("get").is_some());
    assert!(a.get_build("p:1-0").expect("get").is_some());
}

const CRASH_DIR_VAR: &str = "KILN_STORE_CRASH_DIR";
const CRASH_CHILD: &str = "crash_child_writes_until_killed";
/// Acknowledgements the parent waits for before killing the child.
const ACKS_BEFORE_KILL: usize = 150;
/// The signal number of `kill -9`.
const SIGKILL: i32 = 9;

/// Run by `acknowledged_writes_survive_kill_9` in a child process: writes builds, log lines
/// and counter updates forever, printing one line per write after it returned `Ok`.
#[test]
#[ignore = "child process of acknowledged_writes_survive_kill_9"]
fn crash_child_writes_until_killed() {
    let Some(dir) = std::env::var_os(CRASH_DIR_VAR) else {
        return;
    };
    let store = SqliteStore::open(&Path::new(&dir).join("kiln.db")).expect("child open");
    store.create_project(&project("p")).expect("child create");
    store.insert_build(&build("p:counter", "p", 0), &|_| "0".to_string(), None).expect("counter build");
    let mut out = std::io::stdout().lock();
    let mut ack = |text: String| {
        writeln!(out, "ack {text}").expect("ack");
        out.flush().expect("flush");
    };
    ack("ready".to_string());
    // Bounded so an orphaned child ends on its own.
    for i in 0..1_000_000_i64 {
        let id = format!("p:{i}");
        let token = IdempotencyRecord {
            token: format!("tok-{i}"),
            request_hash: "h".to_string(),
            build_id: id.clone(),
            created_ms: i,
        };
        let stored = store.insert_build(&build(&id, "p", i + 1), &number_doc, Some(&token)).expect("child insert");
        ack(format!("build {id} {}", stored.number));

        let first = store.log_len("p:counter").expect("child log len");
        let lines: Vec<LogEvent> = (first..first + 3).map(line).collect();
        let at = store.append_log("p:counter", &lines).expect("child append");
        ack(format!("log {}", at + 3));

        let counted = store
            .update_build("p:counter", &mut |b| {
                let n: i64 = b.doc.parse().expect("counter");
                b.doc = (n + 1).to_string();
            })
            .expect("child update")
            .expect("counter present");
        ack(format!("count {}", counted.doc));
    }
}

#[test]
fn acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().expect("tempdir");
    let exe = std::env::current_exe().expect("test binary");
    let mut child = Command::new(exe)
        .args([CRASH_CHILD, "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env(CRASH_DIR_VAR, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn child");
    let mut reader = BufReader::new(child.stdout.take().expect("child stdout"));

    // Kill once enough writes were acknowledged; the child is mid-stream when the signal lands.
    let mut acks = Vec::new();
    let mut killed = false;
    loop {
        let mut text = String::new();
        if reader.read_line(&mut text).expect("read child") == 0 {
            break;
        }
        // A line cut short by the kill was never acknowledged.
        let Some(text) = text.strip_suffix('\n') else {
            break;
        };
        if let Some(ack) = text.strip_prefix("ack ") {
            acks.push(ack.to_string());
        }
        if !killed && acks.len() >= ACKS_BEFORE_KILL {
            child.kill().expect("SIGKILL the child");
            killed = true;
        }
    }
    let status = child.wait().expect("wait child");
    assert!(killed, "child stopped after {} acks: {status}", acks.len());
    assert_eq!(status.signal(), Some(SIGKILL), "child was not killed: {status}");

    let store = SqliteStore::open(&dir.path().join("kiln.db")).expect("reopen after kill");
    let (mut builds, mut log_len, mut count) = (0, 0, 0);
    for ack in &acks {
        let parts: Vec<&str> = ack.split(' ').collect();
        match parts.as_slice() {
            ["ready"] => {}
            ["build", id, number] => {
                let stored =
                    store.get_build(id).expect("get").unwrap_or_else(|| panic!("acknowledged build {id} is gone"));
                assert_eq!(stored.number.to_string(), *number);
                assert_eq!(stored.doc, number_doc(stored.number));
                let token = store.find_idempotency(&format!("tok-{}", &id[2..]), 0);
                assert!(token.expect("find").is_some(), "token of {id} is gone");
                builds += 1;
            }
            ["log", len] => log_len = len.parse().expect("log ack"),
            ["count", n] => count = n.parse().expect("count ack"),
            other => panic!("unexpected ack {other:?}"),
        }
    }
    assert!(builds > 0 && log_len > 0 && count > 0);
    eprintln!("{} acks read; acknowledged {builds} builds, {log_len} log lines", acks.len());

    // Whatever committed after the last ack is whole: numbers, seqs and the counter have no gaps.
    let listed = store.list_builds_for_project("p", Order::Ascending, None, usize::MAX).expect("list");
    let numbers: Vec<i64> = store.get_builds(&listed.items).expect("get builds").iter().map(|b| b.number).collect();
    assert_eq!(numbers, (1..=numbers.len() as i64).collect::<Vec<_>>());
    assert!(numbers.len() > builds, "builds lost: {} of {builds}+1", numbers.len());

    let events = whole_log(&store, "p:counter");
    assert!(events.len() as i64 >= log_len, "log lines lost");
    for (i, event) in events.iter().enumerate() {
        assert_eq!(*event, LogEvent { seq: i as i64, ..line(i as i64) });
    }
    let counter: i64 = store.get_build("p:counter").expect("get").expect("counter").doc.parse().expect("counter doc");
    assert!(counter >= count, "counter went back from {count} to {counter}");

    // And the store carries on.
    let next = store.insert_build(&build("p:after", "p", 0), &number_doc, None).expect("insert after crash");
    assert_eq!(next.number, numbers.len() as i64 + 1);
}

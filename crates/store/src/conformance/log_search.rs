//! Conformance cases for log groups, log streams and scans across streams.

use super::{create, insert};
use crate::{LogEvent, LogGroupInfo, LogLines, LogPosition, LogScan, ScannedEvent, Store};

fn event(timestamp_ms: i64, message: &str) -> LogEvent {
    LogEvent { seq: 0, timestamp_ms, ingestion_ms: timestamp_ms + 5, message: message.to_string() }
}

fn scan(ids: &[&str], after: Option<LogPosition>, limit: usize) -> LogScan {
    LogScan { build_ids: ids.iter().map(|s| s.to_string()).collect(), after, limit, start_ms: None, end_ms: None }
}

fn scanned(store: &dyn Store, q: &LogScan) -> Vec<ScannedEvent> {
    let mut events = Vec::new();
    store
        .scan_logs(q, &mut |e| {
            events.push(e);
            true
        })
        .expect("scan");
    events
}

fn messages(store: &dyn Store, q: &LogScan) -> Vec<String> {
    scanned(store, q).into_iter().map(|e| e.event.message).collect()
}

pub fn log_groups_and_streams_are_builds_with_logs(store: &dyn Store) {
    create(store, "b");
    create(store, "a");
    create(store, "quiet");
    insert(store, "b:2", "b", 300);
    insert(store, "b:1", "b", 200);
    insert(store, "a:1", "a", 100);
    insert(store, "quiet:1", "quiet", 50);
    assert!(store.log_groups().expect("groups").is_empty(), "no logs, no groups");

    store.append_log("b:1", &[event(1000, "x"), event(900, "y"), event(1100, "z")]).expect("append");
    store.append_log("b:2", &[event(2000, "w")]).expect("append");
    store.append_log("a:1", &[event(10, "v")]).expect("append");
    let groups = store.log_groups().expect("groups");
    assert_eq!(
        groups,
        [LogGroupInfo { project: "a".into(), created_ms: 100 }, LogGroupInfo { project: "b".into(), created_ms: 200 }]
    );

    let streams = store.log_streams("b").expect("streams");
    let ids: Vec<&str> = streams.iter().map(|s| s.build_id.as_str()).collect();
    assert_eq!(ids, ["b:1", "b:2"]);
    // First and last by position, not by time.
    assert_eq!((streams[0].first_event_ms, streams[0].last_event_ms, streams[0].last_ingestion_ms), (1000, 1100, 1105));
    assert_eq!(streams[0].created_ms, 200);
    assert!(store.log_streams("quiet").expect("streams").is_empty());
    assert!(store.log_streams("nope").expect("streams").is_empty());

    store.delete_builds(&["a:1".to_string()]).expect("delete");
    assert_eq!(store.log_groups().expect("groups").len(), 1, "a deleted build takes its stream along");
}

pub fn log_scan_interleaves_by_time_and_resumes(store: &dyn Store) {
    create(store, "p");
    insert(store, "p:1", "p", 1);
    insert(store, "p:2", "p", 2);
    insert(store, "p:3", "p", 3);
    store.append_log("p:1", &[event(10, "1a"), event(30, "1b"), event(30, "1c")]).expect("append");
    store.append_log("p:2", &[event(20, "2a"), event(30, "2b"), event(40, "2c")]).expect("append");
    store.append_log("p:3", &[event(15, "3a")]).expect("append");

    let both = ["p:1", "p:2"];
    assert_eq!(messages(store, &scan(&both, None, 100)), ["1a", "2a", "1b", "1c", "2b", "2c"]);
    let first = scanned(store, &scan(&both, None, 3));
    assert_eq!(first.len(), 3);
    let last = first.last().expect("an event");
    let after =
        LogPosition { timestamp_ms: last.event.timestamp_ms, build_id: last.build_id.clone(), seq: last.event.seq };
    assert_eq!(after, LogPosition { timestamp_ms: 30, build_id: "p:1".into(), seq: 1 });
    assert_eq!(messages(store, &scan(&both, Some(after), 100)), ["1c", "2b", "2c"]);

    let mut window = scan(&["p:1", "p:2", "p:3", "p:unknown"], None, 100);
    window.start_ms = Some(15);
    window.end_ms = Some(40);
    assert_eq!(messages(store, &window), ["3a", "2a", "1b", "1c", "2b"]);
    assert!(messages(store, &scan(&[], None, 100)).is_empty());
    assert!(messages(store, &scan(&both, None, 0)).is_empty());
    assert_eq!(messages(store, &scan(&["p:3"], None, 100)), ["3a"]);
    // The visitor can stop the scan.
    let mut seen = 0;
    store
        .scan_logs(&scan(&both, None, 100), &mut |_| {
            seen += 1;
            seen < 2
        })
        .expect("scan");
    assert_eq!(seen, 2);
    // Ids are data, not SQL or JSON.
    assert!(messages(store, &scan(&["p:1\"]", "\\"], None, 100)).is_empty());
}

pub fn log_scan_resumes_inside_a_batch_of_lines(store: &dyn Store) {
    create(store, "p");
    insert(store, "p:1", "p", 1);
    insert(store, "p:2", "p", 2);
    let batch = |t: i64, text: &str| LogLines::inline(t, t, text);
    store.append_log_lines("p:1", &[batch(100, "a1\na2\na3\n"), batch(300, "a4\n")]).expect("append");
    store.append_log_lines("p:2", &[batch(100, "b1\nb2\n"), batch(200, "b3\n")]).expect("append");
    let ids = ["p:1", "p:2"];
    assert_eq!(messages(store, &scan(&ids, None, 100)), ["a1\n", "a2\n", "a3\n", "b1\n", "b2\n", "b3\n", "a4\n"]);
    // Page by two: each page resumes after the last event handed out, inside a batch or not.
    let mut after = None;
    let mut pages = Vec::new();
    loop {
        let page = scanned(store, &scan(&ids, after.clone(), 2));
        let Some(last) = page.last() else { break };
        after = Some(LogPosition {
            timestamp_ms: last.event.timestamp_ms,
            build_id: last.build_id.clone(),
            seq: last.event.seq,
        });
        pages.push(page.iter().map(|e| e.event.message.trim_end().to_string()).collect::<Vec<_>>().join(","));
    }
    assert_eq!(pages, ["a1,a2", "a3,b1", "b2,b3", "a4"]);
    let window = LogScan { start_ms: Some(150), end_ms: Some(301), ..scan(&ids, None, 100) };
    assert_eq!(messages(store, &window), ["b3\n", "a4\n"]);
}

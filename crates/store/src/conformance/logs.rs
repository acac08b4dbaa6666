//! Conformance cases for build logs.

use super::{create, insert};
use crate::{LogEvent, LogLines, LogQuery, LogText, Store, StoreError};

fn event(timestamp_ms: i64, message: &str) -> LogEvent {
    LogEvent {
        // Deliberately wrong: the store assigns it.
        seq: 999,
        timestamp_ms,
        ingestion_ms: timestamp_ms + 1,
        message: message.to_string(),
    }
}

fn query(from: Option<i64>, forward: bool, limit: usize) -> LogQuery {
    LogQuery { from, forward, limit, start_ms: None, end_ms: None }
}

fn seqs(events: &[LogEvent]) -> Vec<i64> {
    events.iter().map(|e| e.seq).collect()
}

/// A build with `timestamps.len()` log events, "m0", "m1", ...
fn build_with_log(store: &dyn Store, timestamps: &[i64]) -> String {
    create(store, "p");
    let id = insert(store, "p:1", "p", 1).id;
    let events: Vec<LogEvent> = timestamps.iter().enumerate().map(|(i, t)| event(*t, &format!("m{i}"))).collect();
    store.append_log(&id, &events).expect("append");
    id
}

pub fn log_append_numbers_continuously(store: &dyn Store) {
    create(store, "p");
    insert(store, "p:1", "p", 1);
    insert(store, "p:2", "p", 1);
    assert_eq!(store.log_len("p:1").expect("len"), 0);

    let batch = [event(10, "a"), event(11, "b"), event(12, "c")];
    assert_eq!(store.append_log("p:1", &batch).expect("append"), 0);
    assert_eq!(store.append_log("p:1", &[event(13, "d"), event(14, "e")]).expect("append"), 3);
    assert_eq!(store.append_log("p:1", &[]).expect("append nothing"), 5);
    assert_eq!(store.log_len("p:1").expect("len"), 5);
    assert_eq!(store.append_log("p:2", &[event(1, "other")]).expect("append"), 0, "streams are numbered separately");

    let all = store.read_log("p:1", &query(None, true, 100)).expect("read");
    assert_eq!(seqs(&all), [0, 1, 2, 3, 4]);
    let messages: Vec<&str> = all.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(messages, ["a", "b", "c", "d", "e"]);
    assert_eq!(all[0], LogEvent { seq: 0, timestamp_ms: 10, ingestion_ms: 11, message: "a".to_string() });

    let unknown = store.append_log("p:nope", &[event(1, "x")]);
    assert!(matches!(unknown, Err(StoreError::NotFound(_))), "{unknown:?}");
    assert_eq!(store.log_len("p:nope").expect("len"), 0);
    assert!(store.read_log("p:nope", &query(None, true, 10)).expect("read").is_empty());
}

pub fn log_read_forward_and_backward(store: &dyn Store) {
    let id = build_with_log(store, &[100; 10]);
    let read = |from, forward, limit| seqs(&store.read_log(&id, &query(from, forward, limit)).expect("read"));
    assert_eq!(read(None, true, 4), [0, 1, 2, 3]);
    assert_eq!(read(Some(4), true, 4), [4, 5, 6, 7]);
    assert_eq!(read(Some(8), true, 4), [8, 9]);
    assert!(read(Some(10), true, 4).is_empty());

    // Backward reads end just before `from` and still come in stream order.
    assert_eq!(read(None, false, 3), [7, 8, 9]);
    assert_eq!(read(Some(7), false, 3), [4, 5, 6]);
    assert_eq!(read(Some(2), false, 5), [0, 1]);
    assert!(read(Some(0), false, 5).is_empty());

    assert!(read(None, true, 0).is_empty());
    let events = store.read_log(&id, &query(Some(3), true, 1)).expect("read");
    assert_eq!(events[0].message, "m3");
}

pub fn log_time_filters(store: &dyn Store) {
    // The last event is out of time order: filters compare timestamps, not positions.
    let id = build_with_log(store, &[100, 110, 120, 130, 140, 150, 105]);
    let read = |from, forward, limit, start_ms, end_ms| {
        let q = LogQuery { from, forward, limit, start_ms, end_ms };
        seqs(&store.read_log(&id, &q).expect("read"))
    };
    assert_eq!(read(None, true, 100, Some(120), None), [2, 3, 4, 5]);
    assert_eq!(read(None, true, 100, None, Some(130)), [0, 1, 2, 6]);
    assert_eq!(read(None, true, 100, Some(110), Some(140)), [1, 2, 3]);
    // `limit` counts only events that pass.
    assert_eq!(read(None, true, 2, Some(120), None), [2, 3]);
    assert_eq!(read(Some(3), true, 1, Some(100), Some(125)), [6]);
    assert_eq!(read(None, false, 2, Some(120), None), [4, 5]);
    assert_eq!(read(None, false, 2, None, Some(130)), [2, 6]);
    assert!(read(None, true, 100, Some(200), None).is_empty());
}

fn lines(timestamp_ms: i64, text: &str) -> LogLines {
    LogLines::inline(timestamp_ms, timestamp_ms + 1, text)
}

fn messages(events: &[LogEvent]) -> Vec<&str> {
    events.iter().map(|e| e.message.as_str()).collect()
}

pub fn log_lines_are_one_event_per_line(store: &dyn Store) {
    create(store, "p");
    let id = insert(store, "p:1", "p", 1).id;
    // Batches of lines, interleaved with single events (one of several lines): every line is
    // an event, a multi-line message stays one, and positions run on across both.
    assert_eq!(store.append_log_lines(&id, &[lines(10, "a\nb\nc\n"), lines(20, "d\n")]).expect("append"), 0);
    assert_eq!(store.append_log(&id, &[event(30, "one\ntwo\n"), event(30, "e\n"), event(30, "f\n")]).expect("e"), 4);
    assert_eq!(store.append_log_lines(&id, &[lines(40, "g\nno newline"), lines(41, "")]).expect("append"), 7);
    assert_eq!(store.log_len(&id).expect("len"), 9);

    let all = store.read_log(&id, &query(None, true, 100)).expect("read");
    assert_eq!(seqs(&all), (0..9).collect::<Vec<_>>());
    assert_eq!(messages(&all), ["a\n", "b\n", "c\n", "d\n", "one\ntwo\n", "e\n", "f\n", "g\n", "no newline\n"]);
    assert_eq!(all[1], LogEvent { seq: 1, timestamp_ms: 10, ingestion_ms: 11, message: "b\n".to_string() });
    assert_eq!(all[5].timestamp_ms, 30);

    // Reads that start and end inside a batch.
    let read = |from, forward, limit| store.read_log(&id, &query(from, forward, limit)).expect("read");
    assert_eq!(messages(&read(Some(1), true, 2)), ["b\n", "c\n"]);
    assert_eq!(messages(&read(Some(2), false, 1)), ["b\n"]);
    assert_eq!(messages(&read(Some(6), false, 3)), ["d\n", "one\ntwo\n", "e\n"]);
    assert_eq!(seqs(&read(None, false, 2)), [7, 8]);
    let filtered = LogQuery { from: Some(1), forward: true, limit: 10, start_ms: Some(20), end_ms: Some(40) };
    assert_eq!(seqs(&store.read_log(&id, &filtered).expect("read")), [3, 4, 5, 6]);
}

/// Appends `text` to the build's spool file the way an agent does; returns its offset.
fn spool_write(path: &std::path::Path, text: &str) -> u64 {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new().append(true).open(path).expect("open spool");
    let offset = file.metadata().expect("metadata").len();
    file.write_all(text.as_bytes()).expect("write spool");
    offset
}

fn spooled(timestamp_ms: i64, offset: u64, text: &str) -> LogLines {
    let lines = text.matches('\n').count() as u64;
    LogLines {
        timestamp_ms,
        ingestion_ms: timestamp_ms + 1,
        text: LogText::Spooled { offset, len: text.len() as u64, lines },
    }
}

pub fn log_spooled_lines_read_like_inline_ones(store: &dyn Store) {
    create(store, "p");
    let id = insert(store, "p:1", "p", 1).id;
    let Some(path) = store.log_spool(&id).expect("log_spool") else {
        // A store without spool files: output reaches it inline only.
        assert_eq!(store.recover_spool(&id).expect("recover"), 0);
        assert_eq!(store.log_len(&id).expect("len"), 0);
        return;
    };
    assert_eq!(store.recover_spool(&id).expect("recover an empty file"), 0);
    assert!(path.is_file(), "log_spool creates the file");
    assert_eq!(store.log_spool(&id).expect("again"), Some(path.clone()), "one file per build");
    assert_ne!(store.log_spool(&insert(store, "p:2", "p", 2).id).expect("other"), Some(path.clone()));

    // Bytes a crashed writer left unindexed are never read.
    spool_write(&path, "garbage without an index\n");
    let first = spool_write(&path, "a\nb\nc\n");
    assert_eq!(store.append_log_lines(&id, &[spooled(10, first, "a\nb\nc\n")]).expect("append"), 0);
    assert_eq!(store.append_log_lines(&id, &[LogLines::inline(20, 21, "inline\n")]).expect("append"), 3);
    let single = spool_write(&path, "d\n");
    let pair = spool_write(&path, "e\nf\n");
    let batches = [spooled(30, single, "d\n"), spooled(40, pair, "e\nf\n"), spooled(41, pair, "")];
    assert_eq!(store.append_log_lines(&id, &batches).expect("append"), 4);
    assert_eq!(store.log_len(&id).expect("len"), 7);

    let all = store.read_log(&id, &query(None, true, 100)).expect("read");
    assert_eq!(seqs(&all), (0..7).collect::<Vec<_>>());
    assert_eq!(messages(&all), ["a\n", "b\n", "c\n", "inline\n", "d\n", "e\n", "f\n"]);
    assert_eq!(all[5], LogEvent { seq: 5, timestamp_ms: 40, ingestion_ms: 41, message: "e\n".to_string() });
    let read = |from, forward, limit| store.read_log(&id, &query(from, forward, limit)).expect("read");
    assert_eq!(messages(&read(Some(1), true, 2)), ["b\n", "c\n"]);
    assert_eq!(messages(&read(Some(6), false, 3)), ["inline\n", "d\n", "e\n"]);

    let scan =
        crate::LogScan { build_ids: vec![id.clone()], after: None, limit: 100, start_ms: Some(30), end_ms: None };
    let mut scanned = Vec::new();
    store
        .scan_logs(&scan, &mut |e| {
            scanned.push(e.event.message);
            true
        })
        .expect("scan");
    assert_eq!(scanned, ["d\n", "e\n", "f\n"]);

    // Output an agent wrote but never reported: its whole lines are indexed, once.
    spool_write(&path, "tail 1\ntail 2\npartial");
    assert_eq!(store.recover_spool(&id).expect("recover"), 2);
    assert_eq!(store.recover_spool(&id).expect("recover again"), 0, "the partial line waits for its end");
    let tail = store.read_log(&id, &query(None, false, 3)).expect("read");
    assert_eq!(seqs(&tail), [6, 7, 8]);
    assert_eq!(messages(&tail), ["f\n", "tail 1\n", "tail 2\n"]);

    let deleted = store.delete_builds(std::slice::from_ref(&id)).expect("delete");
    assert_eq!(deleted, std::slice::from_ref(&id));
    assert!(!path.exists(), "the spool file goes with its build");
}

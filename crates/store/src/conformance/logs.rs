//! Conformance cases for build logs.

use super::{create, insert};
use crate::{LogEvent, LogLines, LogQuery, Store, StoreError};

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
    LogLines { timestamp_ms, ingestion_ms: timestamp_ms + 1, text: text.to_string() }
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

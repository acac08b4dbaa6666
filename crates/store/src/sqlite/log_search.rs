//! Log groups, log streams and scans across streams, for CloudWatch's Describe* and
//! FilterLogEvents. Every per-stream figure is an index probe on (build_id, seq).

use rusqlite::{Connection, Row, params};

use super::{Db, sql_limit};
use crate::{LogEvent, LogGroupInfo, LogScan, LogStreamInfo, Result, ScannedEvent};

const GROUPS: &str = "SELECT b.project, MIN(b.submitted_ms) FROM builds b
    WHERE EXISTS (SELECT 1 FROM log_events e WHERE e.build_id = b.id)
    GROUP BY b.project ORDER BY b.project";

// The first and last events by position: a stream is written in time order, and probing its
// ends avoids reading the whole stream.
const STREAMS: &str = "SELECT b.id, b.submitted_ms,
        (SELECT timestamp_ms FROM log_events WHERE build_id = b.id ORDER BY seq ASC LIMIT 1),
        (SELECT timestamp_ms FROM log_events WHERE build_id = b.id ORDER BY seq DESC LIMIT 1),
        (SELECT ingestion_ms FROM log_events WHERE build_id = b.id ORDER BY seq DESC LIMIT 1)
    FROM builds b
    WHERE b.project = ?1 AND EXISTS (SELECT 1 FROM log_events e WHERE e.build_id = b.id)
    ORDER BY b.id";

const SCAN: &str = "SELECT build_id, seq, timestamp_ms, ingestion_ms, message FROM log_events
    WHERE build_id IN (SELECT value FROM json_each(?1))
        AND (?2 IS NULL OR timestamp_ms >= ?2)
        AND (?3 IS NULL OR timestamp_ms < ?3)
        AND (?4 IS NULL OR (timestamp_ms, build_id, seq) > (?4, ?5, ?6))
    ORDER BY timestamp_ms, build_id, seq LIMIT ?7";

pub(super) fn groups(conn: &Connection) -> Result<Vec<LogGroupInfo>> {
    conn.prepare_cached(GROUPS)
        .and_then(|mut s| {
            s.query_map([], |row| Ok(LogGroupInfo { project: row.get(0)?, created_ms: row.get(1)? }))?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .db()
}

fn stream_row(row: &Row<'_>) -> rusqlite::Result<LogStreamInfo> {
    Ok(LogStreamInfo {
        build_id: row.get(0)?,
        created_ms: row.get(1)?,
        first_event_ms: row.get(2)?,
        last_event_ms: row.get(3)?,
        last_ingestion_ms: row.get(4)?,
    })
}

pub(super) fn streams(conn: &Connection, project: &str) -> Result<Vec<LogStreamInfo>> {
    conn.prepare_cached(STREAMS)
        .and_then(|mut s| s.query_map([project], stream_row)?.collect::<rusqlite::Result<Vec<_>>>())
        .db()
}

fn scanned_row(row: &Row<'_>) -> rusqlite::Result<ScannedEvent> {
    Ok(ScannedEvent {
        build_id: row.get(0)?,
        event: LogEvent {
            seq: row.get(1)?,
            timestamp_ms: row.get(2)?,
            ingestion_ms: row.get(3)?,
            message: row.get(4)?,
        },
    })
}

pub(super) fn scan(conn: &Connection, q: &LogScan, visit: &mut dyn FnMut(ScannedEvent) -> bool) -> Result<()> {
    if q.build_ids.is_empty() || q.limit == 0 {
        return Ok(());
    }
    let ids = json_array(&q.build_ids);
    let (after_ts, after_id, after_seq) = match &q.after {
        Some(p) => (Some(p.timestamp_ms), Some(p.build_id.as_str()), Some(p.seq)),
        None => (None, None, None),
    };
    let mut stmt = conn.prepare_cached(SCAN).db()?;
    let rows = stmt
        .query_map(params![ids, q.start_ms, q.end_ms, after_ts, after_id, after_seq, sql_limit(q.limit)], scanned_row)
        .db()?;
    for row in rows {
        if !visit(row.db()?) {
            break;
        }
    }
    Ok(())
}

/// A JSON array of strings, for `json_each`: one bound parameter however many ids there are.
fn json_array(items: &[String]) -> String {
    let mut out = String::from("[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        for c in item.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
                c => out.push(c),
            }
        }
        out.push('"');
    }
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use super::json_array;

    #[test]
    fn json_arrays_escape() {
        assert_eq!(json_array(&[]), "[]");
        assert_eq!(json_array(&["a".into(), "b\"\\\n".into()]), r#"["a","b\"\\\u000a"]"#);
    }
}

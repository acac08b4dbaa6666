//! Log groups, log streams and scans across streams, for CloudWatch's Describe* and
//! FilterLogEvents. Every per-stream figure is an index probe on (build_id, first_seq).

use rusqlite::{Connection, Row, params};

use super::logs::Chunk;
use super::spool::Spools;
use super::{Db, sql_limit};
use crate::{LogGroupInfo, LogPosition, LogScan, LogStreamInfo, Result, ScannedEvent};

const GROUPS: &str = "SELECT b.project, MIN(b.submitted_ms) FROM builds b
    WHERE EXISTS (SELECT 1 FROM log_chunks c WHERE c.build_id = b.id)
    GROUP BY b.project ORDER BY b.project";

// The first and last events by position: a stream is written in time order, and probing its
// ends avoids reading the whole stream.
const STREAMS: &str = "SELECT b.id, b.submitted_ms,
        (SELECT timestamp_ms FROM log_chunks WHERE build_id = b.id ORDER BY first_seq ASC LIMIT 1),
        (SELECT timestamp_ms FROM log_chunks WHERE build_id = b.id ORDER BY first_seq DESC LIMIT 1),
        (SELECT ingestion_ms FROM log_chunks WHERE build_id = b.id ORDER BY first_seq DESC LIMIT 1)
    FROM builds b
    WHERE b.project = ?1 AND EXISTS (SELECT 1 FROM log_chunks c WHERE c.build_id = b.id)
    ORDER BY b.id";

// A chunk's events share its timestamp, so chunks in (timestamp, build, first seq) order give
// the events in (timestamp, build, seq) order. The resume condition keeps chunks whose last
// event is past the position; each such chunk yields at least one event, so `limit` chunks
// are enough.
const SCAN: &str =
    "SELECT build_id, first_seq, n, timestamp_ms, ingestion_ms, text, spool_offset, spool_len FROM log_chunks
    WHERE build_id IN (SELECT value FROM json_each(?1))
        AND (?2 IS NULL OR timestamp_ms >= ?2)
        AND (?3 IS NULL OR timestamp_ms < ?3)
        AND (?4 IS NULL OR (timestamp_ms, build_id, first_seq + n - 1) > (?4, ?5, ?6))
    ORDER BY timestamp_ms, build_id, first_seq LIMIT ?7";

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

pub(super) fn scan(
    conn: &Connection,
    spools: &Spools,
    q: &LogScan,
    visit: &mut dyn FnMut(ScannedEvent) -> bool,
) -> Result<()> {
    if q.build_ids.is_empty() || q.limit == 0 {
        return Ok(());
    }
    let ids = json_array(&q.build_ids);
    let (after_ts, after_id, after_seq) = match &q.after {
        Some(p) => (Some(p.timestamp_ms), Some(p.build_id.as_str()), Some(p.seq)),
        None => (None, None, None),
    };
    let mut stmt = conn.prepare_cached(SCAN).db()?;
    let mut rows =
        stmt.query(params![ids, q.start_ms, q.end_ms, after_ts, after_id, after_seq, sql_limit(q.limit)]).db()?;
    let mut visited = 0;
    let mut spool = spools.reader();
    while let Some(row) = rows.next().db()? {
        let build_id: String = row.get(0).db()?;
        let mut chunk = Chunk::from_row(row, 1).db()?;
        chunk.load(&mut spool, &build_id)?;
        for (seq, message) in chunk.messages() {
            // (timestamp, build, seq) order, as `LogPosition` compares; no id copied to compare.
            let passed = |a: &LogPosition| {
                (chunk.timestamp_ms, build_id.as_str(), seq) <= (a.timestamp_ms, a.build_id.as_str(), a.seq)
            };
            if q.after.as_ref().is_some_and(passed) {
                continue;
            }
            visited += 1;
            let event = chunk.event(seq, message);
            if !visit(ScannedEvent { build_id: build_id.clone(), event }) || visited >= q.limit {
                return Ok(());
            }
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

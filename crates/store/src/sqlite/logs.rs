//! Log streams: one row per event, keyed by (build, seq) so every read is a range of the key.

use rusqlite::{Connection, Row, params};

use super::{Db, sql_limit};
use crate::{LogEvent, LogQuery, Result, StoreError};

pub(super) const BUILD_EXISTS: &str = "SELECT 1 FROM builds WHERE id = ?1";
pub(super) const LEN: &str = "SELECT COALESCE(MAX(seq) + 1, 0) FROM log_events WHERE build_id = ?1";
pub(super) const INSERT: &str = "INSERT INTO log_events (build_id, seq, timestamp_ms, ingestion_ms, message)
    VALUES (?1, ?2, ?3, ?4, ?5)";

/// A range of the (build_id, seq) key; the time filters only drop rows from it.
pub(super) fn read_sql(forward: bool) -> String {
    let (bound, dir) = if forward { (">=", "ASC") } else { ("<", "DESC") };
    format!(
        "SELECT seq, timestamp_ms, ingestion_ms, message FROM log_events
        WHERE build_id = ?1 AND seq {bound} ?2
            AND (?3 IS NULL OR timestamp_ms >= ?3)
            AND (?4 IS NULL OR timestamp_ms < ?4)
        ORDER BY seq {dir} LIMIT ?5"
    )
}

/// Streams hold no gaps (events are only appended, and deleted with their build), so the
/// length is the last seq + 1: one index probe instead of counting.
pub(super) fn len(conn: &Connection, build_id: &str) -> Result<i64> {
    conn.prepare_cached(LEN).and_then(|mut s| s.query_row([build_id], |row| row.get(0))).db()
}

pub(super) fn append(conn: &Connection, build_id: &str, events: &[LogEvent]) -> Result<i64> {
    let build_exists = conn.prepare_cached(BUILD_EXISTS).and_then(|mut s| s.exists([build_id])).db()?;
    if !build_exists {
        return Err(StoreError::NotFound(format!("build {build_id}")));
    }
    // The write transaction holds the database lock, so nobody appends between here and commit.
    let first = len(conn, build_id)?;
    let mut stmt = conn.prepare_cached(INSERT).db()?;
    for (seq, event) in (first..).zip(events) {
        stmt.execute(params![build_id, seq, event.timestamp_ms, event.ingestion_ms, event.message]).db()?;
    }
    Ok(first)
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<LogEvent> {
    Ok(LogEvent { seq: row.get(0)?, timestamp_ms: row.get(1)?, ingestion_ms: row.get(2)?, message: row.get(3)? })
}

pub(super) fn read(conn: &Connection, build_id: &str, q: &LogQuery) -> Result<Vec<LogEvent>> {
    let default_from = if q.forward { i64::MIN } else { i64::MAX };
    let sql = read_sql(q.forward);
    let mut events = conn
        .prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_map(
                params![build_id, q.from.unwrap_or(default_from), q.start_ms, q.end_ms, sql_limit(q.limit)],
                from_row,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()
        })
        .db()?;
    if !q.forward {
        // Callers get stream order either way.
        events.reverse();
    }
    Ok(events)
}

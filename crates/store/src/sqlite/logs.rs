//! Log streams, stored as chunks (schema step 7): a row holds the events that arrived together,
//! keyed by (build, seq of its first event), so every read is a range of the key and a build
//! writing a gigabyte of output costs thousands of rows, not millions. A chunk's text is in
//! the row, or in the build's spool file (`spool.rs`) when the agent wrote it there.

use std::borrow::Cow;

use rusqlite::{Connection, Row, params};

use super::Db;
use super::spool::{SpoolReader, Spools};
use crate::{LogEvent, LogLines, LogQuery, LogText, Result, StoreError};

pub(super) const BUILD_EXISTS: &str = "SELECT 1 FROM builds WHERE id = ?1";
pub(super) const SPOOLED_END: &str =
    "SELECT MAX(spool_offset + spool_len) FROM log_chunks WHERE build_id = ?1 AND spool_offset IS NOT NULL";
pub(super) const LEN: &str = "SELECT first_seq + n FROM log_chunks WHERE build_id = ?1 ORDER BY first_seq DESC LIMIT 1";
pub(super) const INSERT: &str =
    "INSERT INTO log_chunks (build_id, first_seq, n, timestamp_ms, ingestion_ms, text, spool_offset, spool_len)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

/// One stored row: `n` events sharing a timestamp (see [`Chunk::events`]).
pub(super) struct Chunk {
    pub first_seq: i64,
    pub n: i64,
    pub timestamp_ms: i64,
    pub ingestion_ms: i64,
    /// Empty until [`Chunk::load`] for a chunk in a spool file.
    pub text: String,
    /// (offset, length) in the build's spool file.
    spooled: Option<(u64, u64)>,
}

impl Chunk {
    /// Columns `first_seq, n, timestamp_ms, ingestion_ms, text, spool_offset, spool_len` from
    /// `at` on.
    pub(super) fn from_row(row: &Row<'_>, at: usize) -> rusqlite::Result<Chunk> {
        let offset: Option<i64> = row.get(at + 5)?;
        let len: Option<i64> = row.get(at + 6)?;
        let unsigned = |v: i64| u64::try_from(v).unwrap_or(0);
        Ok(Chunk {
            first_seq: row.get(at)?,
            n: row.get(at + 1)?,
            timestamp_ms: row.get(at + 2)?,
            ingestion_ms: row.get(at + 3)?,
            text: row.get(at + 4)?,
            spooled: offset.zip(len).map(|(o, l)| (unsigned(o), unsigned(l))),
        })
    }

    /// Reads the text of a chunk that is in `build_id`'s spool file.
    pub(super) fn load(&mut self, spool: &mut SpoolReader<'_>, build_id: &str) -> Result<()> {
        if let Some((offset, len)) = self.spooled.take() {
            self.text = spool.read(build_id, offset, len)?;
        }
        Ok(())
    }

    /// The chunk's events in stream order, as (seq, message): a chunk of one event is its whole
    /// message; a longer one is that many lines, each ending with a newline.
    pub(super) fn messages(&self) -> Vec<(i64, &str)> {
        if self.n == 1 {
            vec![(self.first_seq, self.text.as_str())]
        } else {
            // Never more than `n`, whatever a spool file holds.
            (self.first_seq..self.first_seq.saturating_add(self.n)).zip(self.text.split_inclusive('\n')).collect()
        }
    }

    pub(super) fn event(&self, seq: i64, message: &str) -> LogEvent {
        LogEvent { seq, timestamp_ms: self.timestamp_ms, ingestion_ms: self.ingestion_ms, message: message.to_string() }
    }

    fn passes(&self, q: &LogQuery) -> bool {
        q.start_ms.is_none_or(|start| self.timestamp_ms >= start) && q.end_ms.is_none_or(|end| self.timestamp_ms < end)
    }
}

/// Streams hold no gaps (events are only appended, and deleted with their build), so the
/// length is where the last chunk ends: one index probe.
pub(super) fn len(conn: &Connection, build_id: &str) -> Result<i64> {
    let mut stmt = conn.prepare_cached(LEN).db()?;
    let mut rows = stmt.query([build_id]).db()?;
    Ok(match rows.next().db()? {
        Some(row) => row.get(0).db()?,
        None => 0,
    })
}

/// Where the indexed part of the build's spool file ends (0 when none of it is).
pub(super) fn spooled_end(conn: &Connection, build_id: &str) -> Result<u64> {
    let end: Option<i64> =
        conn.prepare_cached(SPOOLED_END).and_then(|mut s| s.query_row([build_id], |row| row.get(0))).db()?;
    Ok(end.map_or(0, |e| u64::try_from(e).unwrap_or(0)))
}

/// What goes into one row: the message and how many events it holds.
struct Pending<'a> {
    timestamp_ms: i64,
    ingestion_ms: i64,
    text: Cow<'a, str>,
    n: i64,
    /// (offset, length) in the spool file; `text` is then empty.
    spooled: Option<(u64, u64)>,
}

/// Whether `message` is one line ending with its only newline: such events can share a chunk.
fn is_one_line(message: &str) -> bool {
    message.find('\n') == Some(message.len().saturating_sub(1)) && !message.is_empty()
}

pub(super) fn append(conn: &Connection, build_id: &str, events: &[LogEvent]) -> Result<i64> {
    // Runs of one-line events with the same times share a chunk; any other event is a chunk.
    let mut chunks: Vec<Pending> = Vec::new();
    for e in events {
        let joinable = is_one_line(&e.message);
        match chunks.last_mut() {
            Some(last)
                if joinable
                    && is_one_line_chunk(last)
                    && (last.timestamp_ms, last.ingestion_ms) == (e.timestamp_ms, e.ingestion_ms) =>
            {
                last.text.to_mut().push_str(&e.message);
                last.n += 1;
            }
            _ => chunks.push(Pending {
                timestamp_ms: e.timestamp_ms,
                ingestion_ms: e.ingestion_ms,
                text: Cow::Borrowed(e.message.as_str()),
                n: 1,
                spooled: None,
            }),
        }
    }
    insert(conn, build_id, chunks)
}

/// A chunk made only of one-line events (a lone event may be a multi-line message).
fn is_one_line_chunk(chunk: &Pending<'_>) -> bool {
    chunk.n > 1 || is_one_line(&chunk.text)
}

pub(super) fn append_lines(conn: &Connection, build_id: &str, batches: &[LogLines]) -> Result<i64> {
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let chunks = batches
        .iter()
        .filter_map(|b| {
            let (text, n, spooled) = match &b.text {
                LogText::Inline(text) if text.is_empty() => return None,
                LogText::Inline(text) if text.ends_with('\n') => (Cow::Borrowed(text.as_str()), newlines(text), None),
                LogText::Inline(text) => (Cow::Owned(format!("{text}\n")), newlines(text) + 1, None),
                LogText::Spooled { lines: 0, .. } => return None,
                LogText::Spooled { offset, len, lines } => (Cow::Borrowed(""), *lines, Some((*offset, *len))),
            };
            Some(Pending { timestamp_ms: b.timestamp_ms, ingestion_ms: b.ingestion_ms, text, n: count(n), spooled })
        })
        .collect();
    insert(conn, build_id, chunks)
}

fn newlines(text: &str) -> u64 {
    text.bytes().filter(|b| *b == b'\n').count() as u64
}

fn insert(conn: &Connection, build_id: &str, chunks: Vec<Pending<'_>>) -> Result<i64> {
    let build_exists = conn.prepare_cached(BUILD_EXISTS).and_then(|mut s| s.exists([build_id])).db()?;
    if !build_exists {
        return Err(StoreError::NotFound(format!("build {build_id}")));
    }
    // The write transaction holds the database lock, so nobody appends between here and commit.
    let first = len(conn, build_id)?;
    let mut stmt = conn.prepare_cached(INSERT).db()?;
    let mut seq = first;
    for c in chunks {
        let (offset, len) = match c.spooled {
            Some((o, l)) => (Some(i64::try_from(o).unwrap_or(i64::MAX)), Some(i64::try_from(l).unwrap_or(i64::MAX))),
            None => (None, None),
        };
        stmt.execute(params![build_id, seq, c.n, c.timestamp_ms, c.ingestion_ms, c.text, offset, len]).db()?;
        seq += c.n;
    }
    Ok(first)
}

/// Forward: the chunk holding `from` and those after it. Backward: chunks starting before
/// `from`, newest first. Each chunk yields at least one event, so `limit` chunks are enough.
pub(super) fn read_sql(forward: bool) -> &'static str {
    if forward {
        "SELECT first_seq, n, timestamp_ms, ingestion_ms, text, spool_offset, spool_len FROM log_chunks
        WHERE build_id = ?1
            AND first_seq >= COALESCE(
                (SELECT MAX(first_seq) FROM log_chunks WHERE build_id = ?1 AND first_seq <= ?2), ?2)
            AND (?3 IS NULL OR timestamp_ms >= ?3)
            AND (?4 IS NULL OR timestamp_ms < ?4)
        ORDER BY first_seq ASC"
    } else {
        "SELECT first_seq, n, timestamp_ms, ingestion_ms, text, spool_offset, spool_len FROM log_chunks
        WHERE build_id = ?1 AND first_seq < ?2
            AND (?3 IS NULL OR timestamp_ms >= ?3)
            AND (?4 IS NULL OR timestamp_ms < ?4)
        ORDER BY first_seq DESC"
    }
}

pub(super) fn read(conn: &Connection, spools: &Spools, build_id: &str, q: &LogQuery) -> Result<Vec<LogEvent>> {
    let mut events = Vec::new();
    if q.limit == 0 {
        return Ok(events);
    }
    let from = q.from.unwrap_or(if q.forward { i64::MIN } else { i64::MAX });
    let mut stmt = conn.prepare_cached(read_sql(q.forward)).db()?;
    let mut rows = stmt.query(params![build_id, from, q.start_ms, q.end_ms]).db()?;
    let mut spool = spools.reader();
    while events.len() < q.limit {
        let Some(row) = rows.next().db()? else { break };
        let mut chunk = Chunk::from_row(row, 0).db()?;
        if !chunk.passes(q) {
            continue;
        }
        chunk.load(&mut spool, build_id)?;
        let room = q.limit - events.len();
        let messages = chunk.messages();
        if q.forward {
            let wanted = messages.into_iter().filter(|(seq, _)| *seq >= from).take(room);
            events.extend(wanted.map(|(seq, m)| chunk.event(seq, m)));
        } else {
            let wanted = messages.into_iter().rev().filter(|(seq, _)| *seq < from).take(room);
            events.extend(wanted.map(|(seq, m)| chunk.event(seq, m)));
        }
    }
    if !q.forward {
        // Callers get stream order either way.
        events.reverse();
    }
    Ok(events)
}

//! Build rows, their numbering, and the idempotency tokens stored with them.

use std::collections::HashSet;

use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Db, direction, page, sql_limit};
use crate::token::{self, Cursor, Listing};
use crate::{BuildCount, BuildRecord, BuildState, IdempotencyRecord, Order, Page, Result, StoreError};

pub(super) const PROJECT_EXISTS: &str = "SELECT 1 FROM projects WHERE name = ?1";
pub(super) const NEXT_NUMBER: &str = "INSERT INTO build_counters (project, last_number) VALUES (?1, 1)
    ON CONFLICT (project) DO UPDATE SET last_number = last_number + 1
    RETURNING last_number";
pub(super) const INSERT: &str =
    "INSERT INTO builds (id, project, number, state, submitted_ms, stop_requested, doc, settings)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
    ON CONFLICT (id) DO NOTHING";
pub(super) const REMEMBER_TOKEN: &str =
    "INSERT INTO idempotency (token, request_hash, build_id, created_ms) VALUES (?1, ?2, ?3, ?4)
    ON CONFLICT (token) DO UPDATE SET request_hash = excluded.request_hash,
        build_id = excluded.build_id, created_ms = excluded.created_ms";
pub(super) const GET: &str = "SELECT id, project, number, state, submitted_ms, stop_requested, doc, settings
    FROM builds WHERE id = ?1";
pub(super) const STATE_OF: &str = "SELECT state FROM builds WHERE id = ?1";
pub(super) const UPDATE: &str = "UPDATE builds SET state = ?2, stop_requested = ?3, doc = ?4 WHERE id = ?1";
pub(super) const DELETE: &str = "DELETE FROM builds WHERE id = ?1";
pub(super) const IN_STATE: &str = "SELECT id, project, number, state, submitted_ms, stop_requested, doc, settings
    FROM builds WHERE state = ?1 ORDER BY submitted_ms, id LIMIT ?2";
// Counts at most ?2 entries of the `builds_state_submitted` index, never a document.
pub(super) const COUNT_IN_STATE: &str = "SELECT COUNT(*) FROM (SELECT 1 FROM builds WHERE state = ?1 LIMIT ?2)";
// The `state IN` term must match the `builds_active` index's condition for it to be used.
pub(super) const ACTIVE_COUNT: &str = "SELECT COUNT(*) FROM builds
    WHERE project = ?1 AND state IN ('QUEUED', 'RUNNING')";
// Reads every build document: run once per metrics scrape, not on a request path.
pub(super) const COUNTS: &str = "SELECT state, COALESCE(json_extract(doc, '$.buildStatus'), ''), COUNT(*)
    FROM builds GROUP BY 1, 2";
pub(super) const FIND_TOKEN: &str = "SELECT token, request_hash, build_id, created_ms
    FROM idempotency WHERE token = ?1 AND created_ms >= ?2";
pub(super) const PURGE_TOKENS: &str = "DELETE FROM idempotency WHERE created_ms < ?1";

/// All builds by (submitted_ms, id), after the token's key when there is one.
pub(super) fn list_sql(order: Order, after_key: bool) -> String {
    let (dir, cmp) = direction(order);
    let filter = if after_key { format!("WHERE (submitted_ms, id) {cmp} (?2, ?3)") } else { String::new() };
    format!("SELECT id, submitted_ms FROM builds {filter} ORDER BY submitted_ms {dir}, id {dir} LIMIT ?1")
}

/// One project's builds by number, after the token's number when there is one.
pub(super) fn list_for_project_sql(order: Order, after_key: bool) -> String {
    let (dir, cmp) = direction(order);
    let filter = if after_key { format!("AND number {cmp} ?3") } else { String::new() };
    format!("SELECT id, number FROM builds WHERE project = ?2 {filter} ORDER BY number {dir} LIMIT ?1")
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<BuildRecord> {
    let state: String = row.get(3)?;
    let state = BuildState::parse(&state).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(3, Type::Text, format!("unknown build state {state:?}").into())
    })?;
    Ok(BuildRecord {
        id: row.get(0)?,
        project: row.get(1)?,
        number: row.get(2)?,
        state,
        submitted_ms: row.get(4)?,
        stop_requested: row.get(5)?,
        doc: row.get(6)?,
        settings: row.get(7)?,
    })
}

pub(super) fn insert(
    conn: &Connection,
    build: &BuildRecord,
    doc_with_number: &dyn Fn(i64) -> String,
    idempotency: Option<&IdempotencyRecord>,
) -> Result<BuildRecord> {
    let project_exists = conn.prepare_cached(PROJECT_EXISTS).and_then(|mut s| s.exists([&build.project])).db()?;
    if !project_exists {
        return Err(StoreError::NotFound(format!("project {}", build.project)));
    }
    let number: i64 =
        conn.prepare_cached(NEXT_NUMBER).and_then(|mut s| s.query_row([&build.project], |row| row.get(0))).db()?;
    let stored = BuildRecord { number, doc: doc_with_number(number), ..build.clone() };
    let inserted = conn
        .prepare_cached(INSERT)
        .and_then(|mut s| {
            s.execute(params![
                stored.id,
                stored.project,
                stored.number,
                stored.state.as_str(),
                stored.submitted_ms,
                stored.stop_requested,
                stored.doc,
                stored.settings
            ])
        })
        .db()?;
    if inserted == 0 {
        // The caller's `write` rolls the counter back with everything else.
        return Err(StoreError::AlreadyExists(format!("build {}", stored.id)));
    }
    if let Some(idem) = idempotency {
        conn.prepare_cached(REMEMBER_TOKEN)
            .and_then(|mut s| s.execute(params![idem.token, idem.request_hash, idem.build_id, idem.created_ms]))
            .db()?;
    }
    Ok(stored)
}

pub(super) fn get(conn: &Connection, id: &str) -> Result<Option<BuildRecord>> {
    conn.prepare_cached(GET).and_then(|mut s| s.query_row([id], from_row).optional()).db()
}

/// Point lookups on the primary key: for the 100 ids of a BatchGetBuilds this is as fast as
/// an `IN` list, and keeps the caller's order without sorting.
pub(super) fn get_many(conn: &Connection, ids: &[String]) -> Result<Vec<BuildRecord>> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for id in ids {
        if seen.insert(id.as_str())
            && let Some(b) = get(conn, id)?
        {
            out.push(b);
        }
    }
    Ok(out)
}

/// The build's state, without reading its document.
pub(super) fn state_of(conn: &Connection, id: &str) -> Result<Option<BuildState>> {
    let state: Option<String> =
        conn.prepare_cached(STATE_OF).and_then(|mut s| s.query_row([id], |row| row.get(0)).optional()).db()?;
    Ok(state.as_deref().and_then(BuildState::parse))
}

pub(super) fn update(
    conn: &Connection,
    id: &str,
    change: &mut dyn FnMut(&mut BuildRecord),
) -> Result<Option<BuildRecord>> {
    let Some(current) = get(conn, id)? else {
        return Ok(None);
    };
    let mut changed = current.clone();
    change(&mut changed);
    // Only these three may change; identity, number and submission time are fixed.
    let stored =
        BuildRecord { state: changed.state, stop_requested: changed.stop_requested, doc: changed.doc, ..current };
    conn.prepare_cached(UPDATE)
        .and_then(|mut s| s.execute(params![stored.id, stored.state.as_str(), stored.stop_requested, stored.doc]))
        .db()?;
    Ok(Some(stored))
}

/// Log events go with their build (`ON DELETE CASCADE`).
pub(super) fn delete_many(conn: &Connection, ids: &[String]) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(DELETE).db()?;
    let mut deleted = Vec::new();
    for id in ids {
        if stmt.execute([id]).db()? > 0 {
            deleted.push(id.clone());
        }
    }
    Ok(deleted)
}

pub(super) fn list(conn: &Connection, order: Order, token: Option<&str>, limit: usize) -> Result<Page<String>> {
    let after = token.map(|t| token::decode(t, Listing::Builds, order)).transpose()?;
    let sql = list_sql(order, after.is_some());
    let mut stmt = conn.prepare_cached(&sql).db()?;
    let fetch = sql_limit(limit).saturating_add(1);
    let to_row = |row: &Row<'_>| {
        let id: String = row.get(0)?;
        let num: i64 = row.get(1)?;
        Ok((id.clone(), Cursor { num, text: id }))
    };
    let rows = match &after {
        Some(c) => stmt.query_map(params![fetch, c.num, c.text], to_row),
        None => stmt.query_map(params![fetch], to_row),
    }
    .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
    .db()?;
    Ok(page(rows, limit, Listing::Builds, order))
}

pub(super) fn list_for_project(
    conn: &Connection,
    project: &str,
    order: Order,
    token: Option<&str>,
    limit: usize,
) -> Result<Page<String>> {
    let after = token.map(|t| token::decode(t, Listing::BuildsOfProject, order)).transpose()?;
    if after.as_ref().is_some_and(|c| c.text != project) {
        return Err(StoreError::InvalidToken("issued for another project".to_string()));
    }
    let sql = list_for_project_sql(order, after.is_some());
    let mut stmt = conn.prepare_cached(&sql).db()?;
    let fetch = sql_limit(limit).saturating_add(1);
    let to_row = |row: &Row<'_>| {
        let id: String = row.get(0)?;
        let num: i64 = row.get(1)?;
        Ok((id, Cursor { num, text: project.to_string() }))
    };
    let rows = match &after {
        Some(c) => stmt.query_map(params![fetch, project, c.num], to_row),
        None => stmt.query_map(params![fetch, project], to_row),
    }
    .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
    .db()?;
    Ok(page(rows, limit, Listing::BuildsOfProject, order))
}

pub(super) fn in_state(conn: &Connection, state: BuildState, limit: usize) -> Result<Vec<BuildRecord>> {
    conn.prepare_cached(IN_STATE)
        .and_then(|mut s| s.query_map(params![state.as_str(), sql_limit(limit)], from_row)?.collect())
        .db()
}

pub(super) fn count_in_state(conn: &Connection, state: BuildState, at_most: usize) -> Result<usize> {
    let n: i64 = conn
        .prepare_cached(COUNT_IN_STATE)
        .and_then(|mut s| s.query_row(params![state.as_str(), sql_limit(at_most)], |row| row.get(0)))
        .db()?;
    Ok(usize::try_from(n).unwrap_or(0))
}

pub(super) fn active_count(conn: &Connection, project: &str) -> Result<usize> {
    let n: i64 = conn.prepare_cached(ACTIVE_COUNT).and_then(|mut s| s.query_row([project], |row| row.get(0))).db()?;
    Ok(usize::try_from(n).unwrap_or(0))
}

pub(super) fn counts(conn: &Connection) -> Result<Vec<BuildCount>> {
    // Not cached: the statement cache is sized for the request-path statements.
    let mut stmt = conn.prepare(COUNTS).db()?;
    let rows = stmt
        .query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, i64>(2)?)))
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .db()?;
    Ok(rows
        .into_iter()
        .filter_map(|(state, status, count)| {
            Some(BuildCount { state: BuildState::parse(&state)?, status, count: u64::try_from(count).unwrap_or(0) })
        })
        .collect())
}

pub(super) fn find_idempotency(
    conn: &Connection,
    token: &str,
    not_before_ms: i64,
) -> Result<Option<IdempotencyRecord>> {
    conn.prepare_cached(FIND_TOKEN)
        .and_then(|mut s| {
            s.query_row(params![token, not_before_ms], |row| {
                Ok(IdempotencyRecord {
                    token: row.get(0)?,
                    request_hash: row.get(1)?,
                    build_id: row.get(2)?,
                    created_ms: row.get(3)?,
                })
            })
            .optional()
        })
        .db()
}

pub(super) fn purge_idempotency(conn: &Connection, before_ms: i64) -> Result<usize> {
    conn.prepare_cached(PURGE_TOKENS).and_then(|mut s| s.execute([before_ms])).db()
}

//! Parameter Store rows: `parameters` maps a name to its latest version, `parameter_versions`
//! holds every kept version.

use std::collections::HashSet;

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Db, page, sql_limit};
use crate::token::{self, Cursor, Listing};
use crate::{Order, Page, ParameterRecord, Result, StoreError};

pub(super) const LATEST: &str = "SELECT version FROM parameters WHERE name = ?1";
pub(super) const SET_LATEST: &str = "INSERT INTO parameters (name, version) VALUES (?1, ?2)
    ON CONFLICT (name) DO UPDATE SET version = excluded.version";
pub(super) const INSERT_VERSION: &str =
    "INSERT INTO parameter_versions (name, version, modified_ms, value, doc) VALUES (?1, ?2, ?3, ?4, ?5)";
pub(super) const PRUNE: &str = "DELETE FROM parameter_versions WHERE name = ?1 AND version <= ?2";
pub(super) const GET_VERSION: &str = "SELECT name, version, modified_ms, value, doc
    FROM parameter_versions WHERE name = ?1 AND version = ?2";
pub(super) const GET_LATEST: &str = "SELECT v.name, v.version, v.modified_ms, v.value, v.doc
    FROM parameters p JOIN parameter_versions v ON v.name = p.name AND v.version = p.version
    WHERE p.name = ?1";
pub(super) const DELETE: &str = "DELETE FROM parameters WHERE name = ?1";

/// Names starting with `?2`, after `?3` when continuing. `char(1114111)` (U+10FFFF) sorts after
/// any character a name can continue with, so the prefix is an index range.
pub(super) fn list_sql(after_key: bool) -> String {
    let after = if after_key { "AND p.name > ?3" } else { "" };
    format!(
        "SELECT v.name, v.version, v.modified_ms, v.value, v.doc
        FROM parameters p JOIN parameter_versions v ON v.name = p.name AND v.version = p.version
        WHERE p.name >= ?2 AND p.name < ?2 || char(1114111) {after}
        ORDER BY p.name LIMIT ?1"
    )
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<ParameterRecord> {
    Ok(ParameterRecord {
        name: row.get(0)?,
        version: row.get(1)?,
        modified_ms: row.get(2)?,
        value: row.get(3)?,
        doc: row.get(4)?,
    })
}

pub(super) fn put(
    conn: &Connection,
    p: &ParameterRecord,
    overwrite: bool,
    keep_versions: usize,
) -> Result<ParameterRecord> {
    let latest: Option<i64> =
        conn.prepare_cached(LATEST).and_then(|mut s| s.query_row([&p.name], |row| row.get(0)).optional()).db()?;
    if latest.is_some() && !overwrite {
        return Err(StoreError::AlreadyExists(format!("parameter {}", p.name)));
    }
    let version = latest.unwrap_or(0).saturating_add(1);
    conn.prepare_cached(SET_LATEST).and_then(|mut s| s.execute(params![p.name, version])).db()?;
    conn.prepare_cached(INSERT_VERSION)
        .and_then(|mut s| s.execute(params![p.name, version, p.modified_ms, p.value, p.doc]))
        .db()?;
    let keep = i64::try_from(keep_versions.max(1)).unwrap_or(i64::MAX);
    conn.prepare_cached(PRUNE).and_then(|mut s| s.execute(params![p.name, version.saturating_sub(keep)])).db()?;
    Ok(ParameterRecord { version, ..p.clone() })
}

pub(super) fn get(conn: &Connection, name: &str, version: Option<i64>) -> Result<Option<ParameterRecord>> {
    match version {
        Some(v) => {
            conn.prepare_cached(GET_VERSION).and_then(|mut s| s.query_row(params![name, v], from_row).optional()).db()
        }
        None => conn.prepare_cached(GET_LATEST).and_then(|mut s| s.query_row([name], from_row).optional()).db(),
    }
}

pub(super) fn delete_many(conn: &Connection, names: &[String]) -> Result<Vec<String>> {
    let mut seen = HashSet::new();
    let mut deleted = Vec::new();
    for name in names {
        if !seen.insert(name.as_str()) {
            continue;
        }
        // The versions go with it (ON DELETE CASCADE).
        if conn.prepare_cached(DELETE).and_then(|mut s| s.execute([name])).db()? > 0 {
            deleted.push(name.clone());
        }
    }
    Ok(deleted)
}

pub(super) fn list(
    conn: &Connection,
    prefix: &str,
    token: Option<&str>,
    limit: usize,
) -> Result<Page<ParameterRecord>> {
    let after = token.map(|t| token::decode(t, Listing::Parameters, Order::Ascending)).transpose()?;
    let sql = list_sql(after.is_some());
    let mut stmt = conn.prepare_cached(&sql).db()?;
    let fetch = sql_limit(limit).saturating_add(1);
    let to_row = |row: &Row<'_>| {
        let record = from_row(row)?;
        let cursor = Cursor { num: 0, text: record.name.clone() };
        Ok((record, cursor))
    };
    let rows = match &after {
        Some(c) => stmt.query_map(params![fetch, prefix, c.text], to_row),
        None => stmt.query_map(params![fetch, prefix], to_row),
    }
    .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
    .db()?;
    Ok(page(rows, limit, Listing::Parameters, Order::Ascending))
}

//! Secrets Manager rows: `secrets`, their `secret_versions`, and `secret_stages`, whose key
//! keeps each staging label on at most one version of a secret.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Db, page, sql_limit};
use crate::token::{self, Cursor, Listing};
use crate::{Order, Page, Result, STAGE_CURRENT, STAGE_PREVIOUS, SecretRecord, SecretVersionRecord, StoreError};

pub(super) const NAME_OR_ARN_TAKEN: &str =
    "SELECT 1 FROM secrets WHERE name = ?1 UNION ALL SELECT 1 FROM secrets WHERE arn = ?2";
pub(super) const INSERT: &str = "INSERT INTO secrets (name, arn, created_ms, modified_ms, deletion_ms, doc)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
pub(super) const GET: &str = "SELECT name, arn, created_ms, modified_ms, deletion_ms, doc FROM secrets WHERE name = ?1";
pub(super) const GET_BY_ARN: &str =
    "SELECT name, arn, created_ms, modified_ms, deletion_ms, doc FROM secrets WHERE arn = ?1";
pub(super) const UPDATE: &str = "UPDATE secrets SET modified_ms = ?2, deletion_ms = ?3, doc = ?4 WHERE name = ?1";
pub(super) const TOUCH: &str = "UPDATE secrets SET modified_ms = ?2 WHERE name = ?1";
pub(super) const DELETE: &str = "DELETE FROM secrets WHERE name = ?1";
pub(super) const VERSIONS: &str = "SELECT version_id, created_ms, value FROM secret_versions
    WHERE secret = ?1 ORDER BY seq";
pub(super) const STAGES: &str = "SELECT stage, version_id FROM secret_stages WHERE secret = ?1";
pub(super) const VERSION_EXISTS: &str = "SELECT 1 FROM secret_versions WHERE secret = ?1 AND version_id = ?2";
pub(super) const NEXT_SEQ: &str = "SELECT COALESCE(MAX(seq) + 1, 0) FROM secret_versions WHERE secret = ?1";
pub(super) const INSERT_VERSION: &str =
    "INSERT INTO secret_versions (secret, version_id, seq, created_ms, value) VALUES (?1, ?2, ?3, ?4, ?5)";
pub(super) const STAGE_HOLDER: &str = "SELECT version_id FROM secret_stages WHERE secret = ?1 AND stage = ?2";
pub(super) const SET_STAGE: &str = "INSERT INTO secret_stages (secret, stage, version_id) VALUES (?1, ?2, ?3)
    ON CONFLICT (secret, stage) DO UPDATE SET version_id = excluded.version_id";
/// A secret's versions without any stage, newest first.
pub(super) const UNLABELLED: &str = "SELECT v.version_id FROM secret_versions v
    WHERE v.secret = ?1
        AND NOT EXISTS (SELECT 1 FROM secret_stages s WHERE s.secret = v.secret AND s.version_id = v.version_id)
    ORDER BY v.seq DESC";
pub(super) const DELETE_VERSION: &str = "DELETE FROM secret_versions WHERE secret = ?1 AND version_id = ?2";

/// Secrets by name after `?2` when continuing; scheduled deletions only when asked for.
pub(super) fn list_sql(include_scheduled: bool, after_key: bool) -> String {
    let mut filters = Vec::new();
    if !include_scheduled {
        filters.push("deletion_ms IS NULL");
    }
    if after_key {
        filters.push("name > ?2");
    }
    let filter = if filters.is_empty() { String::new() } else { format!("WHERE {}", filters.join(" AND ")) };
    format!("SELECT name, arn, created_ms, modified_ms, deletion_ms, doc FROM secrets {filter} ORDER BY name LIMIT ?1")
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<SecretRecord> {
    Ok(SecretRecord {
        name: row.get(0)?,
        arn: row.get(1)?,
        created_ms: row.get(2)?,
        modified_ms: row.get(3)?,
        deletion_ms: row.get(4)?,
        doc: row.get(5)?,
    })
}

pub(super) fn create(conn: &Connection, s: &SecretRecord, first: Option<&SecretVersionRecord>) -> Result<()> {
    let taken = conn.prepare_cached(NAME_OR_ARN_TAKEN).and_then(|mut st| st.exists(params![s.name, s.arn])).db()?;
    if taken {
        return Err(StoreError::AlreadyExists(format!("secret {}", s.name)));
    }
    conn.prepare_cached(INSERT)
        .and_then(|mut st| st.execute(params![s.name, s.arn, s.created_ms, s.modified_ms, s.deletion_ms, s.doc]))
        .db()?;
    if let Some(version) = first {
        insert_version(conn, &s.name, version)?;
    }
    Ok(())
}

pub(super) fn get(conn: &Connection, name: &str) -> Result<Option<SecretRecord>> {
    conn.prepare_cached(GET).and_then(|mut s| s.query_row([name], from_row).optional()).db()
}

pub(super) fn get_by_arn(conn: &Connection, arn: &str) -> Result<Option<SecretRecord>> {
    conn.prepare_cached(GET_BY_ARN).and_then(|mut s| s.query_row([arn], from_row).optional()).db()
}

pub(super) fn update(conn: &Connection, s: &SecretRecord) -> Result<()> {
    let updated = conn
        .prepare_cached(UPDATE)
        .and_then(|mut st| st.execute(params![s.name, s.modified_ms, s.deletion_ms, s.doc]))
        .db()?;
    if updated == 0 {
        return Err(StoreError::NotFound(format!("secret {}", s.name)));
    }
    Ok(())
}

pub(super) fn delete(conn: &Connection, name: &str) -> Result<bool> {
    // Versions and stages go with it (ON DELETE CASCADE).
    Ok(conn.prepare_cached(DELETE).and_then(|mut s| s.execute([name])).db()? > 0)
}

pub(super) fn list(
    conn: &Connection,
    include_scheduled: bool,
    token: Option<&str>,
    limit: usize,
) -> Result<Page<SecretRecord>> {
    let after = token.map(|t| token::decode(t, Listing::Secrets, Order::Ascending)).transpose()?;
    let sql = list_sql(include_scheduled, after.is_some());
    let mut stmt = conn.prepare_cached(&sql).db()?;
    let fetch = sql_limit(limit).saturating_add(1);
    let to_row = |row: &Row<'_>| {
        let record = from_row(row)?;
        let cursor = Cursor { num: 0, text: record.name.clone() };
        Ok((record, cursor))
    };
    let rows = match &after {
        Some(c) => stmt.query_map(params![fetch, c.text], to_row),
        None => stmt.query_map(params![fetch], to_row),
    }
    .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
    .db()?;
    Ok(page(rows, limit, Listing::Secrets, Order::Ascending))
}

pub(super) fn versions(conn: &Connection, name: &str) -> Result<Vec<SecretVersionRecord>> {
    let mut stages: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let rows = conn
        .prepare_cached(STAGES)
        .and_then(|mut s| {
            s.query_map([name], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .db()?;
    for (stage, version_id) in rows {
        stages.entry(version_id).or_default().push(stage);
    }
    conn.prepare_cached(VERSIONS)
        .and_then(|mut s| {
            s.query_map([name], |row| {
                let version_id: String = row.get(0)?;
                Ok(SecretVersionRecord {
                    stages: stages.get(&version_id).cloned().unwrap_or_default(),
                    version_id,
                    created_ms: row.get(1)?,
                    value: row.get(2)?,
                })
            })?
            .collect()
        })
        .db()
}

pub(super) fn put_version(
    conn: &Connection,
    name: &str,
    version: &SecretVersionRecord,
    modified_ms: i64,
    keep_unlabelled: usize,
) -> Result<()> {
    if get(conn, name)?.is_none() {
        return Err(StoreError::NotFound(format!("secret {name}")));
    }
    let holder = |stage: &str| -> Result<Option<String>> {
        conn.prepare_cached(STAGE_HOLDER)
            .and_then(|mut s| s.query_row(params![name, stage], |row| row.get(0)).optional())
            .db()
    };
    let takes_current = version.stages.iter().any(|s| s == STAGE_CURRENT);
    let demoted = if takes_current { holder(STAGE_CURRENT)? } else { None };
    insert_version(conn, name, version)?;
    if let Some(old) = demoted
        && !version.stages.iter().any(|s| s == STAGE_PREVIOUS)
    {
        conn.prepare_cached(SET_STAGE).and_then(|mut s| s.execute(params![name, STAGE_PREVIOUS, old])).db()?;
    }
    conn.prepare_cached(TOUCH).and_then(|mut s| s.execute(params![name, modified_ms])).db()?;
    let unlabelled: Vec<String> =
        conn.prepare_cached(UNLABELLED).and_then(|mut s| s.query_map([name], |row| row.get(0))?.collect()).db()?;
    for old in unlabelled.iter().skip(keep_unlabelled) {
        conn.prepare_cached(DELETE_VERSION).and_then(|mut s| s.execute(params![name, old])).db()?;
    }
    Ok(())
}

/// Inserts a version and moves its stages onto it.
fn insert_version(conn: &Connection, name: &str, v: &SecretVersionRecord) -> Result<()> {
    let exists = conn.prepare_cached(VERSION_EXISTS).and_then(|mut s| s.exists(params![name, v.version_id])).db()?;
    if exists {
        return Err(StoreError::AlreadyExists(format!("version {} of secret {name}", v.version_id)));
    }
    let seq: i64 = conn.prepare_cached(NEXT_SEQ).and_then(|mut s| s.query_row([name], |row| row.get(0))).db()?;
    conn.prepare_cached(INSERT_VERSION)
        .and_then(|mut s| s.execute(params![name, v.version_id, seq, v.created_ms, v.value]))
        .db()?;
    for stage in &v.stages {
        conn.prepare_cached(SET_STAGE).and_then(|mut s| s.execute(params![name, stage, v.version_id])).db()?;
    }
    Ok(())
}

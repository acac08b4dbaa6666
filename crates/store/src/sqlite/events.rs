//! EventBridge rows: `event_rules` keyed by (bus, name), `event_targets` by (bus, rule, id)
//! and going with their rule, and the `event_invocations` record, keyed by its sequence.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Db, page, sql_limit};
use crate::token::{self, Cursor, Listing};
use crate::{InvocationRecord, Order, Page, Result, RuleDeletion, RuleRecord, StoreError, TargetRecord};

pub(super) const UPSERT_RULE: &str =
    "INSERT INTO event_rules (event_bus, name, arn, enabled, created_ms, modified_ms, doc)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
    ON CONFLICT (event_bus, name) DO UPDATE SET
        arn = excluded.arn, enabled = excluded.enabled, modified_ms = excluded.modified_ms, doc = excluded.doc";
pub(super) const UPDATE_RULE: &str =
    "UPDATE event_rules SET arn = ?3, enabled = ?4, modified_ms = ?5, doc = ?6 WHERE event_bus = ?1 AND name = ?2";
pub(super) const GET_RULE: &str = "SELECT event_bus, name, arn, enabled, created_ms, modified_ms, doc
    FROM event_rules WHERE event_bus = ?1 AND name = ?2";
pub(super) const DELETE_RULE: &str = "DELETE FROM event_rules WHERE event_bus = ?1 AND name = ?2";
pub(super) const ENABLED_RULES: &str = "SELECT event_bus, name, arn, enabled, created_ms, modified_ms, doc
    FROM event_rules WHERE event_bus = ?1 AND enabled = 1 ORDER BY name";
pub(super) const COUNT_TARGETS: &str = "SELECT COUNT(*) FROM event_targets WHERE event_bus = ?1 AND rule = ?2";
pub(super) const UPSERT_TARGET: &str = "INSERT INTO event_targets (event_bus, rule, id, doc) VALUES (?1, ?2, ?3, ?4)
    ON CONFLICT (event_bus, rule, id) DO UPDATE SET doc = excluded.doc";
pub(super) const DELETE_TARGET: &str = "DELETE FROM event_targets WHERE event_bus = ?1 AND rule = ?2 AND id = ?3";
pub(super) const INSERT_INVOCATION: &str =
    "INSERT INTO event_invocations (time_ms, rule_arn, target_id, event_id, outcome, error)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
pub(super) const PRUNE_INVOCATIONS: &str = "DELETE FROM event_invocations WHERE seq <= ?1";
pub(super) const INVOCATIONS_BEFORE: &str = "SELECT seq, time_ms, rule_arn, target_id, event_id, outcome, error
    FROM event_invocations WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2";

/// Rules of bus `?2` whose names start with `?3`, after `?4` when continuing. `char(1114111)`
/// (U+10FFFF) sorts after any character a name can continue with, so the prefix is a key range.
pub(super) fn list_rules_sql(after_key: bool) -> String {
    let after = if after_key { "AND name > ?4" } else { "" };
    format!(
        "SELECT event_bus, name, arn, enabled, created_ms, modified_ms, doc FROM event_rules
        WHERE event_bus = ?2 AND name >= ?3 AND name < ?3 || char(1114111) {after}
        ORDER BY name LIMIT ?1"
    )
}

/// Targets of rule `?3` on bus `?2` by id, after `?4` when continuing.
pub(super) fn list_targets_sql(after_key: bool) -> String {
    let after = if after_key { "AND id > ?4" } else { "" };
    format!("SELECT id, doc FROM event_targets WHERE event_bus = ?2 AND rule = ?3 {after} ORDER BY id LIMIT ?1")
}

fn rule_from_row(row: &Row<'_>) -> rusqlite::Result<RuleRecord> {
    Ok(RuleRecord {
        event_bus: row.get(0)?,
        name: row.get(1)?,
        arn: row.get(2)?,
        enabled: row.get(3)?,
        created_ms: row.get(4)?,
        modified_ms: row.get(5)?,
        doc: row.get(6)?,
    })
}

fn invocation_from_row(row: &Row<'_>) -> rusqlite::Result<InvocationRecord> {
    Ok(InvocationRecord {
        seq: row.get(0)?,
        time_ms: row.get(1)?,
        rule_arn: row.get(2)?,
        target_id: row.get(3)?,
        event_id: row.get(4)?,
        outcome: row.get(5)?,
        error: row.get(6)?,
    })
}

pub(super) fn put_rule(conn: &Connection, r: &RuleRecord) -> Result<RuleRecord> {
    conn.prepare_cached(UPSERT_RULE)
        .and_then(|mut s| s.execute(params![r.event_bus, r.name, r.arn, r.enabled, r.created_ms, r.modified_ms, r.doc]))
        .db()?;
    get_rule(conn, &r.event_bus, &r.name)?
        .ok_or_else(|| StoreError::Backend(format!("rule {} vanished while it was written", r.name)))
}

pub(super) fn update_rule(conn: &Connection, r: &RuleRecord) -> Result<()> {
    let updated = conn
        .prepare_cached(UPDATE_RULE)
        .and_then(|mut s| s.execute(params![r.event_bus, r.name, r.arn, r.enabled, r.modified_ms, r.doc]))
        .db()?;
    if updated == 0 {
        return Err(StoreError::NotFound(format!("rule {} on event bus {}", r.name, r.event_bus)));
    }
    Ok(())
}

pub(super) fn get_rule(conn: &Connection, bus: &str, name: &str) -> Result<Option<RuleRecord>> {
    conn.prepare_cached(GET_RULE).and_then(|mut s| s.query_row(params![bus, name], rule_from_row).optional()).db()
}

fn count_targets(conn: &Connection, bus: &str, rule: &str) -> Result<usize> {
    let count: i64 =
        conn.prepare_cached(COUNT_TARGETS).and_then(|mut s| s.query_row(params![bus, rule], |row| row.get(0))).db()?;
    Ok(usize::try_from(count).unwrap_or(usize::MAX))
}

fn require_rule(conn: &Connection, bus: &str, rule: &str) -> Result<()> {
    match get_rule(conn, bus, rule)? {
        Some(_) => Ok(()),
        None => Err(StoreError::NotFound(format!("rule {rule} on event bus {bus}"))),
    }
}

pub(super) fn delete_rule(conn: &Connection, bus: &str, name: &str) -> Result<RuleDeletion> {
    if get_rule(conn, bus, name)?.is_none() {
        return Ok(RuleDeletion::Absent);
    }
    if count_targets(conn, bus, name)? > 0 {
        return Ok(RuleDeletion::HasTargets);
    }
    conn.prepare_cached(DELETE_RULE).and_then(|mut s| s.execute(params![bus, name])).db()?;
    Ok(RuleDeletion::Deleted)
}

pub(super) fn list_rules(
    conn: &Connection,
    bus: &str,
    prefix: &str,
    token: Option<&str>,
    limit: usize,
) -> Result<Page<RuleRecord>> {
    let after = token.map(|t| token::decode(t, Listing::EventRules, Order::Ascending)).transpose()?;
    let sql = list_rules_sql(after.is_some());
    let mut stmt = conn.prepare_cached(&sql).db()?;
    let fetch = sql_limit(limit).saturating_add(1);
    let to_row = |row: &Row<'_>| {
        let record = rule_from_row(row)?;
        let cursor = Cursor { num: 0, text: record.name.clone() };
        Ok((record, cursor))
    };
    let rows = match &after {
        Some(c) => stmt.query_map(params![fetch, bus, prefix, c.text], to_row),
        None => stmt.query_map(params![fetch, bus, prefix], to_row),
    }
    .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
    .db()?;
    Ok(page(rows, limit, Listing::EventRules, Order::Ascending))
}

pub(super) fn enabled_rules(conn: &Connection, bus: &str) -> Result<Vec<RuleRecord>> {
    conn.prepare_cached(ENABLED_RULES)
        .and_then(|mut s| s.query_map([bus], rule_from_row)?.collect::<rusqlite::Result<Vec<_>>>())
        .db()
}

pub(super) fn put_targets(
    conn: &Connection,
    bus: &str,
    rule: &str,
    targets: &[TargetRecord],
    max_per_rule: usize,
) -> Result<()> {
    require_rule(conn, bus, rule)?;
    for t in targets {
        conn.prepare_cached(UPSERT_TARGET).and_then(|mut s| s.execute(params![bus, rule, t.id, t.doc])).db()?;
    }
    // Counted after the upserts, so replacing existing targets never counts twice. The caller's
    // transaction rolls everything back on the error.
    let count = count_targets(conn, bus, rule)?;
    if count > max_per_rule {
        return Err(StoreError::LimitExceeded(format!(
            "rule {rule} would have {count} targets (at most {max_per_rule})"
        )));
    }
    Ok(())
}

pub(super) fn remove_targets(conn: &Connection, bus: &str, rule: &str, ids: &[String]) -> Result<Vec<String>> {
    require_rule(conn, bus, rule)?;
    let mut removed = Vec::new();
    for id in ids {
        if conn.prepare_cached(DELETE_TARGET).and_then(|mut s| s.execute(params![bus, rule, id])).db()? > 0 {
            removed.push(id.clone());
        }
    }
    Ok(removed)
}

pub(super) fn list_targets(
    conn: &Connection,
    bus: &str,
    rule: &str,
    token: Option<&str>,
    limit: usize,
) -> Result<Page<TargetRecord>> {
    let after = token.map(|t| token::decode(t, Listing::EventTargets, Order::Ascending)).transpose()?;
    let sql = list_targets_sql(after.is_some());
    let mut stmt = conn.prepare_cached(&sql).db()?;
    let fetch = sql_limit(limit).saturating_add(1);
    let to_row = |row: &Row<'_>| {
        let record = TargetRecord { id: row.get(0)?, doc: row.get(1)? };
        let cursor = Cursor { num: 0, text: record.id.clone() };
        Ok((record, cursor))
    };
    let rows = match &after {
        Some(c) => stmt.query_map(params![fetch, bus, rule, c.text], to_row),
        None => stmt.query_map(params![fetch, bus, rule], to_row),
    }
    .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
    .db()?;
    Ok(page(rows, limit, Listing::EventTargets, Order::Ascending))
}

pub(super) fn record_invocation(conn: &Connection, i: &InvocationRecord, keep: usize) -> Result<i64> {
    conn.prepare_cached(INSERT_INVOCATION)
        .and_then(|mut s| s.execute(params![i.time_ms, i.rule_arn, i.target_id, i.event_id, i.outcome, i.error]))
        .db()?;
    let seq = conn.last_insert_rowid();
    let keep = i64::try_from(keep.max(1)).unwrap_or(i64::MAX);
    conn.prepare_cached(PRUNE_INVOCATIONS).and_then(|mut s| s.execute([seq.saturating_sub(keep)])).db()?;
    Ok(seq)
}

pub(super) fn invocations(conn: &Connection, before: Option<i64>, limit: usize) -> Result<Vec<InvocationRecord>> {
    conn.prepare_cached(INVOCATIONS_BEFORE)
        .and_then(|mut s| {
            s.query_map(params![before.unwrap_or(i64::MAX), sql_limit(limit)], invocation_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .db()
}

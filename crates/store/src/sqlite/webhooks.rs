//! Webhook rows (`webhooks`, one per project, gone with it) and `webhook_deliveries`, where a
//! partial unique index lets one claiming delivery hold a provider delivery id per project.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Db, sql_limit};
use crate::{DeliveryOutcome, DeliveryRecord, Result, StoreError, WebhookRecord};

pub(super) const PROJECT_EXISTS: &str = "SELECT 1 FROM projects WHERE name = ?1";
pub(super) const TAKEN: &str =
    "SELECT 1 FROM webhooks WHERE project = ?1 UNION ALL SELECT 1 FROM webhooks WHERE token = ?2";
pub(super) const INSERT: &str = "INSERT INTO webhooks (project, token, secret, created_ms, modified_ms, doc)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
pub(super) const UPDATE: &str =
    "UPDATE webhooks SET token = ?2, secret = ?3, modified_ms = ?4, doc = ?5 WHERE project = ?1";
pub(super) const GET: &str =
    "SELECT project, token, secret, created_ms, modified_ms, doc FROM webhooks WHERE project = ?1";
pub(super) const GET_BY_TOKEN: &str =
    "SELECT project, token, secret, created_ms, modified_ms, doc FROM webhooks WHERE token = ?1";
pub(super) const DELETE: &str = "DELETE FROM webhooks WHERE project = ?1";

pub(super) const CLAIMED_BY: &str = "SELECT id FROM webhook_deliveries
    WHERE project = ?1 AND delivery_id = ?2 AND outcome IN ('PENDING', 'STARTED')";
pub(super) const DELIVERY_EXISTS: &str = "SELECT 1 FROM webhook_deliveries WHERE id = ?1";
pub(super) const INSERT_DELIVERY: &str = "INSERT INTO webhook_deliveries
    (id, project, delivery_id, received_ms, outcome, detail, payload_sha256, doc)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
/// Drops a project's deliveries older than its newest `?2`.
pub(super) const PRUNE_DELIVERIES: &str = "DELETE FROM webhook_deliveries WHERE project = ?1 AND seq <= (
    SELECT seq FROM webhook_deliveries WHERE project = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2)";
pub(super) const SET_OUTCOME: &str = "UPDATE webhook_deliveries SET outcome = ?2, detail = ?3 WHERE id = ?1";
pub(super) const LIST_DELIVERIES: &str =
    "SELECT id, project, delivery_id, received_ms, outcome, detail, payload_sha256, doc FROM webhook_deliveries
    WHERE project = ?1 ORDER BY seq DESC LIMIT ?2";

fn webhook_from_row(row: &Row<'_>) -> rusqlite::Result<WebhookRecord> {
    Ok(WebhookRecord {
        project: row.get(0)?,
        token: row.get(1)?,
        secret: row.get(2)?,
        created_ms: row.get(3)?,
        modified_ms: row.get(4)?,
        doc: row.get(5)?,
    })
}

pub(super) fn create(conn: &Connection, w: &WebhookRecord) -> Result<()> {
    let project = conn.prepare_cached(PROJECT_EXISTS).and_then(|mut s| s.exists([&w.project])).db()?;
    if !project {
        return Err(StoreError::NotFound(format!("project {}", w.project)));
    }
    let taken = conn.prepare_cached(TAKEN).and_then(|mut s| s.exists(params![w.project, w.token])).db()?;
    if taken {
        return Err(StoreError::AlreadyExists(format!("webhook of project {}", w.project)));
    }
    conn.prepare_cached(INSERT)
        .and_then(|mut s| s.execute(params![w.project, w.token, w.secret, w.created_ms, w.modified_ms, w.doc]))
        .db()?;
    Ok(())
}

pub(super) fn update(conn: &Connection, w: &WebhookRecord) -> Result<()> {
    let updated = conn
        .prepare_cached(UPDATE)
        .and_then(|mut s| s.execute(params![w.project, w.token, w.secret, w.modified_ms, w.doc]))
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                StoreError::AlreadyExists(format!("webhook token of project {}", w.project))
            }
            other => StoreError::Backend(other.to_string()),
        })?;
    if updated == 0 {
        return Err(StoreError::NotFound(format!("webhook of project {}", w.project)));
    }
    Ok(())
}

pub(super) fn get(conn: &Connection, project: &str) -> Result<Option<WebhookRecord>> {
    conn.prepare_cached(GET).and_then(|mut s| s.query_row([project], webhook_from_row).optional()).db()
}

pub(super) fn get_by_token(conn: &Connection, token: &str) -> Result<Option<WebhookRecord>> {
    conn.prepare_cached(GET_BY_TOKEN).and_then(|mut s| s.query_row([token], webhook_from_row).optional()).db()
}

pub(super) fn delete(conn: &Connection, project: &str) -> Result<bool> {
    Ok(conn.prepare_cached(DELETE).and_then(|mut s| s.execute([project])).db()? > 0)
}

pub(super) fn insert_delivery(conn: &Connection, d: &DeliveryRecord, keep: usize) -> Result<DeliveryRecord> {
    let exists = conn.prepare_cached(DELIVERY_EXISTS).and_then(|mut s| s.exists([&d.id])).db()?;
    if exists {
        return Err(StoreError::AlreadyExists(format!("delivery {}", d.id)));
    }
    let mut stored = d.clone();
    if let Some(delivery_id) = d.delivery_id.as_deref().filter(|_| d.outcome.claims()) {
        let earlier: Option<String> = conn
            .prepare_cached(CLAIMED_BY)
            .and_then(|mut s| s.query_row(params![d.project, delivery_id], |row| row.get(0)).optional())
            .db()?;
        if let Some(earlier) = earlier {
            stored.outcome = DeliveryOutcome::Duplicate(earlier);
        }
    }
    let o = &stored.outcome;
    conn.prepare_cached(INSERT_DELIVERY)
        .and_then(|mut s| {
            s.execute(params![
                d.id,
                d.project,
                d.delivery_id,
                d.received_ms,
                o.kind(),
                o.detail(),
                d.payload_sha256,
                d.doc
            ])
        })
        .db()?;
    conn.prepare_cached(PRUNE_DELIVERIES)
        .and_then(|mut s| s.execute(params![d.project, sql_limit(keep.max(1))]))
        .db()?;
    Ok(stored)
}

pub(super) fn set_outcome(conn: &Connection, id: &str, outcome: &DeliveryOutcome) -> Result<()> {
    let updated = conn
        .prepare_cached(SET_OUTCOME)
        .and_then(|mut s| s.execute(params![id, outcome.kind(), outcome.detail()]))
        .db()?;
    if updated == 0 {
        return Err(StoreError::NotFound(format!("delivery {id}")));
    }
    Ok(())
}

pub(super) fn list_deliveries(conn: &Connection, project: &str, limit: usize) -> Result<Vec<DeliveryRecord>> {
    let rows: Vec<(DeliveryRecord, String, String)> = conn
        .prepare_cached(LIST_DELIVERIES)
        .and_then(|mut s| {
            s.query_map(params![project, sql_limit(limit)], |row| {
                let record = DeliveryRecord {
                    id: row.get(0)?,
                    project: row.get(1)?,
                    delivery_id: row.get(2)?,
                    received_ms: row.get(3)?,
                    outcome: DeliveryOutcome::Pending,
                    payload_sha256: row.get(6)?,
                    doc: row.get(7)?,
                };
                Ok((record, row.get(4)?, row.get(5)?))
            })?
            .collect()
        })
        .db()?;
    rows.into_iter()
        .map(|(mut record, kind, detail)| {
            record.outcome = DeliveryOutcome::from_parts(&kind, detail).ok_or_else(|| {
                StoreError::Backend(format!("delivery {} has an unknown outcome {kind:?}", record.id))
            })?;
            Ok(record)
        })
        .collect()
}

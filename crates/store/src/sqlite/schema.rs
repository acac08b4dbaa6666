//! Schema migrations, applied in order and counted in `PRAGMA user_version`.
//!
//! Never edit a released step: append a new one. Each step runs in its own transaction together
//! with the version bump, so a crash leaves the database at a whole step.

use rusqlite::{Connection, TransactionBehavior};

use super::Db;
use crate::{Result, StoreError};

/// Step `i` takes the schema from version `i` to `i + 1`.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: the initial schema.
    r#"
    CREATE TABLE projects (
        name        TEXT PRIMARY KEY NOT NULL,
        created_ms  INTEGER NOT NULL,
        modified_ms INTEGER NOT NULL,
        doc         TEXT NOT NULL
    );
    CREATE INDEX projects_created ON projects (created_ms, name);
    CREATE INDEX projects_modified ON projects (modified_ms, name);

    -- Build numbers live apart from `projects` so that they outlive a deleted project: a project
    -- created again under the same name continues its numbering, and (project, number) stays
    -- unique across the builds the old project left behind.
    CREATE TABLE build_counters (
        project     TEXT PRIMARY KEY NOT NULL,
        last_number INTEGER NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE builds (
        id             TEXT PRIMARY KEY NOT NULL,
        project        TEXT NOT NULL,
        number         INTEGER NOT NULL,
        state          TEXT NOT NULL,
        submitted_ms   INTEGER NOT NULL,
        stop_requested INTEGER NOT NULL DEFAULT 0,
        doc            TEXT NOT NULL
    );
    CREATE UNIQUE INDEX builds_project_number ON builds (project, number);
    CREATE INDEX builds_state_submitted ON builds (state, submitted_ms, id);
    CREATE INDEX builds_submitted_id ON builds (submitted_ms, id);
    -- Only queued and running builds: small, and counting a project's active builds reads
    -- nothing else.
    CREATE INDEX builds_active ON builds (project) WHERE state IN ('QUEUED', 'RUNNING');

    CREATE TABLE idempotency (
        token        TEXT PRIMARY KEY NOT NULL,
        request_hash TEXT NOT NULL,
        build_id     TEXT NOT NULL,
        created_ms   INTEGER NOT NULL
    );
    CREATE INDEX idempotency_created ON idempotency (created_ms);

    CREATE TABLE log_events (
        build_id     TEXT NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
        seq          INTEGER NOT NULL,
        timestamp_ms INTEGER NOT NULL,
        ingestion_ms INTEGER NOT NULL,
        message      TEXT NOT NULL,
        PRIMARY KEY (build_id, seq)
    ) WITHOUT ROWID;
    "#,
    // 2: a build's settings that CodeBuild's Build shape does not show (the effective artifact
    // settings a StartBuild chose), for the executor.
    r#"
    ALTER TABLE builds ADD COLUMN settings TEXT NOT NULL DEFAULT '';
    "#,
    // 3: Parameter Store parameters and Secrets Manager secrets. Values are BLOBs the operation
    // layer sealed (SecureString and secret values are ciphertext here).
    r#"
    -- name -> latest version: the listing walks this, not every version.
    CREATE TABLE parameters (
        name    TEXT PRIMARY KEY NOT NULL,
        version INTEGER NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE parameter_versions (
        name        TEXT NOT NULL REFERENCES parameters (name) ON DELETE CASCADE,
        version     INTEGER NOT NULL,
        modified_ms INTEGER NOT NULL,
        value       BLOB NOT NULL,
        doc         TEXT NOT NULL,
        PRIMARY KEY (name, version)
    ) WITHOUT ROWID;

    CREATE TABLE secrets (
        name        TEXT PRIMARY KEY NOT NULL,
        arn         TEXT NOT NULL UNIQUE,
        created_ms  INTEGER NOT NULL,
        modified_ms INTEGER NOT NULL,
        deletion_ms INTEGER,
        doc         TEXT NOT NULL
    );

    -- `seq` orders a secret's versions (ids are random).
    CREATE TABLE secret_versions (
        secret     TEXT NOT NULL REFERENCES secrets (name) ON DELETE CASCADE,
        version_id TEXT NOT NULL,
        seq        INTEGER NOT NULL,
        created_ms INTEGER NOT NULL,
        value      BLOB NOT NULL,
        PRIMARY KEY (secret, version_id)
    ) WITHOUT ROWID;
    CREATE UNIQUE INDEX secret_versions_seq ON secret_versions (secret, seq);

    -- The key makes a staging label unique within a secret.
    CREATE TABLE secret_stages (
        secret     TEXT NOT NULL,
        stage      TEXT NOT NULL,
        version_id TEXT NOT NULL,
        PRIMARY KEY (secret, stage),
        FOREIGN KEY (secret, version_id) REFERENCES secret_versions (secret, version_id) ON DELETE CASCADE
    ) WITHOUT ROWID;
    CREATE INDEX secret_stages_version ON secret_stages (secret, version_id);
    "#,
    // 4: test report groups, their reports and the reports' test cases. Deleting a group with
    // its reports, or a report, cascades down.
    r#"
    CREATE TABLE report_groups (
        arn         TEXT PRIMARY KEY NOT NULL,
        name        TEXT NOT NULL UNIQUE,
        project     TEXT,
        created_ms  INTEGER NOT NULL,
        modified_ms INTEGER NOT NULL,
        doc         TEXT NOT NULL
    );
    CREATE INDEX report_groups_created ON report_groups (created_ms, name);
    CREATE INDEX report_groups_modified ON report_groups (modified_ms, name);
    -- Only groups a build created count against their project's limit.
    CREATE INDEX report_groups_project ON report_groups (project) WHERE project IS NOT NULL;

    CREATE TABLE reports (
        arn          TEXT PRIMARY KEY NOT NULL,
        group_arn    TEXT NOT NULL REFERENCES report_groups (arn) ON DELETE CASCADE,
        execution_id TEXT NOT NULL,
        status       TEXT NOT NULL,
        created_ms   INTEGER NOT NULL,
        doc          TEXT NOT NULL
    );
    -- One index per listing filter (none, group, status, both), so every page is a range.
    CREATE INDEX reports_created ON reports (created_ms, arn);
    CREATE INDEX reports_group_created ON reports (group_arn, created_ms, arn);
    CREATE INDEX reports_status_created ON reports (status, created_ms, arn);
    CREATE INDEX reports_group_status_created ON reports (group_arn, status, created_ms, arn);

    CREATE TABLE test_cases (
        report_arn  TEXT NOT NULL REFERENCES reports (arn) ON DELETE CASCADE,
        seq         INTEGER NOT NULL,
        prefix      TEXT NOT NULL,
        name        TEXT NOT NULL,
        status      TEXT NOT NULL,
        duration_ns INTEGER NOT NULL,
        message     TEXT,
        suite       TEXT NOT NULL,
        raw_path    TEXT NOT NULL,
        PRIMARY KEY (report_arn, seq)
    ) WITHOUT ROWID;
    "#,
    // 5: EventBridge rules, their targets (which go with the rule), and the record of what
    // delivering events to targets did.
    r#"
    CREATE TABLE event_rules (
        event_bus   TEXT NOT NULL,
        name        TEXT NOT NULL,
        arn         TEXT NOT NULL,
        enabled     INTEGER NOT NULL,
        created_ms  INTEGER NOT NULL,
        modified_ms INTEGER NOT NULL,
        doc         TEXT NOT NULL,
        PRIMARY KEY (event_bus, name)
    ) WITHOUT ROWID;
    -- Delivery reads only the enabled rules of one bus.
    CREATE INDEX event_rules_enabled ON event_rules (event_bus, enabled, name);

    CREATE TABLE event_targets (
        event_bus TEXT NOT NULL,
        rule      TEXT NOT NULL,
        id        TEXT NOT NULL,
        doc       TEXT NOT NULL,
        PRIMARY KEY (event_bus, rule, id),
        FOREIGN KEY (event_bus, rule) REFERENCES event_rules (event_bus, name) ON DELETE CASCADE
    ) WITHOUT ROWID;

    -- Only the newest invocations are kept (the caller says how many).
    CREATE TABLE event_invocations (
        seq       INTEGER PRIMARY KEY,
        time_ms   INTEGER NOT NULL,
        rule_arn  TEXT NOT NULL,
        target_id TEXT NOT NULL,
        event_id  TEXT NOT NULL,
        outcome   TEXT,
        error     TEXT
    );
    "#,
    // 6: CodeBuild webhooks (one per project, deleted with it) and the deliveries they received.
    r#"
    CREATE TABLE webhooks (
        project     TEXT PRIMARY KEY NOT NULL REFERENCES projects (name) ON DELETE CASCADE,
        token       TEXT NOT NULL UNIQUE,
        secret      BLOB,
        created_ms  INTEGER NOT NULL,
        modified_ms INTEGER NOT NULL,
        doc         TEXT NOT NULL
    );

    -- Deliveries outlive their webhook, like builds outlive their project. `seq` orders them.
    CREATE TABLE webhook_deliveries (
        seq            INTEGER PRIMARY KEY,
        id             TEXT NOT NULL UNIQUE,
        project        TEXT NOT NULL,
        delivery_id    TEXT,
        received_ms    INTEGER NOT NULL,
        outcome        TEXT NOT NULL,
        detail         TEXT NOT NULL,
        payload_sha256 TEXT NOT NULL,
        doc            TEXT NOT NULL
    );
    CREATE INDEX webhook_deliveries_project ON webhook_deliveries (project, seq);
    -- A provider's delivery id starts at most one build per project: only a delivery starting
    -- or having started a build holds it, so a rejected or failed one may be redelivered.
    CREATE UNIQUE INDEX webhook_deliveries_claimed ON webhook_deliveries (project, delivery_id)
        WHERE delivery_id IS NOT NULL AND outcome IN ('PENDING', 'STARTED');
    "#,
    // 7: logs stored as chunks: the events that arrived together share one row, so a build
    // writing a gigabyte of output costs thousands of rows, not millions. A chunk of `n > 1`
    // events is `n` lines, each ending with a newline; a chunk of one event is its message.
    // A rowid table, not WITHOUT ROWID: chunks run to tens of kilobytes.
    r#"
    CREATE TABLE log_chunks (
        build_id     TEXT NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
        first_seq    INTEGER NOT NULL,
        n            INTEGER NOT NULL,
        timestamp_ms INTEGER NOT NULL,
        ingestion_ms INTEGER NOT NULL,
        text         TEXT NOT NULL,
        PRIMARY KEY (build_id, first_seq)
    );
    INSERT INTO log_chunks (build_id, first_seq, n, timestamp_ms, ingestion_ms, text)
        SELECT build_id, seq, 1, timestamp_ms, ingestion_ms, message FROM log_events;
    DROP TABLE log_events;
    "#,
    // 8: chunks whose text is in the build's spool file (`sqlite/spool.rs`), written there by
    // the build agent: `text` is empty and these say where the chunk's bytes are.
    r#"
    ALTER TABLE log_chunks ADD COLUMN spool_offset INTEGER;
    ALTER TABLE log_chunks ADD COLUMN spool_len INTEGER;
    "#,
];

/// The schema version this code writes.
pub(super) fn latest_version() -> i64 {
    i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX)
}

/// Brings the database up to the latest version. Safe against other processes migrating at
/// the same time: the version is read again inside each write transaction.
pub(super) fn migrate(conn: &mut Connection) -> Result<()> {
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).db()?;
        let version: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0)).db()?;
        let step = usize::try_from(version).ok().filter(|v| *v <= MIGRATIONS.len());
        let Some(step) = step else {
            return Err(StoreError::Backend(format!(
                "database schema version {version} is not one this program knows (0 to {})",
                latest_version()
            )));
        };
        let Some(step) = MIGRATIONS.get(step) else {
            return Ok(());
        };
        tx.execute_batch(step).db()?;
        tx.pragma_update(None, "user_version", version + 1).db()?;
        tx.commit().db()?;
    }
}

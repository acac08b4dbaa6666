//! The SQLite implementation of [`Store`].
//!
//! One write connection behind a mutex, and for file databases a few read connections: in WAL
//! mode readers see the last committed state and never wait for the writer. Every write is one
//! `BEGIN IMMEDIATE` transaction, so several processes may share a database file (the busy
//! timeout queues them) and read-modify-write steps never fail half-way on a lock upgrade.
//!
//! Durability: WAL with `synchronous=FULL` fsyncs the WAL on every commit. `NORMAL` would
//! survive a killed process but could lose the last commits on power loss, and an acknowledged
//! build must not vanish. The exception is a running build's progress (`record_progress`, and
//! log lines while the build is RUNNING): those commits skip the fsync. The WAL is written in
//! order, so the next fsynced commit (at the latest the build's end) makes them durable too;
//! a power cut before that loses only progress of a build whose fsynced claim makes the
//! restart end it as FAULT. A trivial build makes some thirty such commits, and a StartBuild
//! that queued behind them for the write lock waited for each of their fsyncs.

mod builds;
mod events;
mod log_search;
mod logs;
mod parameters;
mod projects;
mod report_groups;
mod reports;
mod schema;
mod secrets;
mod spool;
mod webhooks;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError, TryLockError};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, Transaction, TransactionBehavior};
use spool::Spools;

use crate::{
    BuildCount, BuildRecord, BuildState, GroupDeletion, IdempotencyRecord, InvocationRecord, LogEvent, LogLines,
    LogQuery, LogText, Order, Page, ParameterRecord, ProjectRecord, ProjectSort, ReportGroupRecord, ReportGroupSort,
    ReportQuery, ReportRecord, Result, RuleDeletion, RuleRecord, SecretRecord, SecretVersionRecord, Store, StoreError,
    TargetRecord, TestCaseQuery, TestCaseRecord,
};
use crate::{DeliveryOutcome, DeliveryRecord, WebhookRecord};
use crate::{LogGroupInfo, LogScan, LogStreamInfo, ScannedEvent};

/// How long a write waits for another process's write transaction before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Read connections of a file store. Reads take microseconds; a few cover a 2-core machine.
const READERS: usize = 4;
/// Prepared statements kept per connection: room for every statement the store runs (a test
/// checks), so none is prepared twice.
const STATEMENT_CACHE: usize = 256;

/// Maps rusqlite errors into the store's error type.
trait Db<T> {
    fn db(self) -> Result<T>;
}

impl<T> Db<T> for rusqlite::Result<T> {
    fn db(self) -> Result<T> {
        self.map_err(|e| StoreError::Backend(e.to_string()))
    }
}

/// `usize` limits as SQL `LIMIT` values.
fn sql_limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A panic inside a closure we called (while holding a lock) has already rolled back its
/// transaction; the connection is usable, so poisoning is not an error here.
fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Fields drop in order: the writer closes last and so runs SQLite's final checkpoint.
pub struct SqliteStore {
    /// Empty for an in-memory database, whose connections cannot share it: the writer reads.
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    writer: Mutex<Connection>,
    spools: Spools,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`, and its parent directory, and brings
    /// the schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        let io = |what: &str, e: std::io::Error| StoreError::Backend(format!("{what}: {e}"));
        let dir = parent_dir(path);
        create_dirs_durably(dir).map_err(|e| io("creating the database directory", e))?;
        let mut writer = Connection::open(path).db()?;
        configure(&writer)?;
        let mode: String = writer.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0)).db()?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Backend(format!("cannot use WAL mode (got {mode})")));
        }
        schema::migrate(&mut writer)?;
        // SQLite fsyncs the directory when it creates a journal, not when it creates the
        // database file itself.
        sync_dir(dir).map_err(|e| io("syncing the database directory", e))?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let reader = Connection::open(path).db()?;
            configure(&reader)?;
            reader.pragma_update(None, "query_only", true).db()?;
            readers.push(Mutex::new(reader));
        }
        Ok(SqliteStore {
            writer: Mutex::new(writer),
            readers,
            next_reader: AtomicUsize::new(0),
            spools: Spools::beside(dir),
        })
    }

    /// A private, empty database that lives as long as the store. For tests.
    pub fn open_in_memory() -> Result<Self> {
        let mut conn = Connection::open_in_memory().db()?;
        configure(&conn)?;
        schema::migrate(&mut conn)?;
        Ok(SqliteStore {
            writer: Mutex::new(conn),
            readers: Vec::new(),
            next_reader: AtomicUsize::new(0),
            spools: Spools::none(),
        })
    }

    /// Runs `f` in one immediate write transaction; commits when it returns `Ok`.
    fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).db()?;
        let out = f(&tx)?;
        tx.commit().db()?;
        Ok(out)
    }

    /// As [`SqliteStore::write`], but the commit does not wait for the disk: it becomes durable
    /// with the next commit that does. Only for a running build's progress (see the module docs).
    fn write_unflushed<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = lock(&self.writer);
        // SQLite refuses to change this inside a transaction.
        conn.pragma_update(None, "synchronous", "NORMAL").db()?;
        let out = (|| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).db()?;
            let out = f(&tx)?;
            tx.commit().db()?;
            Ok(out)
        })();
        let restored = conn.pragma_update(None, "synchronous", "FULL").db();
        let out = out?;
        restored?;
        Ok(out)
    }

    /// Runs `f` in one read transaction, so multi-statement reads see one snapshot.
    fn read<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.reader();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred).db()?;
        let out = f(&tx)?;
        // Only ends the snapshot: nothing was written.
        tx.commit().db()?;
        Ok(out)
    }

    /// A free read connection if there is one, else wait on one in turn.
    fn reader(&self) -> MutexGuard<'_, Connection> {
        if self.readers.is_empty() {
            return lock(&self.writer);
        }
        for reader in &self.readers {
            match reader.try_lock() {
                Ok(guard) => return guard,
                Err(TryLockError::Poisoned(poisoned)) => return poisoned.into_inner(),
                Err(TryLockError::WouldBlock) => {}
            }
        }
        let turn = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        // `turn` is always in range; fall back to the writer rather than index-panic.
        match self.readers.get(turn) {
            Some(reader) => lock(reader),
            None => lock(&self.writer),
        }
    }
}

/// Per-connection settings (SQLite does not persist these).
fn configure(conn: &Connection) -> Result<()> {
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.busy_timeout(BUSY_TIMEOUT).db()?;
    conn.pragma_update(None, "foreign_keys", true).db()?;
    conn.pragma_update(None, "synchronous", "FULL").db()?;
    // Plans that do not depend on bound values. Otherwise SQLite marks statements whose plan
    // looked at a value (a range, with STAT4) to be prepared again whenever it is rebound,
    // and rusqlite clears the bindings of every cached statement: the hottest reads were
    // compiled anew on every call.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true).db()?;
    Ok(())
}

/// `create_dir_all`, then fsyncs the parent of every directory it created so the new entries
/// survive power loss.
fn create_dirs_durably(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let parent = parent_dir(dir);
    create_dirs_durably(parent)?;
    match std::fs::create_dir(dir) {
        Ok(()) => sync_dir(parent),
        // Another process won the race; it is there either way.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// The directory holding `path` (`.` for a bare file name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

impl Store for SqliteStore {
    fn create_project(&self, project: &ProjectRecord) -> Result<()> {
        self.write(|tx| projects::create(tx, project))
    }

    fn update_project(&self, project: &ProjectRecord) -> Result<()> {
        self.write(|tx| projects::update(tx, project))
    }

    fn delete_project(&self, name: &str) -> Result<bool> {
        self.write(|tx| projects::delete(tx, name))
    }

    fn get_project(&self, name: &str) -> Result<Option<ProjectRecord>> {
        self.read(|tx| projects::get(tx, name))
    }

    fn get_projects(&self, names: &[String]) -> Result<Vec<ProjectRecord>> {
        self.read(|tx| projects::get_many(tx, names))
    }

    fn list_projects(
        &self,
        sort: ProjectSort,
        order: Order,
        token: Option<&str>,
        limit: usize,
    ) -> Result<Page<String>> {
        self.read(|tx| projects::list(tx, sort, order, token, limit))
    }

    fn insert_build(
        &self,
        build: &BuildRecord,
        doc_with_number: &dyn Fn(i64) -> String,
        idempotency: Option<&IdempotencyRecord>,
    ) -> Result<BuildRecord> {
        self.write(|tx| builds::insert(tx, build, doc_with_number, idempotency))
    }

    fn get_build(&self, id: &str) -> Result<Option<BuildRecord>> {
        self.read(|tx| builds::get(tx, id))
    }

    fn get_builds(&self, ids: &[String]) -> Result<Vec<BuildRecord>> {
        self.read(|tx| builds::get_many(tx, ids))
    }

    fn update_build(&self, id: &str, change: &mut dyn FnMut(&mut BuildRecord)) -> Result<Option<BuildRecord>> {
        self.write(|tx| builds::update(tx, id, change))
    }

    fn record_progress(&self, id: &str, change: &mut dyn FnMut(&mut String)) -> Result<Option<BuildRecord>> {
        self.write_unflushed(|tx| {
            if builds::state_of(tx, id)? != Some(BuildState::Running) {
                return Ok(None);
            }
            builds::update(tx, id, &mut |record| change(&mut record.doc))
        })
    }

    fn delete_builds(&self, ids: &[String]) -> Result<Vec<String>> {
        let deleted = self.write(|tx| builds::delete_many(tx, ids))?;
        for id in &deleted {
            self.spools.remove(id);
        }
        Ok(deleted)
    }

    fn list_builds(&self, order: Order, token: Option<&str>, limit: usize) -> Result<Page<String>> {
        self.read(|tx| builds::list(tx, order, token, limit))
    }

    fn list_builds_for_project(
        &self,
        project: &str,
        order: Order,
        token: Option<&str>,
        limit: usize,
    ) -> Result<Page<String>> {
        self.read(|tx| builds::list_for_project(tx, project, order, token, limit))
    }

    fn builds_in_state(&self, state: BuildState, limit: usize) -> Result<Vec<BuildRecord>> {
        self.read(|tx| builds::in_state(tx, state, limit))
    }

    fn count_builds_in_state(&self, state: BuildState, at_most: usize) -> Result<usize> {
        self.read(|tx| builds::count_in_state(tx, state, at_most))
    }

    fn active_builds_of_project(&self, project: &str) -> Result<usize> {
        self.read(|tx| builds::active_count(tx, project))
    }

    fn build_counts(&self) -> Result<Vec<BuildCount>> {
        self.read(|tx| builds::counts(tx))
    }

    fn find_idempotency(&self, token: &str, not_before_ms: i64) -> Result<Option<IdempotencyRecord>> {
        self.read(|tx| builds::find_idempotency(tx, token, not_before_ms))
    }

    fn purge_idempotency(&self, before_ms: i64) -> Result<usize> {
        self.write(|tx| builds::purge_idempotency(tx, before_ms))
    }

    fn append_log(&self, build_id: &str, events: &[LogEvent]) -> Result<i64> {
        self.write(|tx| logs::append(tx, build_id, events))
    }

    fn append_log_lines(&self, build_id: &str, batches: &[LogLines]) -> Result<i64> {
        // Outside the write lock: syncing a large file must not hold up other writers.
        if batches.iter().any(|b| matches!(b.text, LogText::Spooled { .. })) {
            self.spools.sync(build_id)?;
        }
        let appended = self.write_unflushed(|tx| {
            if builds::state_of(tx, build_id)? != Some(BuildState::Running) {
                return Ok(None);
            }
            logs::append_lines(tx, build_id, batches).map(Some)
        })?;
        match appended {
            Some(first) => Ok(first),
            None => self.write(|tx| logs::append_lines(tx, build_id, batches)),
        }
    }

    fn log_spool(&self, build_id: &str) -> Result<Option<std::path::PathBuf>> {
        self.spools.create(build_id)
    }

    fn recover_spool(&self, build_id: &str) -> Result<u64> {
        let indexed = self.read(|tx| logs::spooled_end(tx, build_id))?;
        let Some(tail) = self.spools.tail(build_id, indexed)? else { return Ok(0) };
        let lines = vec![LogLines {
            timestamp_ms: tail.modified_ms,
            ingestion_ms: crate::now_ms(),
            text: LogText::Spooled { offset: indexed, len: tail.len, lines: tail.lines },
        }];
        self.append_log_lines(build_id, &lines)?;
        Ok(tail.lines)
    }

    fn read_log(&self, build_id: &str, query: &LogQuery) -> Result<Vec<LogEvent>> {
        self.read(|tx| logs::read(tx, &self.spools, build_id, query))
    }

    fn log_len(&self, build_id: &str) -> Result<i64> {
        self.read(|tx| logs::len(tx, build_id))
    }

    fn log_groups(&self) -> Result<Vec<LogGroupInfo>> {
        self.read(|tx| log_search::groups(tx))
    }

    fn log_streams(&self, project: &str) -> Result<Vec<LogStreamInfo>> {
        self.read(|tx| log_search::streams(tx, project))
    }

    fn scan_logs(&self, scan: &LogScan, visit: &mut dyn FnMut(ScannedEvent) -> bool) -> Result<()> {
        self.read(|tx| log_search::scan(tx, &self.spools, scan, visit))
    }

    fn put_parameter(
        &self,
        parameter: &ParameterRecord,
        overwrite: bool,
        keep_versions: usize,
    ) -> Result<ParameterRecord> {
        self.write(|tx| parameters::put(tx, parameter, overwrite, keep_versions))
    }

    fn get_parameter(&self, name: &str, version: Option<i64>) -> Result<Option<ParameterRecord>> {
        self.read(|tx| parameters::get(tx, name, version))
    }

    fn delete_parameters(&self, names: &[String]) -> Result<Vec<String>> {
        self.write(|tx| parameters::delete_many(tx, names))
    }

    fn list_parameters(&self, prefix: &str, token: Option<&str>, limit: usize) -> Result<Page<ParameterRecord>> {
        self.read(|tx| parameters::list(tx, prefix, token, limit))
    }

    fn create_secret(&self, secret: &SecretRecord, first_version: Option<&SecretVersionRecord>) -> Result<()> {
        self.write(|tx| secrets::create(tx, secret, first_version))
    }

    fn get_secret(&self, name: &str) -> Result<Option<SecretRecord>> {
        self.read(|tx| secrets::get(tx, name))
    }

    fn get_secret_by_arn(&self, arn: &str) -> Result<Option<SecretRecord>> {
        self.read(|tx| secrets::get_by_arn(tx, arn))
    }

    fn update_secret(&self, secret: &SecretRecord) -> Result<()> {
        self.write(|tx| secrets::update(tx, secret))
    }

    fn delete_secret(&self, name: &str) -> Result<bool> {
        self.write(|tx| secrets::delete(tx, name))
    }

    fn list_secrets(&self, include_scheduled: bool, token: Option<&str>, limit: usize) -> Result<Page<SecretRecord>> {
        self.read(|tx| secrets::list(tx, include_scheduled, token, limit))
    }

    fn secret_versions(&self, name: &str) -> Result<Vec<SecretVersionRecord>> {
        self.read(|tx| secrets::versions(tx, name))
    }

    fn put_secret_version(
        &self,
        name: &str,
        version: &SecretVersionRecord,
        modified_ms: i64,
        keep_unlabelled: usize,
    ) -> Result<()> {
        self.write(|tx| secrets::put_version(tx, name, version, modified_ms, keep_unlabelled))
    }

    fn create_report_group(&self, group: &ReportGroupRecord, max_per_project: usize) -> Result<()> {
        self.write(|tx| report_groups::create(tx, group, max_per_project))
    }

    fn update_report_group(&self, group: &ReportGroupRecord) -> Result<()> {
        self.write(|tx| report_groups::update(tx, group))
    }

    fn get_report_group(&self, arn: &str) -> Result<Option<ReportGroupRecord>> {
        self.read(|tx| report_groups::get(tx, arn))
    }

    fn get_report_groups(&self, arns: &[String]) -> Result<Vec<ReportGroupRecord>> {
        self.read(|tx| report_groups::get_many(tx, arns))
    }

    fn delete_report_group(&self, arn: &str, with_reports: bool) -> Result<GroupDeletion> {
        self.write(|tx| report_groups::delete(tx, arn, with_reports))
    }

    fn list_report_groups(
        &self,
        sort: ReportGroupSort,
        order: Order,
        token: Option<&str>,
        limit: usize,
    ) -> Result<Page<String>> {
        self.read(|tx| report_groups::list(tx, sort, order, token, limit))
    }

    fn insert_report(&self, report: &ReportRecord, cases: &[TestCaseRecord]) -> Result<()> {
        self.write(|tx| reports::insert(tx, report, cases))
    }

    fn get_report(&self, arn: &str) -> Result<Option<ReportRecord>> {
        self.read(|tx| reports::get(tx, arn))
    }

    fn get_reports(&self, arns: &[String]) -> Result<Vec<ReportRecord>> {
        self.read(|tx| reports::get_many(tx, arns))
    }

    fn delete_report(&self, arn: &str) -> Result<bool> {
        self.write(|tx| reports::delete(tx, arn))
    }

    fn list_reports(
        &self,
        query: &ReportQuery,
        order: Order,
        token: Option<&str>,
        limit: usize,
    ) -> Result<Page<String>> {
        self.read(|tx| reports::list(tx, query, order, token, limit))
    }

    fn list_test_cases(
        &self,
        report_arn: &str,
        query: &TestCaseQuery,
        token: Option<&str>,
        limit: usize,
    ) -> Result<Page<TestCaseRecord>> {
        self.read(|tx| reports::list_cases(tx, report_arn, query, token, limit))
    }

    fn purge_reports(&self, before_ms: i64) -> Result<usize> {
        self.write(|tx| reports::purge(tx, before_ms))
    }

    fn put_rule(&self, rule: &RuleRecord) -> Result<RuleRecord> {
        self.write(|tx| events::put_rule(tx, rule))
    }

    fn update_rule(&self, rule: &RuleRecord) -> Result<()> {
        self.write(|tx| events::update_rule(tx, rule))
    }

    fn get_rule(&self, event_bus: &str, name: &str) -> Result<Option<RuleRecord>> {
        self.read(|tx| events::get_rule(tx, event_bus, name))
    }

    fn delete_rule(&self, event_bus: &str, name: &str) -> Result<RuleDeletion> {
        self.write(|tx| events::delete_rule(tx, event_bus, name))
    }

    fn list_rules(&self, event_bus: &str, prefix: &str, token: Option<&str>, limit: usize) -> Result<Page<RuleRecord>> {
        self.read(|tx| events::list_rules(tx, event_bus, prefix, token, limit))
    }

    fn enabled_rules(&self, event_bus: &str) -> Result<Vec<RuleRecord>> {
        self.read(|tx| events::enabled_rules(tx, event_bus))
    }

    fn put_targets(&self, event_bus: &str, rule: &str, targets: &[TargetRecord], max_per_rule: usize) -> Result<()> {
        self.write(|tx| events::put_targets(tx, event_bus, rule, targets, max_per_rule))
    }

    fn remove_targets(&self, event_bus: &str, rule: &str, ids: &[String]) -> Result<Vec<String>> {
        self.write(|tx| events::remove_targets(tx, event_bus, rule, ids))
    }

    fn list_targets(
        &self,
        event_bus: &str,
        rule: &str,
        token: Option<&str>,
        limit: usize,
    ) -> Result<Page<TargetRecord>> {
        self.read(|tx| events::list_targets(tx, event_bus, rule, token, limit))
    }

    fn record_invocation(&self, invocation: &InvocationRecord, keep: usize) -> Result<i64> {
        self.write(|tx| events::record_invocation(tx, invocation, keep))
    }

    fn invocations(&self, before: Option<i64>, limit: usize) -> Result<Vec<InvocationRecord>> {
        self.read(|tx| events::invocations(tx, before, limit))
    }

    fn create_webhook(&self, webhook: &WebhookRecord) -> Result<()> {
        self.write(|tx| webhooks::create(tx, webhook))
    }

    fn update_webhook(&self, webhook: &WebhookRecord) -> Result<()> {
        self.write(|tx| webhooks::update(tx, webhook))
    }

    fn get_webhook(&self, project: &str) -> Result<Option<WebhookRecord>> {
        self.read(|tx| webhooks::get(tx, project))
    }

    fn get_webhook_by_token(&self, token: &str) -> Result<Option<WebhookRecord>> {
        self.read(|tx| webhooks::get_by_token(tx, token))
    }

    fn delete_webhook(&self, project: &str) -> Result<bool> {
        self.write(|tx| webhooks::delete(tx, project))
    }

    fn insert_delivery(&self, delivery: &DeliveryRecord, keep: usize) -> Result<DeliveryRecord> {
        self.write(|tx| webhooks::insert_delivery(tx, delivery, keep))
    }

    fn set_delivery_outcome(&self, id: &str, outcome: &DeliveryOutcome) -> Result<()> {
        self.write(|tx| webhooks::set_outcome(tx, id, outcome))
    }

    fn list_deliveries(&self, project: &str, limit: usize) -> Result<Vec<DeliveryRecord>> {
        self.read(|tx| webhooks::list_deliveries(tx, project, limit))
    }
}

/// Builds a page from `limit + 1` fetched rows: the extra row only says that more exist.
fn page<T>(
    mut rows: Vec<(T, crate::token::Cursor)>,
    limit: usize,
    listing: crate::token::Listing,
    order: Order,
) -> Page<T> {
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = match rows.last() {
        Some((_, cursor)) if more => Some(crate::token::encode(listing, order, cursor)),
        _ => None,
    };
    Page { items: rows.into_iter().map(|(item, _)| item).collect(), next }
}

/// `ASC`/`DESC` and the keyset comparison that continues after a key in that order.
fn direction(order: Order) -> (&'static str, &'static str) {
    match order {
        Order::Ascending => ("ASC", ">"),
        Order::Descending => ("DESC", "<"),
    }
}

#[cfg(test)]
mod tests;

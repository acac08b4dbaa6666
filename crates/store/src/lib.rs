//! Kiln's persistent state: projects, builds, build logs, idempotency tokens, test reports, the
//! parameters and secrets of Kiln's Parameter Store and Secrets Manager, and EventBridge rules.
//!
//! The store knows nothing of CodeBuild's rules. Projects and builds are kept as JSON documents
//! (the operation layer's `Project` and `Build` shapes) beside the few columns that queries need
//! (name, number, status, times). One trait, one conformance suite (`conformance`), so that a
//! Postgres implementation can be added later and prove itself against the same tests.
//!
//! Parameter and secret values are opaque bytes here: the operation layer seals SecureString and
//! secret values before they reach the store, so the store only ever holds their ciphertext.
//!
//! Methods are synchronous: SQLite calls take microseconds, and callers on an async runtime may
//! call them directly or through `spawn_blocking` for bulk work.

mod events;
mod reports;
mod sqlite;
mod token;
mod webhooks;

pub mod conformance;

pub use events::{InvocationRecord, RuleDeletion, RuleRecord, TargetRecord};
pub use reports::{
    GroupDeletion, ReportGroupRecord, ReportGroupSort, ReportQuery, ReportRecord, TestCaseQuery, TestCaseRecord,
};
pub use sqlite::SqliteStore;
pub use webhooks::{DeliveryOutcome, DeliveryRecord, WebhookRecord};

/// Everything that can go wrong in a store call.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} already exists")]
    AlreadyExists(String),
    #[error("{0} not found")]
    NotFound(String),
    /// A count limit the caller passed was reached; nothing was stored.
    #[error("limit reached: {0}")]
    LimitExceeded(String),
    #[error("storage error: {0}")]
    Backend(String),
    /// A paging token that this store did not issue for this listing.
    #[error("invalid pagination token: {0}")]
    InvalidToken(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A name as one path segment under the data dir: letters, digits, `-` and `_` as they are,
/// every other byte as `%XX` (so `.`, `/` and `..` cannot appear), and an empty name as `%`.
/// Spool files and LOCAL cache directories are named this way.
pub fn path_segment(name: &str) -> String {
    if name.is_empty() {
        return "%".to_string();
    }
    let mut out = String::with_capacity(name.len());
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Milliseconds since the Unix epoch, for times the store itself assigns.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A project as stored: its name, the times the list operations sort by, and the JSON document.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectRecord {
    pub name: String,
    pub created_ms: i64,
    pub modified_ms: i64,
    /// The project document (JSON text of CodeBuild's `Project` shape).
    pub doc: String,
}

/// The lifecycle state the scheduler works with. It is kept beside the build document so
/// that claims and recovery are single indexed queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildState {
    /// Accepted, waiting for a free slot.
    Queued,
    /// Claimed by an executor; it may be provisioning, fetching or running phases.
    Running,
    /// Finished, in any terminal status.
    Done,
}

impl BuildState {
    pub fn as_str(self) -> &'static str {
        match self {
            BuildState::Queued => "QUEUED",
            BuildState::Running => "RUNNING",
            BuildState::Done => "DONE",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "QUEUED" => Some(BuildState::Queued),
            "RUNNING" => Some(BuildState::Running),
            "DONE" => Some(BuildState::Done),
            _ => None,
        }
    }
}

/// A build as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildRecord {
    /// `<project>:<uuid>`.
    pub id: String,
    pub project: String,
    /// Per-project build number, assigned by `insert_build` (1, 2, 3, ...).
    pub number: i64,
    pub state: BuildState,
    /// When the build was submitted, epoch milliseconds. Queue order and list order follow it.
    pub submitted_ms: i64,
    /// Set when StopBuild was asked for; executors poll it (another process may own the build).
    pub stop_requested: bool,
    /// The build document (JSON text of CodeBuild's `Build` shape).
    pub doc: String,
    /// Settings of the build that the `Build` shape does not show (JSON, owned by the
    /// operation layer; empty when there are none). Set at insert, never changed.
    pub settings: String,
}

/// The number of builds in one state with one `buildStatus` (empty when the document has none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildCount {
    pub state: BuildState,
    pub status: String,
    pub count: u64,
}

/// Newest first or oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Ascending,
    Descending,
}

/// What to sort projects by, as ListProjects' `sortBy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectSort {
    Name,
    Created,
    Modified,
}

/// One page of a listing. `next` is an opaque token to pass back for the following page; it
/// holds the last key of the page (no server-side state), so it survives restarts. A token is
/// only valid for the listing (and sort, order and project) that issued it.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// A remembered StartBuild idempotency token.
#[derive(Debug, Clone, PartialEq)]
pub struct IdempotencyRecord {
    pub token: String,
    /// A digest of the request's parameters, to tell a retry from a conflicting reuse.
    pub request_hash: String,
    pub build_id: String,
    pub created_ms: i64,
}

/// One line of a build's log.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEvent {
    /// Position in the stream, from 0, assigned by `append_log`.
    pub seq: i64,
    pub timestamp_ms: i64,
    pub ingestion_ms: i64,
    pub message: String,
}

/// Lines of build output that arrived together: one event per line, each line ending with a
/// newline. Stored as one chunk, so a build that writes millions of lines costs a row per
/// batch, not per line.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLines {
    pub timestamp_ms: i64,
    pub ingestion_ms: i64,
    pub text: LogText,
}

/// Where the text of [`LogLines`] is.
#[derive(Debug, Clone, PartialEq)]
pub enum LogText {
    /// The lines themselves (a missing final newline is added).
    Inline(String),
    /// `lines` lines (each ending with a newline) already written at `offset..offset + len` of
    /// the build's spool file ([`Store::log_spool`]). The bytes must be there before the
    /// append; they are read back from the file.
    Spooled { offset: u64, len: u64, lines: u64 },
}

impl LogLines {
    pub fn inline(timestamp_ms: i64, ingestion_ms: i64, text: impl Into<String>) -> LogLines {
        LogLines { timestamp_ms, ingestion_ms, text: LogText::Inline(text.into()) }
    }

    /// The size of the text, wherever it is.
    pub fn bytes(&self) -> u64 {
        match &self.text {
            LogText::Inline(text) => text.len() as u64,
            LogText::Spooled { len, .. } => *len,
        }
    }
}

/// A slice of a log stream, read forwards or backwards from a position. Either way the events
/// come back in stream order (ascending `seq`): backward reads return the `limit` events that
/// come just before `from`, as CloudWatch's `GetLogEvents` does with `startFromHead=false`.
/// Time filters combine with `from`: `limit` counts only events that pass them.
#[derive(Debug, Clone, PartialEq)]
pub struct LogQuery {
    /// Read events with `seq >= from` (forward) or `seq < from` (backward).
    /// `None` means the start of the stream (forward) or its end (backward).
    pub from: Option<i64>,
    pub forward: bool,
    pub limit: usize,
    /// Only events with `timestamp_ms >= start_ms`.
    pub start_ms: Option<i64>,
    /// Only events with `timestamp_ms < end_ms`.
    pub end_ms: Option<i64>,
}

/// A project whose builds have logs: CloudWatch's log group `/aws/codebuild/<project>`.
#[derive(Debug, Clone, PartialEq)]
pub struct LogGroupInfo {
    pub project: String,
    /// When its oldest build with a log was submitted.
    pub created_ms: i64,
}

/// A build with at least one log event: a log stream.
#[derive(Debug, Clone, PartialEq)]
pub struct LogStreamInfo {
    pub build_id: String,
    /// When the build was submitted.
    pub created_ms: i64,
    /// Timestamps of the stream's first and last events (by position).
    pub first_event_ms: i64,
    pub last_event_ms: i64,
    pub last_ingestion_ms: i64,
}

/// Where a scan across streams stands: events are ordered by (timestamp, build id, seq).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LogPosition {
    pub timestamp_ms: i64,
    pub build_id: String,
    pub seq: i64,
}

/// Events of several streams, interleaved by time, as CloudWatch's `FilterLogEvents` reads them.
#[derive(Debug, Clone, PartialEq)]
pub struct LogScan {
    pub build_ids: Vec<String>,
    /// Only events ordered strictly after this position.
    pub after: Option<LogPosition>,
    pub limit: usize,
    /// Only events with `timestamp_ms >= start_ms`.
    pub start_ms: Option<i64>,
    /// Only events with `timestamp_ms < end_ms`.
    pub end_ms: Option<i64>,
}

/// One event of a scan, with the stream it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct ScannedEvent {
    pub build_id: String,
    pub event: LogEvent,
}

/// One version of a Parameter Store parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterRecord {
    pub name: String,
    /// 1, 2, 3, ... per parameter, assigned by `put_parameter`.
    pub version: i64,
    pub modified_ms: i64,
    /// The value as the operation layer keeps it (sealed for a SecureString); never interpreted.
    pub value: Vec<u8>,
    /// The rest of the version (type, description, tier, ...) as JSON; opaque to the store.
    pub doc: String,
}

/// A Secrets Manager secret, without its versions.
#[derive(Debug, Clone, PartialEq)]
pub struct SecretRecord {
    pub name: String,
    /// Unique, like the name.
    pub arn: String,
    pub created_ms: i64,
    /// When the value or the description last changed.
    pub modified_ms: i64,
    /// When a DeleteSecret with a recovery window lets the secret go; `None` when not scheduled.
    pub deletion_ms: Option<i64>,
    /// The rest (description, KMS key id, tags, ...) as JSON; opaque to the store.
    pub doc: String,
}

/// One version of a secret's value.
#[derive(Debug, Clone, PartialEq)]
pub struct SecretVersionRecord {
    pub version_id: String,
    pub created_ms: i64,
    /// Staging labels (AWSCURRENT, AWSPREVIOUS, ...), each on at most one version of a secret;
    /// empty for a deprecated version.
    pub stages: Vec<String>,
    /// The sealed value: the store never sees a secret in plaintext.
    pub value: Vec<u8>,
}

/// The staging label of a secret's current version.
pub const STAGE_CURRENT: &str = "AWSCURRENT";
/// The staging label the store moves to the version that loses [`STAGE_CURRENT`].
pub const STAGE_PREVIOUS: &str = "AWSPREVIOUS";

/// Listings take a `limit`; a `limit` of 0 returns an empty page without a token.
///
/// Methods that take a closure (`insert_build`, `update_build`) call it while holding the
/// store's write lock: the closure must not call back into the store.
pub trait Store: Send + Sync + 'static {
    // ---- projects ----
    /// Fails with `AlreadyExists` when a project of that name exists.
    fn create_project(&self, project: &ProjectRecord) -> Result<()>;
    /// Replaces the document and `modified_ms`; fails with `NotFound` when absent.
    fn update_project(&self, project: &ProjectRecord) -> Result<()>;
    /// Returns whether a project was deleted. Its builds stay (CodeBuild keeps them).
    fn delete_project(&self, name: &str) -> Result<bool>;
    fn get_project(&self, name: &str) -> Result<Option<ProjectRecord>>;
    /// The projects that exist among `names`, in the order asked (duplicates once).
    fn get_projects(&self, names: &[String]) -> Result<Vec<ProjectRecord>>;
    fn list_projects(&self, sort: ProjectSort, order: Order, token: Option<&str>, limit: usize)
    -> Result<Page<String>>;

    // ---- builds ----
    /// Stores a new build, assigning the next build number of its project (the `number` field of
    /// the argument is ignored). `doc_with_number` receives the number and returns the document
    /// to store, so the document can contain it. The returned record is what was stored.
    /// When `idempotency` is given, it is remembered in the same transaction, replacing any older
    /// record of the same token (the caller has found it expired with `find_idempotency`).
    ///
    /// Fails with `NotFound` when the project does not exist (it may have been deleted since the
    /// caller looked), and with `AlreadyExists` when a build with that id exists. A failed insert
    /// stores nothing and uses no build number. Numbers are never reused: not after builds are
    /// deleted, nor when a deleted project is created again (its numbering continues).
    fn insert_build(
        &self,
        build: &BuildRecord,
        doc_with_number: &dyn Fn(i64) -> String,
        idempotency: Option<&IdempotencyRecord>,
    ) -> Result<BuildRecord>;
    fn get_build(&self, id: &str) -> Result<Option<BuildRecord>>;
    /// The builds that exist among `ids`, in the order asked (duplicates once).
    fn get_builds(&self, ids: &[String]) -> Result<Vec<BuildRecord>>;
    /// Reads, changes and writes one build atomically. `change` gets the current record and may
    /// modify `state`, `stop_requested` and `doc`. Returns the new record, or `None` when absent.
    fn update_build(&self, id: &str, change: &mut dyn FnMut(&mut BuildRecord)) -> Result<Option<BuildRecord>>;
    /// Changes the document of a RUNNING build (its phases and fields as it runs). Returns the
    /// new record, or `None`, changing nothing, when the build is absent or not RUNNING.
    /// Unlike `update_build`, the change may become durable only with the store's next durable
    /// write: what a power cut loses is progress of a build the restart ends as FAULT anyway.
    fn record_progress(&self, id: &str, change: &mut dyn FnMut(&mut String)) -> Result<Option<BuildRecord>>;
    /// Deletes builds and their log streams; returns the ids that were deleted.
    fn delete_builds(&self, ids: &[String]) -> Result<Vec<String>>;
    /// All build ids, ordered by submission time (ties by id).
    fn list_builds(&self, order: Order, token: Option<&str>, limit: usize) -> Result<Page<String>>;
    /// A project's build ids, ordered by build number.
    fn list_builds_for_project(
        &self,
        project: &str,
        order: Order,
        token: Option<&str>,
        limit: usize,
    ) -> Result<Page<String>>;
    /// Builds in a given state, oldest submitted first.
    fn builds_in_state(&self, state: BuildState, limit: usize) -> Result<Vec<BuildRecord>>;
    /// How many builds are in `state`, counting no further than `at_most` (so a limit check
    /// costs no more than the limit, and reads no documents).
    fn count_builds_in_state(&self, state: BuildState, at_most: usize) -> Result<usize>;
    /// Number of builds of a project in `Queued` or `Running`.
    fn active_builds_of_project(&self, project: &str) -> Result<usize>;
    /// How many builds there are per state and `buildStatus` (for metrics; reads every build).
    fn build_counts(&self) -> Result<Vec<BuildCount>>;

    // ---- idempotency ----
    /// The token's record if it was stored at or after `not_before_ms`.
    fn find_idempotency(&self, token: &str, not_before_ms: i64) -> Result<Option<IdempotencyRecord>>;
    /// Forgets tokens stored before `before_ms`; returns how many. Without it the table only grows.
    fn purge_idempotency(&self, before_ms: i64) -> Result<usize>;

    // ---- logs ----
    /// Appends events to a build's log stream, assigning consecutive `seq` numbers (the
    /// argument's `seq` is ignored). Returns the seq of the first appended event (the stream's
    /// length when `events` is empty). Fails with `NotFound` when the build does not exist.
    fn append_log(&self, build_id: &str, events: &[LogEvent]) -> Result<i64>;
    /// Appends batches of lines (see [`LogLines`]), one event per line, like `append_log`.
    /// Lines of a RUNNING build may become durable only with the next durable write, as with
    /// `record_progress`.
    fn append_log_lines(&self, build_id: &str, batches: &[LogLines]) -> Result<i64>;
    /// A file on this machine that the build's output may be appended to directly (by the
    /// build agent, without passing through the server), then indexed with
    /// [`LogText::Spooled`]: the way to capture a large log at the speed of a pipe. `None`
    /// when this store keeps no such files; output then arrives as [`LogText::Inline`].
    /// The file is created if missing, and goes with the build.
    fn log_spool(&self, build_id: &str) -> Result<Option<std::path::PathBuf>> {
        let _ = build_id;
        Ok(None)
    }
    /// Indexes, as one batch, the whole lines a build's spool file holds past its last indexed
    /// batch: output an agent wrote but could not report (it was killed, or the server was).
    /// Their time is the file's last change. Returns how many lines; 0 without spool files.
    fn recover_spool(&self, build_id: &str) -> Result<u64> {
        let _ = build_id;
        Ok(0)
    }
    fn read_log(&self, build_id: &str, query: &LogQuery) -> Result<Vec<LogEvent>>;
    /// Number of events in a stream (0 for an unknown build).
    fn log_len(&self, build_id: &str) -> Result<i64>;
    /// Projects with at least one build that has log events, by name.
    fn log_groups(&self) -> Result<Vec<LogGroupInfo>>;
    /// A project's builds that have log events, by build id.
    fn log_streams(&self, project: &str) -> Result<Vec<LogStreamInfo>>;
    /// Hands `visit` the given builds' events in (timestamp, build id, seq) order, at most
    /// `scan.limit` of them, until it returns false. Unknown ids read as empty. One query feeds
    /// the whole scan, so a caller that filters need not re-run it batch by batch.
    fn scan_logs(&self, scan: &LogScan, visit: &mut dyn FnMut(ScannedEvent) -> bool) -> Result<()>;

    // ---- parameters ----
    /// Stores a new version of a parameter: version 1 for a new name, else the latest + 1 (the
    /// argument's `version` is ignored). Fails with `AlreadyExists` when the parameter exists and
    /// `overwrite` is false. Only the newest `keep_versions` versions are kept (at least one).
    /// Returns what was stored.
    fn put_parameter(
        &self,
        parameter: &ParameterRecord,
        overwrite: bool,
        keep_versions: usize,
    ) -> Result<ParameterRecord>;
    /// One version of a parameter, or its latest when `version` is `None`.
    fn get_parameter(&self, name: &str, version: Option<i64>) -> Result<Option<ParameterRecord>>;
    /// Deletes parameters with all their versions; returns the names that existed, in the order
    /// asked (duplicates once). A deleted name starts again at version 1.
    fn delete_parameters(&self, names: &[String]) -> Result<Vec<String>>;
    /// The latest version of every parameter whose name starts with `prefix`, by name.
    fn list_parameters(&self, prefix: &str, token: Option<&str>, limit: usize) -> Result<Page<ParameterRecord>>;

    // ---- secrets ----
    /// Stores a new secret, with its first version when there is one. Fails with `AlreadyExists`
    /// when a secret has that name or ARN.
    fn create_secret(&self, secret: &SecretRecord, first_version: Option<&SecretVersionRecord>) -> Result<()>;
    fn get_secret(&self, name: &str) -> Result<Option<SecretRecord>>;
    fn get_secret_by_arn(&self, arn: &str) -> Result<Option<SecretRecord>>;
    /// Replaces `modified_ms`, `deletion_ms` and `doc` (name, ARN and creation time are fixed);
    /// fails with `NotFound` when absent.
    fn update_secret(&self, secret: &SecretRecord) -> Result<()>;
    /// Deletes a secret and its versions; returns whether it existed.
    fn delete_secret(&self, name: &str) -> Result<bool>;
    /// Secrets by name; those scheduled for deletion only when `include_scheduled`.
    fn list_secrets(&self, include_scheduled: bool, token: Option<&str>, limit: usize) -> Result<Page<SecretRecord>>;
    /// A secret's versions, oldest first.
    fn secret_versions(&self, name: &str) -> Result<Vec<SecretVersionRecord>>;
    /// Adds a version and sets the secret's `modified_ms`, atomically. Each of the version's
    /// stages leaves the version that had it; when it takes [`STAGE_CURRENT`] from another
    /// version, that version gets [`STAGE_PREVIOUS`] (unless the new version takes that too).
    /// Versions left without a stage beyond the newest `keep_unlabelled` are dropped.
    /// Fails with `NotFound` when the secret is absent, `AlreadyExists` when the version id is
    /// taken.
    fn put_secret_version(
        &self,
        name: &str,
        version: &SecretVersionRecord,
        modified_ms: i64,
        keep_unlabelled: usize,
    ) -> Result<()>;

    // ---- report groups ----
    /// Stores a new report group. Fails with `AlreadyExists` when a group has that name or ARN,
    /// and, when `group.project` is set, with `LimitExceeded` when that project already has
    /// `max_per_project` groups (checked in the same transaction, so racing creators cannot
    /// pass the limit together).
    fn create_report_group(&self, group: &ReportGroupRecord, max_per_project: usize) -> Result<()>;
    /// Replaces `modified_ms` and `doc`; fails with `NotFound` when absent.
    fn update_report_group(&self, group: &ReportGroupRecord) -> Result<()>;
    fn get_report_group(&self, arn: &str) -> Result<Option<ReportGroupRecord>>;
    /// The groups that exist among `arns`, in the order asked (duplicates once).
    fn get_report_groups(&self, arns: &[String]) -> Result<Vec<ReportGroupRecord>>;
    /// Deletes a group. A group with reports is only deleted when `with_reports`, and then its
    /// reports and their test cases go with it, atomically.
    fn delete_report_group(&self, arn: &str, with_reports: bool) -> Result<GroupDeletion>;
    /// Group ARNs, sorted by name or by a time (ties by name).
    fn list_report_groups(
        &self,
        sort: ReportGroupSort,
        order: Order,
        token: Option<&str>,
        limit: usize,
    ) -> Result<Page<String>>;

    // ---- reports ----
    /// Stores a report and its test cases, which get the report's ARN and their position as
    /// `seq` (the arguments' values are ignored). Fails with `NotFound` when the report's group
    /// is absent and `AlreadyExists` when a report has that ARN; then nothing is stored.
    fn insert_report(&self, report: &ReportRecord, cases: &[TestCaseRecord]) -> Result<()>;
    fn get_report(&self, arn: &str) -> Result<Option<ReportRecord>>;
    /// The reports that exist among `arns`, in the order asked (duplicates once).
    fn get_reports(&self, arns: &[String]) -> Result<Vec<ReportRecord>>;
    /// Deletes a report and its test cases; returns whether it existed.
    fn delete_report(&self, arn: &str) -> Result<bool>;
    /// Report ARNs by creation time (ties by ARN). A token is only valid for the query and
    /// order that issued it.
    fn list_reports(
        &self,
        query: &ReportQuery,
        order: Order,
        token: Option<&str>,
        limit: usize,
    ) -> Result<Page<String>>;
    /// A report's test cases by `seq` (none for an unknown report). A token is only valid for
    /// the report and query that issued it.
    fn list_test_cases(
        &self,
        report_arn: &str,
        query: &TestCaseQuery,
        token: Option<&str>,
        limit: usize,
    ) -> Result<Page<TestCaseRecord>>;
    /// Deletes the reports created before `before_ms`, with their test cases; returns how many.
    fn purge_reports(&self, before_ms: i64) -> Result<usize>;

    // ---- EventBridge rules, targets and invocations ----
    /// Creates the rule, or replaces an existing one's ARN, `enabled`, `modified_ms` and document
    /// (its `created_ms` and its targets stay). Returns what is stored.
    fn put_rule(&self, rule: &RuleRecord) -> Result<RuleRecord>;
    /// Replaces an existing rule's ARN, `enabled`, `modified_ms` and document; fails with
    /// `NotFound` when absent (it never creates one).
    fn update_rule(&self, rule: &RuleRecord) -> Result<()>;
    fn get_rule(&self, event_bus: &str, name: &str) -> Result<Option<RuleRecord>>;
    /// Deletes a rule only when it has no targets.
    fn delete_rule(&self, event_bus: &str, name: &str) -> Result<RuleDeletion>;
    /// A bus's rules whose names start with `prefix`, by name.
    fn list_rules(&self, event_bus: &str, prefix: &str, token: Option<&str>, limit: usize) -> Result<Page<RuleRecord>>;
    /// Every enabled rule of a bus, by name.
    fn enabled_rules(&self, event_bus: &str) -> Result<Vec<RuleRecord>>;
    /// Adds targets to a rule, replacing those with the same id, atomically. Fails with `NotFound`
    /// when the rule is absent and with `LimitExceeded` when the rule would end up with more than
    /// `max_per_rule` targets; then nothing is stored.
    fn put_targets(&self, event_bus: &str, rule: &str, targets: &[TargetRecord], max_per_rule: usize) -> Result<()>;
    /// Removes a rule's targets by id; returns the ids that existed. Fails with `NotFound` when
    /// the rule is absent.
    fn remove_targets(&self, event_bus: &str, rule: &str, ids: &[String]) -> Result<Vec<String>>;
    /// A rule's targets by id (none for an absent rule).
    fn list_targets(
        &self,
        event_bus: &str,
        rule: &str,
        token: Option<&str>,
        limit: usize,
    ) -> Result<Page<TargetRecord>>;
    /// Appends to the invocation record, keeping only the newest `keep` (at least one); returns
    /// the new record's `seq`.
    fn record_invocation(&self, invocation: &InvocationRecord, keep: usize) -> Result<i64>;
    /// Invocations newest first, those with `seq < before` when given.
    fn invocations(&self, before: Option<i64>, limit: usize) -> Result<Vec<InvocationRecord>>;

    // ---- webhooks and their deliveries ----
    /// Stores a project's webhook. Fails with `NotFound` when the project does not exist and
    /// with `AlreadyExists` when it has a webhook or the token is taken.
    fn create_webhook(&self, webhook: &WebhookRecord) -> Result<()>;
    /// Replaces the token, secret, `modified_ms` and document; fails with `NotFound` when the
    /// project has no webhook.
    fn update_webhook(&self, webhook: &WebhookRecord) -> Result<()>;
    fn get_webhook(&self, project: &str) -> Result<Option<WebhookRecord>>;
    fn get_webhook_by_token(&self, token: &str) -> Result<Option<WebhookRecord>>;
    /// Returns whether the project had a webhook. Its deliveries stay.
    fn delete_webhook(&self, project: &str) -> Result<bool>;
    /// Stores a delivery and keeps only the newest `keep` (at least one) of its project. When
    /// its outcome claims its delivery id ([`DeliveryOutcome::claims`]) and an earlier delivery
    /// of the project holds that id, it is stored as `Duplicate(<earlier id>)` instead, in the
    /// same transaction. Returns what was stored; fails with `AlreadyExists` when the id is taken.
    fn insert_delivery(&self, delivery: &DeliveryRecord, keep: usize) -> Result<DeliveryRecord>;
    /// Sets a delivery's outcome; fails with `NotFound` when absent.
    fn set_delivery_outcome(&self, id: &str, outcome: &DeliveryOutcome) -> Result<()>;
    /// A project's deliveries, newest first.
    fn list_deliveries(&self, project: &str, limit: usize) -> Result<Vec<DeliveryRecord>>;
}

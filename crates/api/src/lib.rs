//! The operation layer: one handler per CodeBuild (and CloudWatch Logs, Parameter Store,
//! Secrets Manager and EventBridge) operation, applying each service's rules on typed inputs
//! from `kiln-model` and calling the store.
//!
//! It knows nothing of HTTP, JSON or CBOR (that is `kiln-wire`), nor of how builds run (that is
//! `kiln-executor`): starting a build stores it QUEUED and wakes the scheduler through the
//! [`Scheduler`] trait.

mod builds;
pub mod cache;
mod encoded_builds;
mod error;
pub mod events;
pub mod lifecycle;
pub mod logs;
mod names;
mod projects;
mod reports;
pub mod resolve;
mod secondary;
mod secrets;
pub mod settings;
mod ssm;
#[cfg(test)]
mod testing;
pub mod vault;
pub mod webhooks;

use std::sync::Arc;

pub use error::ApiError;
use kiln_store::Store;
pub use names::QUEUED_TIMEOUT_MINUTES;
pub use reports::NewReport;

/// Settings the operations need: where Kiln pretends to be.
#[derive(Debug, Clone)]
pub struct Config {
    pub region: String,
    pub account_id: String,
    /// Builds that may run at once (CodeBuild's account-level concurrency).
    pub concurrency: usize,
    /// Builds that may wait in the queue (CodeBuild: five times the concurrency).
    pub max_queued: usize,
    /// Seals SecureString parameters and secret values before they reach the store.
    pub vault: Arc<vault::Vault>,
}

impl Config {
    pub fn project_arn(&self, name: &str) -> String {
        format!("arn:aws:codebuild:{}:{}:project/{}", self.region, self.account_id, name)
    }

    pub fn build_arn(&self, build_id: &str) -> String {
        format!("arn:aws:codebuild:{}:{}:build/{}", self.region, self.account_id, build_id)
    }

    pub fn parameter_arn(&self, name: &str) -> String {
        ssm::parameter_arn(&self.region, &self.account_id, name)
    }
}

/// What the operations need from whoever runs builds.
pub trait Scheduler: Send + Sync + 'static {
    /// A build was queued (or a slot may have freed): look at the queue.
    fn wake(&self);
    /// StopBuild was asked for a running build (the store already records the request).
    fn stop(&self, build_id: &str);
    /// Blocks until the build is no longer running here, or `timeout` passes.
    fn wait_until_finished(&self, build_id: &str, timeout: std::time::Duration);
}

/// Who is calling: recorded as the build's `initiator`.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    /// The access key id the request was signed with, when there was a signature.
    pub access_key_id: Option<String>,
}

/// The operations, over one store and one scheduler.
#[derive(Clone)]
pub struct Api {
    pub store: Arc<dyn Store>,
    pub scheduler: Arc<dyn Scheduler>,
    pub config: Config,
    /// Serialises StartBuild/RetryBuild calls that carry an idempotency token, so that two
    /// concurrent calls with one token cannot both start a build.
    idempotency: Arc<std::sync::Mutex<()>>,
    /// The last submission time handed out: submissions get strictly increasing times, so that
    /// ListBuilds orders builds started within one millisecond as they were started.
    last_submission_ms: Arc<std::sync::atomic::AtomicI64>,
    /// Where build caches are kept, for InvalidateProjectCache ([`Api::with_caches`]).
    caches: Option<cache::CacheStorage>,
    /// The URL providers reach Kiln at, for webhooks' payload URLs ([`Api::with_public_url`]).
    public_url: Arc<str>,
    /// BatchGetBuilds' CBOR of documents polled before.
    encoded_builds: Arc<encoded_builds::EncodedBuilds>,
}

impl Api {
    pub fn new(store: Arc<dyn Store>, scheduler: Arc<dyn Scheduler>, config: Config) -> Self {
        Api {
            store,
            scheduler,
            config,
            idempotency: Arc::default(),
            last_submission_ms: Arc::default(),
            caches: None,
            public_url: Arc::from(webhooks::DEFAULT_PUBLIC_URL),
            encoded_builds: Arc::default(),
        }
    }
}

impl Api {
    /// Now, or one millisecond after the previous submission if that is later.
    pub(crate) fn next_submission_ms(&self) -> i64 {
        use std::sync::atomic::Ordering;
        let now = now_ms();
        let previous = self
            .last_submission_ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |last| Some(now.max(last + 1)))
            .unwrap_or(now);
        now.max(previous + 1)
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

//! An `Api` over an in-memory store, for the operation layer's unit tests.

use std::sync::Arc;

use crate::vault::Vault;
use crate::{Api, Config, Scheduler};

struct NoScheduler;

impl Scheduler for NoScheduler {
    fn wake(&self) {}
    fn stop(&self, _build_id: &str) {}
    fn wait_until_finished(&self, _build_id: &str, _timeout: std::time::Duration) {}
}

pub(crate) fn config() -> Config {
    Config {
        region: "us-east-1".to_string(),
        account_id: "000000000000".to_string(),
        concurrency: 1,
        max_queued: 5,
        vault: Arc::new(Vault::ephemeral().expect("vault")),
    }
}

pub(crate) fn api() -> Api {
    let store = kiln_store::SqliteStore::open_in_memory().expect("store");
    Api::new(Arc::new(store), Arc::new(NoScheduler), config())
}

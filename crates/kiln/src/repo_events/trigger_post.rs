//! Delivery in the CodeCommit trigger format: each record POSTed as JSON to a configured URL,
//! as triggers deliver to Lambda and SNS. Best effort: bounded by a timeout, failures logged.

use std::time::Duration;

use anyhow::bail;
use serde_json::Value;

/// How long one delivery may take, connection included.
const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub struct TriggerPost {
    url: String,
    agent: ureq::Agent,
}

impl TriggerPost {
    /// A destination `http://host[:port]/path`.
    pub fn new(url: &str) -> anyhow::Result<Self> {
        let Some(rest) = url.strip_prefix("http://") else {
            bail!("--codecommit-trigger-url must be an http:// URL, not {url:?}");
        };
        if rest.is_empty() || rest.starts_with('/') {
            bail!("--codecommit-trigger-url {url:?} names no host");
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(TIMEOUT))
            .user_agent(concat!("kiln/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Ok(TriggerPost { url: url.to_string(), agent })
    }

    /// Sends `payload` in the background: nothing that publishes events waits for it.
    pub fn send(&self, payload: Value) {
        let this = self.clone();
        tokio::task::spawn_blocking(move || match this.post(&payload) {
            Ok(()) => tracing::info!("delivered a CodeCommit trigger record to {}", this.url),
            Err(e) => tracing::warn!("CodeCommit trigger delivery to {} failed: {e}", this.url),
        });
    }

    fn post(&self, payload: &Value) -> anyhow::Result<()> {
        let body = serde_json::to_vec(payload)?;
        let response = self.agent.post(&self.url).content_type("application/json").send(&body[..])?;
        let status = response.status();
        if !status.is_success() {
            bail!("the endpoint answered {status}");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls_with_a_host() {
        assert!(TriggerPost::new("http://127.0.0.1:9000/hook").is_ok());
        for bad in ["https://example.com/", "ftp://x", "http://", "http:///path", "127.0.0.1:9000"] {
            assert!(TriggerPost::new(bad).is_err(), "{bad}");
        }
    }
}

//! Polling configured remotes with `git ls-remote`: each interval's branches and tags are
//! compared with the last ones seen, and the differences become repository events.
//!
//! What was seen lives in memory only: the first successful poll of a remote (after every
//! start of the server) records its refs and publishes nothing.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use kiln_triggers::codecommit::ls_remote::{self, Snapshot};
use tokio::process::Command;

use super::RepoEvents;

/// How long one `git ls-remote` may take before the poll counts as failed.
const LS_REMOTE_TIMEOUT: Duration = Duration::from_secs(60);

/// `NAME=URL`: events about the remote at URL name repository NAME.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedRemote {
    pub name: String,
    pub url: String,
}

impl WatchedRemote {
    pub fn parse(spec: &str) -> anyhow::Result<Self> {
        let Some((name, url)) = spec.split_once('=') else {
            bail!("--watch-repo {spec:?}: expected NAME=URL");
        };
        let (name, url) = (name.trim(), url.trim());
        kiln_triggers::codecommit::Repository::new(name, "-", "-").map_err(|e| anyhow::anyhow!("--watch-repo: {e}"))?;
        if url.is_empty() || url.starts_with('-') {
            bail!("--watch-repo {spec:?}: {url:?} is not a git URL");
        }
        Ok(WatchedRemote { name: name.to_string(), url: url.to_string() })
    }
}

/// Starts one polling task per remote; they end with the runtime.
pub fn spawn(remotes: Vec<WatchedRemote>, interval: Duration, events: Arc<RepoEvents>) {
    for remote in remotes {
        tokio::spawn(poll(remote, interval, events.clone()));
    }
}

async fn poll(remote: WatchedRemote, interval: Duration, events: Arc<RepoEvents>) {
    let repo = match events.repository(&remote.name) {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("--watch-repo {}: {e}", remote.name);
            return;
        }
    };
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut seen: Option<Snapshot> = None;
    loop {
        ticks.tick().await;
        let now = match ls_remote(&remote.url).await {
            Ok(refs) => refs,
            Err(e) => {
                // Keep what was seen: the next good poll reports everything since.
                tracing::warn!("polling repository {} ({}) failed: {e:#}", remote.name, remote.url);
                continue;
            }
        };
        match &seen {
            None => tracing::info!(
                "watching repository {} ({}): {} branches and tags; changes from now on publish repository events",
                remote.name,
                remote.url,
                now.len()
            ),
            Some(before) => {
                let changes = ls_remote::diff(before, &now);
                if !changes.is_empty() {
                    events.publish(&repo, &changes, None).await;
                }
            }
        }
        seen = Some(now);
    }
}

/// The remote's branches and tags, peeled.
async fn ls_remote(url: &str) -> anyhow::Result<Snapshot> {
    let mut command = Command::new("git");
    command
        .args(["ls-remote", "--", url, "refs/heads/*", "refs/tags/*"])
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let out = tokio::time::timeout(LS_REMOTE_TIMEOUT, command.output())
        .await
        .map_err(|_| anyhow::anyhow!("git ls-remote gave no answer within {}s", LS_REMOTE_TIMEOUT.as_secs()))?
        .context("running git ls-remote")?;
    if !out.status.success() {
        bail!("git ls-remote failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(ls_remote::parse(&String::from_utf8_lossy(&out.stdout))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs() {
        let r = WatchedRemote::parse("MyRepo=https://git.example.com/a=b.git").unwrap();
        assert_eq!((r.name.as_str(), r.url.as_str()), ("MyRepo", "https://git.example.com/a=b.git"));
        for bad in ["MyRepo", "=url", "my repo=url", "MyRepo=", "MyRepo=--upload-pack=x"] {
            assert!(WatchedRemote::parse(bad).is_err(), "{bad}");
        }
    }
}

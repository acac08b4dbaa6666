//! Repository changes inside the server: each branch or tag change becomes a "CodeCommit
//! Repository State Change" event on Kiln's event bus (so rules fire), and each batch of
//! changes one CodeCommit trigger record POSTed to `--codecommit-trigger-url`, when set.

pub mod trigger_post;
pub mod watch;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use kiln_api::Api;
use kiln_triggers::codecommit::event::{self, DETAIL_TYPE, SOURCE};
use kiln_triggers::codecommit::trigger::{self, Delivery, Trigger};
use kiln_triggers::codecommit::{Error, RefChange, Repository, StateChange};
use serde_json::Value;
use trigger_post::TriggerPost;

use crate::cli::ServeArgs;

/// Sets repository events up for `kiln serve`: the trigger destination, and a polling task per
/// --watch-repo remote. Bad flags are errors before the server starts.
pub fn start(args: &ServeArgs, api: &Api) -> anyhow::Result<Arc<RepoEvents>> {
    let remotes =
        args.watch_repos.iter().map(|s| watch::WatchedRemote::parse(s)).collect::<anyhow::Result<Vec<_>>>()?;
    let interval = args.watch_interval_seconds;
    anyhow::ensure!(
        interval.is_finite() && interval >= 0.01,
        "--watch-interval-seconds must be a number of seconds of at least 0.01, not {interval}"
    );
    let trigger_url = args.codecommit_trigger_url.as_deref().filter(|u| !u.is_empty());
    let events = Arc::new(RepoEvents::new(api.clone(), &args.region, &args.account_id, trigger_url)?);
    watch::spawn(remotes, Duration::from_secs_f64(interval), events.clone());
    Ok(events)
}

pub struct RepoEvents {
    api: Api,
    region: String,
    account_id: String,
    trigger: Option<(TriggerPost, Trigger)>,
}

impl RepoEvents {
    pub fn new(api: Api, region: &str, account_id: &str, trigger_url: Option<&str>) -> anyhow::Result<Self> {
        let trigger = match trigger_url {
            Some(url) => {
                let post = TriggerPost::new(url)?;
                // One trigger per server run: its config id names this configuration.
                let trigger = Trigger {
                    name: "kiln".to_string(),
                    config_id: uuid::Uuid::new_v4().to_string(),
                    custom_data: None,
                };
                tracing::info!("repository changes are also delivered as CodeCommit trigger records to {url}");
                Some((post, trigger))
            }
            None => None,
        };
        Ok(RepoEvents { api, region: region.to_string(), account_id: account_id.to_string(), trigger })
    }

    /// A repository of this server's region and account.
    pub fn repository(&self, name: &str) -> Result<Repository, Error> {
        Repository::new(name, &self.region, &self.account_id)
    }

    /// Publishes one batch of changes (refs other than branches and tags are skipped): events on
    /// the bus, delivered at once, and the trigger record. Never fails: problems are logged.
    pub async fn publish(&self, repo: &Repository, changes: &[RefChange], caller_user_arn: Option<&str>) {
        for change in changes {
            let Some(state) = StateChange::new(repo, change, caller_user_arn) else {
                continue;
            };
            let event = state.to_event(&uuid::Uuid::new_v4().to_string(), kiln_agent::clock::now_ms());
            let api = self.api.clone();
            let what = format!("{} {}", change.kind().event_name(), change.full_name());
            match tokio::task::spawn_blocking(move || api.publish(event)).await {
                Ok(Ok(published)) => tracing::info!(
                    "repository {}: {what}: event {} reached {} target(s)",
                    repo.name(),
                    published.event["id"].as_str().unwrap_or_default(),
                    published.invocations.len()
                ),
                Ok(Err(e)) => tracing::warn!("repository {}: {what}: not published: {e}", repo.name()),
                Err(e) => tracing::error!("repository {}: {what}: publishing panicked: {e}", repo.name()),
            }
        }
        self.deliver_trigger(repo, changes, caller_user_arn);
    }

    /// After a PutEvents call (`body`, AWS JSON) that Kiln accepted: its CodeCommit state-change
    /// entries, one trigger record per repository, so pushes seen by `kiln hook post-receive`
    /// reach the trigger URL too.
    pub fn observe_put_events(&self, body: &[u8]) {
        if self.trigger.is_none() {
            return;
        }
        let Ok(request) = serde_json::from_slice::<Value>(body) else {
            return;
        };
        let mut by_repo: BTreeMap<(String, Option<String>), Vec<RefChange>> = BTreeMap::new();
        for entry in request["Entries"].as_array().into_iter().flatten() {
            if entry["Source"] != SOURCE || entry["DetailType"] != DETAIL_TYPE {
                continue;
            }
            let Some(detail) = entry["Detail"].as_str().and_then(|d| serde_json::from_str::<Value>(d).ok()) else {
                continue;
            };
            if let Some((name, change)) = event::ref_change_of(&detail) {
                let caller = detail["callerUserArn"].as_str().map(str::to_string);
                by_repo.entry((name, caller)).or_default().push(change);
            }
        }
        for ((name, caller), changes) in by_repo {
            match self.repository(&name) {
                Ok(repo) => self.deliver_trigger(&repo, &changes, caller.as_deref()),
                Err(e) => tracing::warn!("no CodeCommit trigger record for a PutEvents entry: {e}"),
            }
        }
    }

    /// The trigger record for `changes`, sent in the background.
    fn deliver_trigger(&self, repo: &Repository, changes: &[RefChange], caller_user_arn: Option<&str>) {
        let Some((post, trigger)) = &self.trigger else {
            return;
        };
        let event_id = uuid::Uuid::new_v4().to_string();
        // Polling knows no pusher: the account stands in, as for changes made by AWS itself.
        let root = format!("arn:aws:iam::{}:root", self.account_id);
        let delivery = Delivery {
            event_id: &event_id,
            unix_ms: kiln_agent::clock::now_ms(),
            user_identity_arn: caller_user_arn.unwrap_or(&root),
        };
        if let Some(payload) = trigger::payload(repo, changes, trigger, delivery) {
            post.send(payload);
        }
    }
}

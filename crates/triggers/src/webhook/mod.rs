//! CodeBuild webhooks: what GitHub, GitHub Enterprise, GitLab (and Self Managed) and Bitbucket
//! send, made into one [`Event`]; whether to trust it ([`verify`]); whether the webhook's filter
//! groups build it ([`Trigger`]); and what the build gets ([`Event::variables`],
//! [`Event::source_version`], [`initiator`]).
//!
//! ```
//! use kiln_triggers::webhook::{Decision, Delivery, Headers, Provider, Trigger, normalize};
//!
//! let body = br#"{"ref":"refs/heads/main","before":"a1","after":"b2","sender":{"id":7},
//!                "repository":{"name":"demo"},"head_commit":{"message":"fix"},"commits":[]}"#;
//! let headers = Headers::new([("X-GitHub-Event", "push")]);
//! let Delivery::Event(event) = normalize(Provider::GitHub, &headers, body)? else { panic!() };
//! assert_eq!(event.source_version, "b2");
//! assert_eq!(event.trigger, "branch/main");
//! let trigger = Trigger::compile(&[], None, Provider::GitHub).expect("no filter groups");
//! assert_eq!(trigger.decide(&event), Decision::Build { group: None });
//! # Ok::<(), kiln_triggers::webhook::PayloadError>(())
//! ```

mod bitbucket;
mod event;
mod filters;
mod github;
mod gitlab;
mod headers;
mod payload;
mod signature;

pub use event::{Delivery, Event, EventType, Provider};
pub use filters::{DEFAULT_EVENTS, Decision, FilterError, Trigger};
pub use headers::Headers;
pub use payload::PayloadError;
pub use signature::{SignatureError, constant_time_eq, sign, verify};

/// Longest initiator kept from a `User-Agent` header.
const MAX_INITIATOR: usize = 128;

/// Reads a delivery: which event it is (from the provider's event header) and its payload.
pub fn normalize(provider: Provider, headers: &Headers, body: &[u8]) -> Result<Delivery, PayloadError> {
    let event_header = match provider {
        Provider::GitHub | Provider::GitHubEnterprise => github::EVENT_HEADER,
        Provider::GitLab | Provider::GitLabSelfManaged => gitlab::EVENT_HEADER,
        Provider::Bitbucket => bitbucket::EVENT_HEADER,
    };
    let Some(event) = headers.get(event_header) else {
        return Err(PayloadError::MissingEvent(event_header));
    };
    if provider.is_github() {
        github::normalize(event, body)
    } else if provider.is_gitlab() {
        gitlab::normalize(event, body)
    } else {
        bitbucket::normalize(event, body)
    }
}

/// The provider's id of this delivery (the same on a redelivery), when it sent one.
pub fn delivery_id(provider: Provider, headers: &Headers) -> Option<String> {
    headers.get(provider.delivery_header()).map(|id| id.chars().take(MAX_INITIATOR).collect())
}

/// The build's `initiator`: the provider's user agent, as CodeBuild shows it
/// (`GitHub-Hookshot/<id>`, `GitLab/<version>`, `Bitbucket-Webhooks/2.0`).
pub fn initiator(provider: Provider, headers: &Headers) -> String {
    let (prefix, fallback) = match provider {
        Provider::GitHub | Provider::GitHubEnterprise => ("GitHub-Hookshot/", "GitHub-Hookshot"),
        Provider::GitLab | Provider::GitLabSelfManaged => ("GitLab/", "GitLab"),
        Provider::Bitbucket => ("Bitbucket-Webhooks/", "Bitbucket-Webhooks/2.0"),
    };
    let agent = headers.get("user-agent").filter(|a| a.starts_with(prefix) && a.chars().all(|c| c.is_ascii_graphic()));
    match agent {
        Some(agent) => agent.chars().take(MAX_INITIATOR).collect(),
        None => match headers.get("x-github-hook-id").filter(|_| provider.is_github()) {
            Some(hook) if hook.chars().all(|c| c.is_ascii_alphanumeric()) => format!("{prefix}{hook}"),
            _ => fallback.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_initiator_is_the_providers_user_agent() {
        let h = |pairs: &[(&str, &str)]| Headers::new(pairs.iter().copied());
        assert_eq!(
            initiator(Provider::GitHub, &h(&[("User-Agent", "GitHub-Hookshot/3bf7d2c")])),
            "GitHub-Hookshot/3bf7d2c"
        );
        assert_eq!(initiator(Provider::GitHub, &h(&[("X-GitHub-Hook-ID", "123456")])), "GitHub-Hookshot/123456");
        assert_eq!(initiator(Provider::GitHub, &h(&[("User-Agent", "curl/8.0")])), "GitHub-Hookshot");
        assert_eq!(initiator(Provider::GitLab, &h(&[("User-Agent", "GitLab/17.2.0")])), "GitLab/17.2.0");
        assert_eq!(initiator(Provider::GitLabSelfManaged, &h(&[])), "GitLab");
        assert_eq!(initiator(Provider::Bitbucket, &h(&[])), "Bitbucket-Webhooks/2.0");
    }

    #[test]
    fn delivery_ids_come_from_each_providers_header() {
        let h = Headers::new([("X-GitHub-Delivery", "a"), ("X-Gitlab-Event-UUID", "b"), ("X-Request-UUID", "c")]);
        assert_eq!(delivery_id(Provider::GitHubEnterprise, &h).as_deref(), Some("a"));
        assert_eq!(delivery_id(Provider::GitLab, &h).as_deref(), Some("b"));
        assert_eq!(delivery_id(Provider::Bitbucket, &h).as_deref(), Some("c"));
        assert_eq!(delivery_id(Provider::GitHub, &Headers::default()), None);
    }

    #[test]
    fn the_event_header_is_required_and_must_be_known() {
        let body = br#"{"ref":"refs/heads/main"}"#;
        assert_eq!(
            normalize(Provider::GitHub, &Headers::default(), body),
            Err(PayloadError::MissingEvent("X-GitHub-Event"))
        );
        let issues = Headers::new([("X-GitHub-Event", "issues")]);
        let err = normalize(Provider::GitHub, &issues, body).expect_err("issues");
        assert_eq!(
            err.to_string(),
            "X-GitHub-Event \"issues\" is not an event Kiln starts builds from (it understands push, pull_request, \
             release and ping)"
        );
        let pipeline = Headers::new([("X-Gitlab-Event", "Pipeline Hook")]);
        assert!(matches!(normalize(Provider::GitLab, &pipeline, body), Err(PayloadError::UnknownEvent { .. })));
        let fork = Headers::new([("X-Event-Key", "repo:fork")]);
        assert!(matches!(normalize(Provider::Bitbucket, &fork, body), Err(PayloadError::UnknownEvent { .. })));
    }

    #[test]
    fn ping_needs_no_payload() {
        let ping = Headers::new([("X-GitHub-Event", "ping")]);
        assert_eq!(normalize(Provider::GitHub, &ping, b""), Ok(Delivery::Ping));
    }
}

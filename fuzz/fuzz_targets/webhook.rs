//! Webhook deliveries of every provider. Input: a provider byte, the event header's value up
//! to the first newline, then the payload.
#![no_main]

use kiln_triggers::webhook::{Delivery, Headers, Provider, Trigger, normalize};
use libfuzzer_sys::fuzz_target;

const PROVIDERS: [(Provider, &str); 5] = [
    (Provider::GitHub, "X-GitHub-Event"),
    (Provider::GitHubEnterprise, "X-GitHub-Event"),
    (Provider::GitLab, "X-Gitlab-Event"),
    (Provider::GitLabSelfManaged, "X-Gitlab-Event"),
    (Provider::Bitbucket, "X-Event-Key"),
];

fuzz_target!(|data: &[u8]| {
    let Some((selector, rest)) = data.split_first() else { return };
    let (provider, header) = PROVIDERS[usize::from(*selector) % PROVIDERS.len()];
    let (event, body) = match rest.iter().position(|&b| b == b'\n') {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &[][..]),
    };
    let headers = Headers::new([(header, String::from_utf8_lossy(event).into_owned())]);
    if let Ok(Delivery::Event(event)) = normalize(provider, &headers, body) {
        let _ = event.variables();
        if let Ok(trigger) = Trigger::compile(&[], None, provider) {
            let _ = trigger.decide(&event);
        }
    }
});

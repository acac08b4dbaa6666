//! Answers the agent's request for Parameter Store and Secrets Manager values (see
//! `kiln_agent`'s `secrets` module for the exchange): the server side holds the store and the
//! key, so values are looked up and decrypted here and travel to the agent only over its
//! stdin pipe.

use kiln_agent::protocol::{Context, Resolution, SecretRef, SecretSource};
use kiln_api::resolve;
use kiln_store::Store;
use tokio::io::AsyncWriteExt as _;
use tokio::process::ChildStdin;

/// The values in the order asked, or the context of the first one that cannot be resolved.
pub(crate) fn answer(store: &dyn Store, config: &kiln_api::Config, lookups: &[SecretRef]) -> Resolution {
    let mut values = Vec::with_capacity(lookups.len());
    for lookup in lookups {
        let value = match lookup.source {
            SecretSource::ParameterStore => resolve::parameter(store, config, &lookup.reference),
            SecretSource::SecretsManager => resolve::secret(store, config, &lookup.reference),
        };
        match value {
            Ok(value) => values.push(value),
            Err(e) => {
                let context = Context { status_code: e.status_code.to_string(), message: e.message };
                return Resolution { values: Vec::new(), error: Some(context) };
            }
        }
    }
    Resolution { values, error: None }
}

/// Writes the answer as one JSON line on the agent's stdin, then closes the pipe: a build asks
/// once (in DOWNLOAD_SOURCE), and any later request, whoever printed it, gets nothing. An agent
/// that is gone cannot be told anything; its build ends on its own.
pub(crate) async fn send(stdin: &mut Option<ChildStdin>, answer: &Resolution) {
    let Some(mut pipe) = stdin.take() else { return };
    let mut line = serde_json::to_vec(answer).unwrap_or_default();
    line.push(b'\n');
    if pipe.write_all(&line).await.is_ok() {
        let _ = pipe.flush().await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use kiln_model::ssm::{ParameterType, PutParameterRequest};

    use super::*;

    struct Idle;

    impl kiln_api::Scheduler for Idle {
        fn wake(&self) {}
        fn stop(&self, _: &str) {}
        fn wait_until_finished(&self, _: &str, _: std::time::Duration) {}
    }

    fn lookup(source: SecretSource, reference: &str) -> SecretRef {
        SecretRef { source, reference: reference.to_string() }
    }

    #[test]
    fn answers_in_order_or_with_the_first_failure() {
        let config = kiln_api::Config {
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
            concurrency: 1,
            max_queued: 5,
            vault: Arc::new(kiln_api::vault::Vault::ephemeral().expect("vault")),
        };
        let store: Arc<dyn Store> = Arc::new(kiln_store::SqliteStore::open_in_memory().expect("store"));
        let api = kiln_api::Api::new(store.clone(), Arc::new(Idle), config.clone());
        for (name, value) in [("/a", "one"), ("/b", "two")] {
            api.put_parameter(PutParameterRequest {
                name: Some(name.into()),
                value: Some(value.into()),
                r#type: Some(ParameterType::SecureString),
                ..Default::default()
            })
            .expect("put");
        }
        let ok = answer(
            store.as_ref(),
            &config,
            &[lookup(SecretSource::ParameterStore, "/b"), lookup(SecretSource::ParameterStore, "/a")],
        );
        assert_eq!(ok, Resolution { values: vec!["two".into(), "one".into()], error: None });

        let failed = answer(
            store.as_ref(),
            &config,
            &[lookup(SecretSource::ParameterStore, "/a"), lookup(SecretSource::SecretsManager, "nope:key")],
        );
        assert!(failed.values.is_empty(), "no value travels when one lookup fails");
        let context = failed.error.expect("error");
        assert_eq!(context.status_code, "Secrets Manager Error");
        assert!(context.message.contains("nope"), "{}", context.message);
    }
}

//! PutEvents over HTTP (AWS JSON 1.1, `AWSEvents.PutEvents`), ten entries a call as
//! EventBridge allows, each call bounded by a timeout.

use std::time::Duration;

use serde_json::{Value, json};

/// EventBridge's limit on entries per PutEvents call.
const MAX_ENTRIES: usize = 10;
const TARGET: &str = "AWSEvents.PutEvents";

/// Publishes `entries`; per entry, the event id or the reason it failed. An error means Kiln
/// could not be asked (unreachable, timed out, or it rejected the whole call).
pub async fn publish(
    endpoint: &str,
    entries: &[Value],
    timeout: Duration,
) -> anyhow::Result<Vec<Result<String, String>>> {
    let mut results = Vec::with_capacity(entries.len());
    for chunk in entries.chunks(MAX_ENTRIES) {
        let body = json!({ "Entries": chunk });
        let call = crate::server::client::call(endpoint, TARGET, &body);
        let answer = tokio::time::timeout(timeout, call)
            .await
            .map_err(|_| anyhow::anyhow!("no answer within {:.1}s", timeout.as_secs_f64()))??;
        results.extend(entry_results(&answer, chunk.len()));
    }
    Ok(results)
}

/// Reads PutEvents' `Entries` (same order as the request): `EventId`, or `ErrorCode` and
/// `ErrorMessage`. Entries the answer leaves out count as failed.
fn entry_results(answer: &Value, sent: usize) -> Vec<Result<String, String>> {
    let listed = answer["Entries"].as_array().cloned().unwrap_or_default();
    (0..sent)
        .map(|i| match listed.get(i) {
            Some(e) => match (e["EventId"].as_str(), e["ErrorCode"].as_str()) {
                (Some(id), None) => Ok(id.to_string()),
                (_, code) => Err(format!(
                    "{}: {}",
                    code.unwrap_or("UnknownError"),
                    e["ErrorMessage"].as_str().unwrap_or("no message")
                )),
            },
            None => Err("Kiln's answer did not list this entry".to_string()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_entry_outcomes() {
        let answer = json!({
            "FailedEntryCount": 1,
            "Entries": [
                {"EventId": "e-1"},
                {"ErrorCode": "InvalidArgument", "ErrorMessage": "Detail is not valid JSON"},
            ]
        });
        assert_eq!(
            entry_results(&answer, 3),
            [
                Ok("e-1".to_string()),
                Err("InvalidArgument: Detail is not valid JSON".to_string()),
                Err("Kiln's answer did not list this entry".to_string()),
            ]
        );
        assert_eq!(entry_results(&json!({}), 1), [Err("Kiln's answer did not list this entry".to_string())]);
    }
}

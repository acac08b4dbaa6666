//! A delivery to a payload URL: find the webhook by its token, check the signature, read the
//! payload, apply the filter groups, and start the build, recording what happened each time.
//!
//! Answers: 404 for an unknown token; 401 for a bad or missing signature; 400 for a payload
//! Kiln cannot read; 200 for everything accepted (a started build, a ping, an event no filter
//! group builds, a redelivery); 5xx when a matching event's build could not start.

use kiln_model::codebuild::{EnvironmentVariable, EnvironmentVariableType, SourceType, StartBuildInput, Webhook};
use kiln_store::{DeliveryOutcome, DeliveryRecord};
use kiln_triggers::webhook::{self, Decision, Delivery, Event, Headers, Provider, Trigger};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::stored;
use crate::{Api, ApiError, Caller, now_ms};

/// Deliveries kept per project; older ones are dropped.
const KEEP_DELIVERIES: usize = 1000;

/// A request to a payload URL, as the HTTP layer hands it over.
#[derive(Debug, Clone, Default)]
pub struct WebhookDelivery {
    /// The `t` query parameter.
    pub token: Option<String>,
    pub headers: Headers,
    pub body: Vec<u8>,
}

/// What to answer the provider: a status and a JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookReply {
    pub status: u16,
    pub body: Value,
}

impl WebhookReply {
    fn new(status: u16, message: impl Into<String>) -> Self {
        WebhookReply { status, body: json!({ "message": message.into() }) }
    }
}

/// The record of one delivery being built up as it is handled.
struct Receipt {
    record: DeliveryRecord,
    doc: serde_json::Map<String, Value>,
}

impl Api {
    /// Handles one delivery. Never fails: every problem is an answer (and, once the webhook is
    /// known, a recorded delivery).
    pub fn receive_webhook(&self, delivery: &WebhookDelivery) -> WebhookReply {
        match self.receive(delivery) {
            Ok(reply) => reply,
            Err(e) => {
                tracing::error!("webhook delivery failed: {e}");
                WebhookReply::new(500, format!("Kiln could not handle the delivery: {e}"))
            }
        }
    }

    fn receive(&self, delivery: &WebhookDelivery) -> Result<WebhookReply, ApiError> {
        let Some(token) = delivery.token.as_deref().filter(|t| !t.is_empty()) else {
            return Ok(WebhookReply::new(404, "the URL has no t parameter: deliver to the webhook's payloadUrl"));
        };
        let Some(webhook) = self.store.get_webhook_by_token(token)? else {
            return Ok(WebhookReply::new(404, "no webhook has this payload URL (it was deleted, or its project was)"));
        };
        let mut receipt = Receipt::new(&webhook.project, &delivery.body);
        let project = self.load_project(&webhook.project)?;
        let source = project.source.and_then(|s| s.r#type).unwrap_or(SourceType::NoSource);
        let Some(provider) = Provider::from_source_type(source) else {
            let why = format!("the project's source type is now {source}, which has no webhooks");
            return self.finish(receipt, DeliveryOutcome::Rejected(why), 400);
        };
        receipt.record.delivery_id = webhook::delivery_id(provider, &delivery.headers);
        receipt.note("provider", provider.source_type().as_str());
        if let Some(event) = delivery.headers.get(provider.event_header()) {
            receipt.note("providerEvent", event);
        }

        let secret = match &webhook.secret {
            Some(sealed) => Some(stored::open_secret(&self.config.vault, &webhook.project, sealed)?),
            None => None,
        };
        if let Err(e) = webhook::verify(provider, secret.as_deref(), &delivery.headers, &delivery.body) {
            tracing::warn!(project = %webhook.project, "webhook delivery rejected (401): {e}");
            return self.finish(receipt, DeliveryOutcome::Rejected(e.to_string()), 401);
        }
        let event = match webhook::normalize(provider, &delivery.headers, &delivery.body) {
            Ok(Delivery::Event(event)) => event,
            Ok(Delivery::Ping) => {
                let why = "ping: the webhook reaches Kiln".to_string();
                return self.finish(receipt, DeliveryOutcome::Ignored(why), 200);
            }
            Ok(Delivery::Ignored(why)) => return self.finish(receipt, DeliveryOutcome::Ignored(why), 200),
            Err(e) => {
                tracing::info!(project = %webhook.project, "webhook delivery refused (400): {e}");
                return self.finish(receipt, DeliveryOutcome::Rejected(e.to_string()), 400);
            }
        };
        receipt.note("event", event.event.as_str());
        receipt.note("sourceVersion", &event.source_version);

        let settings: Webhook = stored::from_doc(&webhook.doc)?;
        let groups = settings.filter_groups.unwrap_or_default();
        let trigger = match Trigger::compile(&groups, settings.branch_filter.as_deref(), provider) {
            Ok(trigger) => trigger,
            // Only when the project's source changed provider since the filters were checked.
            Err(e) => return self.finish(receipt, DeliveryOutcome::Failed(e.to_string()), 500),
        };
        match trigger.decide(&event) {
            Decision::Skip(why) => self.finish(receipt, DeliveryOutcome::Ignored(why), 200),
            Decision::Build { group } => {
                if let Some(group) = group {
                    receipt.doc.insert("filterGroup".to_string(), json!(group));
                }
                let initiator = webhook::initiator(provider, &delivery.headers);
                self.start(receipt, &event, initiator)
            }
        }
    }

    /// Claims the delivery id, then starts the build; a redelivery finds the claim and stops.
    fn start(&self, mut receipt: Receipt, event: &Event, initiator: String) -> Result<WebhookReply, ApiError> {
        receipt.note("initiator", &initiator);
        receipt.record.outcome = DeliveryOutcome::Pending;
        let record = receipt.stored();
        let claimed = self.store.insert_delivery(&record, KEEP_DELIVERIES)?;
        if let DeliveryOutcome::Duplicate(earlier) = &claimed.outcome {
            let message = format!("delivery {earlier} already carried this payload: no second build");
            return Ok(reply(200, message, &claimed));
        }
        let input = StartBuildInput {
            project_name: Some(record.project.clone()),
            source_version: Some(event.source_version.clone()),
            environment_variables_override: Some(
                event
                    .variables()
                    .into_iter()
                    .map(|(name, value)| EnvironmentVariable {
                        name: Some(name),
                        value: Some(value),
                        r#type: Some(EnvironmentVariableType::Plaintext),
                    })
                    .collect(),
            ),
            ..Default::default()
        };
        let caller = Caller { access_key_id: Some(initiator) };
        let (outcome, status, message) = match self.start_build(input, &caller) {
            Ok(output) => {
                let id = output.build.and_then(|b| b.id).unwrap_or_default();
                (DeliveryOutcome::Started(id.clone()), 200, format!("started build {id}"))
            }
            Err(e) => {
                tracing::warn!(project = %record.project, "webhook build did not start: {e}");
                let status = match e {
                    ApiError::AccountLimitExceeded(_) => 503,
                    ApiError::Internal(_) => 500,
                    _ => 422,
                };
                (DeliveryOutcome::Failed(e.to_string()), status, format!("the build did not start: {e}"))
            }
        };
        self.store.set_delivery_outcome(&record.id, &outcome)?;
        Ok(reply(status, message, &DeliveryRecord { outcome, ..record }))
    }

    /// Records a delivery that starts nothing, and answers.
    fn finish(&self, mut receipt: Receipt, outcome: DeliveryOutcome, status: u16) -> Result<WebhookReply, ApiError> {
        let message = outcome.detail().to_string();
        receipt.record.outcome = outcome;
        let stored = self.store.insert_delivery(&receipt.stored(), KEEP_DELIVERIES)?;
        Ok(reply(status, message, &stored))
    }
}

impl Receipt {
    fn new(project: &str, body: &[u8]) -> Self {
        let record = DeliveryRecord {
            id: uuid::Uuid::new_v4().to_string(),
            project: project.to_string(),
            delivery_id: None,
            received_ms: now_ms(),
            outcome: DeliveryOutcome::Pending,
            payload_sha256: hex::encode(Sha256::digest(body)),
            doc: String::new(),
        };
        Receipt { record, doc: serde_json::Map::new() }
    }

    fn note(&mut self, key: &str, value: &str) {
        self.doc.insert(key.to_string(), Value::String(value.to_string()));
    }

    fn stored(&self) -> DeliveryRecord {
        DeliveryRecord { doc: Value::Object(self.doc.clone()).to_string(), ..self.record.clone() }
    }
}

fn reply(status: u16, message: String, record: &DeliveryRecord) -> WebhookReply {
    let mut body = super::deliveries::delivery_json(record);
    if let Value::Object(map) = &mut body {
        map.insert("message".to_string(), Value::String(message));
    }
    WebhookReply { status, body }
}

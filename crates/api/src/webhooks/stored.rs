//! What a webhook keeps: its settings as a `Webhook` document, an opaque payload URL token, and
//! its secret sealed by the vault (deliveries need it in clear to check signatures, so it is
//! encrypted rather than hashed).

use kiln_model::codebuild::Webhook;

use crate::ApiError;
use crate::vault::Vault;

/// 256 random bits as hex: unguessable, and safe in a URL query.
pub(super) fn new_token() -> String {
    random_hex()
}

/// A new webhook secret (the same shape as the token: providers accept any string).
pub(super) fn new_secret() -> String {
    random_hex()
}

fn random_hex() -> String {
    // Two v4 UUIDs carry 244 random bits from the operating system's generator.
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

/// The vault's associated data ties a sealed secret to its project.
fn aad(project: &str) -> String {
    format!("webhook-secret:{project}")
}

pub(super) fn seal_secret(vault: &Vault, project: &str, secret: &str) -> Result<Vec<u8>, ApiError> {
    vault.seal(&aad(project), secret.as_bytes()).map_err(|e| ApiError::Internal(e.to_string()))
}

pub(super) fn open_secret(vault: &Vault, project: &str, sealed: &[u8]) -> Result<Vec<u8>, ApiError> {
    vault.open(&aad(project), sealed).map_err(|e| ApiError::Internal(e.to_string()))
}

/// The stored document: the settings only (no secret, no URLs: those are computed when shown).
pub(super) fn to_doc(webhook: &Webhook) -> Result<String, ApiError> {
    let settings = Webhook { secret: None, payload_url: None, url: None, status: None, ..webhook.clone() };
    crate::projects::to_doc(&settings)
}

pub(super) fn from_doc(doc: &str) -> Result<Webhook, ApiError> {
    crate::projects::from_doc(doc)
}

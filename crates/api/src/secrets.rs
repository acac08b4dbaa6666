//! Secrets Manager on Kiln's endpoint: CreateSecret, PutSecretValue, GetSecretValue,
//! DeleteSecret (with a recovery window, or forced), ListSecrets, DescribeSecret and
//! UpdateSecret, with version ids and the AWSCURRENT / AWSPREVIOUS staging labels.
//!
//! Values are sealed with the vault, bound to the secret's ARN and version id, before they
//! reach the store.

mod ids;

use std::collections::BTreeMap;

use kiln_model::Timestamp;
use kiln_model::secretsmanager::*;
use kiln_store::{STAGE_CURRENT, SecretRecord, SecretVersionRecord, Store, StoreError};
use serde::{Deserialize, Serialize};

use crate::{Api, ApiError, Config, now_ms};

/// Versions without a staging label kept per secret.
const KEEP_UNLABELLED: usize = 100;
const DEFAULT_RECOVERY_DAYS: i64 = 30;
const LIST_PAGE: usize = 100;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// A secret's settings, kept as the record's JSON document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Stored {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kms_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    tags: Vec<(String, String)>,
    /// When DeleteSecret was called (DeletedDate); the record's `deletion_ms` is when it goes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    deleted_ms: Option<i64>,
}

fn stored(secret: &SecretRecord) -> Result<Stored, ApiError> {
    serde_json::from_str(&secret.doc)
        .map_err(|e| ApiError::Internal(format!("stored secret {} is unreadable: {e}", secret.name)))
}

fn to_doc(stored: &Stored) -> Result<String, ApiError> {
    serde_json::to_string(stored).map_err(|e| ApiError::Internal(e.to_string()))
}

fn invalid_parameter(message: impl Into<String>) -> ApiError {
    ApiError::Named("InvalidParameterException", message.into())
}

fn invalid_request(message: impl Into<String>) -> ApiError {
    ApiError::Named("InvalidRequestException", message.into())
}

/// A secret value: text or bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SecretValue {
    Text(String),
    Binary(Vec<u8>),
}

impl SecretValue {
    fn from_request(text: Option<String>, binary: Option<kiln_model::Blob>) -> Result<Option<SecretValue>, ApiError> {
        match (text, binary) {
            (Some(_), Some(_)) => Err(invalid_parameter(
                "You can't specify both a binary secret value and a string secret value in the same secret.",
            )),
            (Some(text), None) => Ok(Some(SecretValue::Text(text))),
            (None, Some(binary)) => Ok(Some(SecretValue::Binary(binary.0))),
            (None, None) => Ok(None),
        }
    }

    /// One tag byte tells text from bytes inside the sealed value.
    fn encode(&self) -> Vec<u8> {
        let (tag, bytes) = match self {
            SecretValue::Text(t) => (b's', t.as_bytes()),
            SecretValue::Binary(b) => (b'b', b.as_slice()),
        };
        let mut out = Vec::with_capacity(bytes.len() + 1);
        out.push(tag);
        out.extend_from_slice(bytes);
        out
    }

    fn decode(bytes: Vec<u8>) -> Option<SecretValue> {
        let (&tag, rest) = bytes.split_first()?;
        match tag {
            b's' => String::from_utf8(rest.to_vec()).ok().map(SecretValue::Text),
            b'b' => Some(SecretValue::Binary(rest.to_vec())),
            _ => None,
        }
    }
}

fn seal_owner(arn: &str, version_id: &str) -> String {
    format!("secret:{arn}:{version_id}")
}

fn seal(config: &Config, arn: &str, version_id: &str, value: &SecretValue) -> Result<Vec<u8>, ApiError> {
    config.vault.seal(&seal_owner(arn, version_id), &value.encode()).map_err(|e| ApiError::Internal(e.to_string()))
}

fn open(config: &Config, arn: &str, version: &SecretVersionRecord) -> Result<SecretValue, ApiError> {
    let bytes = config
        .vault
        .open(&seal_owner(arn, &version.version_id), &version.value)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    SecretValue::decode(bytes).ok_or_else(|| ApiError::Internal(format!("a stored value of {arn} is unreadable")))
}

/// Which version a reader asks for; neither means AWSCURRENT.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct VersionQuery<'a> {
    pub version_id: Option<&'a str>,
    pub stage: Option<&'a str>,
}

/// A secret's value as GetSecretValue reads it, with the secret and the version.
pub(crate) fn read_value(
    store: &dyn Store,
    config: &Config,
    id: &str,
    query: VersionQuery<'_>,
) -> Result<(SecretRecord, SecretVersionRecord, SecretValue), ApiError> {
    let secret = ids::find(store, config, id)?;
    ids::check_not_scheduled(&secret)?;
    let versions = store.secret_versions(&secret.name)?;
    let stage = match query {
        VersionQuery { version_id: None, stage: None } => Some(STAGE_CURRENT),
        VersionQuery { stage, .. } => stage,
    };
    let version = match (query.version_id, stage) {
        (Some(id), stage) => {
            let found = versions.into_iter().find(|v| v.version_id == id).ok_or_else(|| {
                ApiError::Named(
                    "ResourceNotFoundException",
                    format!("Secrets Manager can't find the specified secret value for VersionId: {id}"),
                )
            })?;
            if let Some(stage) = stage
                && !found.stages.iter().any(|s| s == stage)
            {
                return Err(invalid_request(format!(
                    "You provided a VersionStage ({stage}) that is not associated to the provided VersionId ({id})."
                )));
            }
            found
        }
        (None, stage) => {
            let stage = stage.unwrap_or(STAGE_CURRENT);
            versions.into_iter().find(|v| v.stages.iter().any(|s| s == stage)).ok_or_else(|| {
                ApiError::Named(
                    "ResourceNotFoundException",
                    format!("Secrets Manager can't find the specified secret value for staging label: {stage}"),
                )
            })?
        }
    };
    let value = open(config, &secret.arn, &version)?;
    Ok((secret, version, value))
}

impl Api {
    pub fn create_secret(&self, input: CreateSecretRequest) -> Result<CreateSecretResponse, ApiError> {
        kiln_model::validate(&input)?;
        let name = input.name.clone().unwrap_or_default();
        ids::check_name(&name)?;
        let value = SecretValue::from_request(input.secret_string, input.secret_binary)?;
        match ids::find(self.store.as_ref(), &self.config, &name) {
            Ok(existing) if existing.deletion_ms.is_some() => {
                return Err(invalid_request(
                    "You can't create this secret because a secret with this name is already scheduled for deletion.",
                ));
            }
            Ok(_) => {
                return Err(ApiError::Named(
                    "ResourceExistsException",
                    format!("The operation failed because the secret {name} already exists."),
                ));
            }
            Err(ApiError::Named("ResourceNotFoundException", _)) => {}
            Err(other) => return Err(other),
        }
        let now = now_ms();
        let stored = Stored {
            description: input.description,
            kms_key_id: input.kms_key_id,
            tags: tags_of(input.tags.as_deref()),
            deleted_ms: None,
        };
        let secret = SecretRecord {
            arn: ids::new_arn(&self.config, &name),
            name: name.clone(),
            created_ms: now,
            modified_ms: now,
            deletion_ms: None,
            doc: to_doc(&stored)?,
        };
        let version_id = input.client_request_token.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let first = match &value {
            Some(value) => Some(SecretVersionRecord {
                value: seal(&self.config, &secret.arn, &version_id, value)?,
                version_id: version_id.clone(),
                created_ms: now,
                stages: vec![STAGE_CURRENT.to_string()],
            }),
            None => None,
        };
        self.store.create_secret(&secret, first.as_ref()).map_err(|e| match e {
            StoreError::AlreadyExists(_) => ApiError::Named(
                "ResourceExistsException",
                format!("The operation failed because the secret {name} already exists."),
            ),
            other => other.into(),
        })?;
        Ok(CreateSecretResponse {
            arn: Some(secret.arn),
            name: Some(name),
            version_id: first.map(|v| v.version_id),
            replication_status: None,
        })
    }

    pub fn put_secret_value(&self, input: PutSecretValueRequest) -> Result<PutSecretValueResponse, ApiError> {
        kiln_model::validate(&input)?;
        let secret = ids::find(self.store.as_ref(), &self.config, input.secret_id.as_deref().unwrap_or_default())?;
        ids::check_not_scheduled(&secret)?;
        let value = SecretValue::from_request(input.secret_string, input.secret_binary)?
            .ok_or_else(|| invalid_parameter("You must provide either SecretString or SecretBinary."))?;
        let stages = input.version_stages.unwrap_or_else(|| vec![STAGE_CURRENT.to_string()]);
        let version_id = self.add_version(&secret, input.client_request_token, &value, stages.clone())?;
        Ok(PutSecretValueResponse {
            arn: Some(secret.arn),
            name: Some(secret.name),
            version_id: Some(version_id),
            version_stages: Some(stages),
        })
    }

    pub fn get_secret_value(&self, input: GetSecretValueRequest) -> Result<GetSecretValueResponse, ApiError> {
        kiln_model::validate(&input)?;
        let query = VersionQuery { version_id: input.version_id.as_deref(), stage: input.version_stage.as_deref() };
        let (secret, version, value) =
            read_value(self.store.as_ref(), &self.config, input.secret_id.as_deref().unwrap_or_default(), query)?;
        let (secret_string, secret_binary) = match value {
            SecretValue::Text(t) => (Some(t), None),
            SecretValue::Binary(b) => (None, Some(kiln_model::Blob(b))),
        };
        Ok(GetSecretValueResponse {
            arn: Some(secret.arn),
            name: Some(secret.name),
            version_id: Some(version.version_id),
            secret_string,
            secret_binary,
            version_stages: Some(version.stages),
            created_date: Some(Timestamp::from_millis(version.created_ms)),
        })
    }

    pub fn delete_secret(&self, input: DeleteSecretRequest) -> Result<DeleteSecretResponse, ApiError> {
        kiln_model::validate(&input)?;
        let force = input.force_delete_without_recovery.unwrap_or(false);
        if force && input.recovery_window_in_days.is_some() {
            return Err(invalid_parameter(
                "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
            ));
        }
        let days = input.recovery_window_in_days.unwrap_or(DEFAULT_RECOVERY_DAYS);
        if !(7..=30).contains(&days) {
            return Err(invalid_parameter("The RecoveryWindowInDays value must be between 7 and 30 days (inclusive)."));
        }
        let mut secret = ids::find(self.store.as_ref(), &self.config, input.secret_id.as_deref().unwrap_or_default())?;
        let now = now_ms();
        let deletion_ms = if force {
            self.store.delete_secret(&secret.name)?;
            now
        } else {
            if secret.deletion_ms.is_some() {
                return Err(invalid_request(format!(
                    "You can't delete secret {} because it's already scheduled for deletion.",
                    secret.name
                )));
            }
            let mut settings = stored(&secret)?;
            settings.deleted_ms = Some(now);
            let at = now.saturating_add(days.saturating_mul(DAY_MS));
            secret.deletion_ms = Some(at);
            secret.doc = to_doc(&settings)?;
            self.store.update_secret(&secret)?;
            at
        };
        Ok(DeleteSecretResponse {
            arn: Some(secret.arn),
            name: Some(secret.name),
            deletion_date: Some(Timestamp::from_millis(deletion_ms)),
        })
    }

    pub fn describe_secret(&self, input: DescribeSecretRequest) -> Result<DescribeSecretResponse, ApiError> {
        kiln_model::validate(&input)?;
        let secret = ids::find(self.store.as_ref(), &self.config, input.secret_id.as_deref().unwrap_or_default())?;
        let entry = self.list_entry(&secret)?;
        Ok(DescribeSecretResponse {
            arn: entry.arn,
            name: entry.name,
            description: entry.description,
            kms_key_id: entry.kms_key_id,
            created_date: entry.created_date,
            last_changed_date: entry.last_changed_date,
            deleted_date: entry.deleted_date,
            tags: entry.tags,
            version_ids_to_stages: entry.secret_versions_to_stages,
            ..Default::default()
        })
    }

    pub fn update_secret(&self, input: UpdateSecretRequest) -> Result<UpdateSecretResponse, ApiError> {
        kiln_model::validate(&input)?;
        let mut secret = ids::find(self.store.as_ref(), &self.config, input.secret_id.as_deref().unwrap_or_default())?;
        ids::check_not_scheduled(&secret)?;
        let value = SecretValue::from_request(input.secret_string, input.secret_binary)?;
        if input.description.is_some() || input.kms_key_id.is_some() {
            let mut settings = stored(&secret)?;
            settings.description = input.description.or(settings.description);
            settings.kms_key_id = input.kms_key_id.or(settings.kms_key_id);
            secret.doc = to_doc(&settings)?;
            secret.modified_ms = now_ms();
            self.store.update_secret(&secret)?;
        }
        let version_id = match value {
            Some(value) => {
                Some(self.add_version(&secret, input.client_request_token, &value, vec![STAGE_CURRENT.to_string()])?)
            }
            None => None,
        };
        Ok(UpdateSecretResponse { arn: Some(secret.arn), name: Some(secret.name), version_id })
    }

    pub fn list_secrets(&self, input: ListSecretsRequest) -> Result<ListSecretsResponse, ApiError> {
        kiln_model::validate(&input)?;
        let filters = input.filters.unwrap_or_default();
        let include = input.include_planned_deletion.unwrap_or(false);
        let limit = input.max_results.and_then(|n| usize::try_from(n).ok()).unwrap_or(LIST_PAGE);
        let mut token = input.next_token;
        let mut entries = Vec::new();
        while entries.len() < limit {
            let page =
                self.store.list_secrets(include, token.as_deref(), limit - entries.len()).map_err(|e| match e {
                    StoreError::InvalidToken(_) => {
                        ApiError::Named("InvalidNextTokenException", "The specified token isn't valid.".into())
                    }
                    other => other.into(),
                })?;
            for secret in page.items {
                // Recovery windows that have passed end here, as in any lookup.
                if secret.deletion_ms.is_some_and(|at| at <= now_ms()) {
                    self.store.delete_secret(&secret.name)?;
                    continue;
                }
                let settings = stored(&secret)?;
                if filters.iter().all(|f| filter_matches(f, &secret, &settings)) {
                    entries.push(self.list_entry(&secret)?);
                }
            }
            token = page.next;
            if token.is_none() {
                break;
            }
        }
        Ok(ListSecretsResponse { secret_list: Some(entries), next_token: token })
    }

    /// Adds a version (id = the client token, else a new UUID). A retry with a token that
    /// already names a version of the same value changes nothing; another value is refused.
    fn add_version(
        &self,
        secret: &SecretRecord,
        token: Option<String>,
        value: &SecretValue,
        stages: Vec<String>,
    ) -> Result<String, ApiError> {
        let version_id = token.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let exists = || {
            ApiError::Named("ResourceExistsException", "A resource with the ID you requested already exists.".into())
        };
        let versions = self.store.secret_versions(&secret.name)?;
        if let Some(existing) = versions.iter().find(|v| v.version_id == version_id) {
            return if open(&self.config, &secret.arn, existing)? == *value { Ok(version_id) } else { Err(exists()) };
        }
        let now = now_ms();
        let version = SecretVersionRecord {
            value: seal(&self.config, &secret.arn, &version_id, value)?,
            version_id: version_id.clone(),
            created_ms: now,
            stages,
        };
        self.store.put_secret_version(&secret.name, &version, now, KEEP_UNLABELLED).map_err(|e| match e {
            StoreError::AlreadyExists(_) => exists(),
            StoreError::NotFound(_) => ids::not_found(),
            other => other.into(),
        })?;
        Ok(version_id)
    }

    fn list_entry(&self, secret: &SecretRecord) -> Result<SecretListEntry, ApiError> {
        let settings = stored(secret)?;
        let stages: BTreeMap<String, Vec<String>> = self
            .store
            .secret_versions(&secret.name)?
            .into_iter()
            .filter(|v| !v.stages.is_empty())
            .map(|v| (v.version_id, v.stages))
            .collect();
        let tags: Vec<Tag> =
            settings.tags.iter().map(|(k, v)| Tag { key: Some(k.clone()), value: Some(v.clone()) }).collect();
        Ok(SecretListEntry {
            arn: Some(secret.arn.clone()),
            name: Some(secret.name.clone()),
            description: settings.description,
            kms_key_id: settings.kms_key_id,
            created_date: Some(Timestamp::from_millis(secret.created_ms)),
            last_changed_date: Some(Timestamp::from_millis(secret.modified_ms)),
            deleted_date: settings.deleted_ms.map(Timestamp::from_millis),
            tags: (!tags.is_empty()).then_some(tags),
            secret_versions_to_stages: Some(stages),
            ..Default::default()
        })
    }
}

fn tags_of(tags: Option<&[Tag]>) -> Vec<(String, String)> {
    tags.unwrap_or_default()
        .iter()
        .map(|t| (t.key.clone().unwrap_or_default(), t.value.clone().unwrap_or_default()))
        .collect()
}

/// ListSecrets filters: every value is a prefix (`!` negates); any value of a filter may match.
fn filter_matches(filter: &Filter, secret: &SecretRecord, settings: &Stored) -> bool {
    let Some(key) = filter.key else { return true };
    let values = filter.values.as_deref().unwrap_or_default();
    let fields: Vec<&str> = match key {
        FilterNameStringType::Name => vec![secret.name.as_str()],
        FilterNameStringType::Description => settings.description.as_deref().into_iter().collect(),
        FilterNameStringType::TagKey => settings.tags.iter().map(|(k, _)| k.as_str()).collect(),
        FilterNameStringType::TagValue => settings.tags.iter().map(|(_, v)| v.as_str()).collect(),
        FilterNameStringType::All => {
            let mut all = vec![secret.name.as_str()];
            all.extend(settings.description.as_deref());
            all.extend(settings.tags.iter().flat_map(|(k, v)| [k.as_str(), v.as_str()]));
            all
        }
        // Kiln secrets have no primary region or owning service.
        _ => Vec::new(),
    };
    values.iter().any(|value| match value.strip_prefix('!') {
        Some(negated) => !fields.iter().any(|f| f.starts_with(negated)),
        None => fields.iter().any(|f| f.starts_with(value.as_str())),
    })
}

#[cfg(test)]
mod tests;

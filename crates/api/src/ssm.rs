//! Parameter Store on Kiln's endpoint: PutParameter, GetParameter, GetParameters,
//! DeleteParameter, DeleteParameters, GetParametersByPath and DescribeParameters.
//!
//! Every version of a parameter is kept (up to 100, as Parameter Store does) and can be read
//! with a `name:version` selector. SecureString values are sealed with the vault before they
//! reach the store; without `WithDecryption` they come back as that ciphertext (base64), as
//! Parameter Store returns KMS ciphertext.

mod filters;
mod names;

use base64::Engine as _;
use kiln_model::Timestamp;
use kiln_model::ssm::*;
use kiln_store::{ParameterRecord, Store, StoreError};
use serde::{Deserialize, Serialize};

use crate::vault::Vault;
use crate::{Api, ApiError, now_ms};
use filters::{Filters, Scope};
pub(crate) use names::{parameter_arn, parse_selector};

/// Versions kept per parameter (Parameter Store's limit; older ones are dropped).
const KEEP_VERSIONS: usize = 100;
/// Value size limits in bytes (4 KB and 8 KB).
const STANDARD_MAX_VALUE: usize = 4096;
const ADVANCED_MAX_VALUE: usize = 8192;
/// The key a SecureString names when the request names none.
const DEFAULT_KEY_ID: &str = "alias/aws/ssm";
const DATA_TYPES: [&str; 3] = ["text", "aws:ec2:image", "aws:ssm:integration"];
const BY_PATH_PAGE: usize = 10;
const DESCRIBE_PAGE: usize = 50;

/// A version's settings, kept as the record's JSON document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Stored {
    pub r#type: ParameterType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub data_type: String,
    pub tier: ParameterTier,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_pattern: Option<String>,
}

fn stored(record: &ParameterRecord) -> Result<Stored, ApiError> {
    serde_json::from_str(&record.doc)
        .map_err(|e| ApiError::Internal(format!("stored parameter {} is unreadable: {e}", record.name)))
}

fn validation(message: impl Into<String>) -> ApiError {
    ApiError::Named("ValidationException", message.into())
}

fn not_found(name: &str) -> ApiError {
    ApiError::Named("ParameterNotFound", format!("Parameter {name} not found."))
}

fn invalid_token(e: StoreError) -> ApiError {
    match e {
        StoreError::InvalidToken(_) => ApiError::Named("InvalidNextToken", "The specified token isn't valid.".into()),
        other => other.into(),
    }
}

/// The associated data sealing a SecureString: its value only opens as that parameter's.
fn seal_owner(name: &str) -> String {
    format!("parameter:{name}")
}

/// The record a selector names, with the selector's own errors (ParameterNotFound,
/// ParameterVersionNotFound).
pub(crate) fn find(store: &dyn Store, selector: &names::Selector) -> Result<ParameterRecord, ApiError> {
    if let Some(label) = &selector.label {
        return Err(ApiError::Named(
            "ParameterNotFound",
            format!("Parameter {} has no version labelled {label}.", selector.name),
        ));
    }
    match store.get_parameter(&selector.name, selector.version)? {
        Some(record) => Ok(record),
        None => match selector.version {
            Some(v) if store.get_parameter(&selector.name, None)?.is_some() => Err(ApiError::Named(
                "ParameterVersionNotFound",
                format!(
                    "Systems Manager could not find version {v} of {}. Verify the version and try again.",
                    selector.name
                ),
            )),
            _ => Err(not_found(&selector.name)),
        },
    }
}

/// A parameter's value in plaintext (SecureStrings decrypted) and whether it is a SecureString.
pub(crate) fn plaintext(vault: &Vault, record: &ParameterRecord) -> Result<(String, ParameterType), ApiError> {
    let kind = stored(record)?.r#type;
    let bytes = match kind {
        ParameterType::SecureString => {
            vault.open(&seal_owner(&record.name), &record.value).map_err(|e| ApiError::Internal(e.to_string()))?
        }
        _ => record.value.clone(),
    };
    let text = String::from_utf8(bytes)
        .map_err(|_| ApiError::Internal(format!("stored parameter {} is not text", record.name)))?;
    Ok((text, kind))
}

impl Api {
    pub fn put_parameter(&self, input: PutParameterRequest) -> Result<PutParameterResult, ApiError> {
        kiln_model::validate(&input)?;
        let name = input.name.clone().unwrap_or_default();
        names::check_name(&name)?;
        let value = input.value.clone().unwrap_or_default();
        if value.is_empty() {
            return Err(validation(
                "1 validation error detected: Value at 'value' failed to satisfy constraint: \
                 Member must have length greater than or equal to 1",
            ));
        }
        let overwrite = input.overwrite.unwrap_or(false);
        if overwrite && input.tags.as_ref().is_some_and(|t| !t.is_empty()) {
            return Err(validation(
                "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, \
                 please remove overwrite flag.",
            ));
        }
        let previous = match self.store.get_parameter(&name, None)? {
            Some(record) => Some(stored(&record)?),
            None => None,
        };
        if previous.is_some() && !overwrite {
            return Err(already_exists());
        }
        let settings = settings(&input, previous.as_ref(), value.len())?;
        let value = match settings.r#type {
            ParameterType::SecureString => self
                .config
                .vault
                .seal(&seal_owner(&name), value.as_bytes())
                .map_err(|e| ApiError::Internal(e.to_string()))?,
            _ => value.into_bytes(),
        };
        let doc = serde_json::to_string(&settings).map_err(|e| ApiError::Internal(e.to_string()))?;
        let record = ParameterRecord { name, version: 0, modified_ms: now_ms(), value, doc };
        let stored = self.store.put_parameter(&record, overwrite, KEEP_VERSIONS).map_err(|e| match e {
            StoreError::AlreadyExists(_) => already_exists(),
            other => other.into(),
        })?;
        Ok(PutParameterResult { version: Some(stored.version), tier: Some(settings.tier) })
    }

    pub fn get_parameter(&self, input: GetParameterRequest) -> Result<GetParameterResult, ApiError> {
        kiln_model::validate(&input)?;
        let selector = parse_selector(input.name.as_deref().unwrap_or_default());
        let record = find(self.store.as_ref(), &selector)?;
        let parameter = self.parameter(&record, input.with_decryption.unwrap_or(false), selector.raw)?;
        Ok(GetParameterResult { parameter: Some(parameter) })
    }

    pub fn get_parameters(&self, input: GetParametersRequest) -> Result<GetParametersResult, ApiError> {
        kiln_model::validate(&input)?;
        let decrypt = input.with_decryption.unwrap_or(false);
        let mut parameters = Vec::new();
        let mut invalid = Vec::new();
        for name in input.names.unwrap_or_default() {
            let selector = parse_selector(&name);
            match find(self.store.as_ref(), &selector) {
                Ok(record) => parameters.push(self.parameter(&record, decrypt, selector.raw)?),
                Err(ApiError::Named("ParameterNotFound" | "ParameterVersionNotFound", _)) => {
                    if !invalid.contains(&name) {
                        invalid.push(name);
                    }
                }
                Err(other) => return Err(other),
            }
        }
        Ok(GetParametersResult { parameters: Some(parameters), invalid_parameters: Some(invalid) })
    }

    pub fn delete_parameter(&self, input: DeleteParameterRequest) -> Result<DeleteParameterResult, ApiError> {
        kiln_model::validate(&input)?;
        let name = parse_selector(input.name.as_deref().unwrap_or_default()).name;
        if self.store.delete_parameters(std::slice::from_ref(&name))?.is_empty() {
            return Err(not_found(&name));
        }
        Ok(DeleteParameterResult {})
    }

    pub fn delete_parameters(&self, input: DeleteParametersRequest) -> Result<DeleteParametersResult, ApiError> {
        kiln_model::validate(&input)?;
        let names = input.names.unwrap_or_default();
        let deleted = self.store.delete_parameters(&names)?;
        let mut invalid: Vec<String> = Vec::new();
        for name in names {
            if !deleted.contains(&name) && !invalid.contains(&name) {
                invalid.push(name);
            }
        }
        Ok(DeleteParametersResult { deleted_parameters: Some(deleted), invalid_parameters: Some(invalid) })
    }

    pub fn get_parameters_by_path(
        &self,
        input: GetParametersByPathRequest,
    ) -> Result<GetParametersByPathResult, ApiError> {
        kiln_model::validate(&input)?;
        let path = input.path.clone().unwrap_or_default();
        if !path.starts_with('/') || path.contains("//") {
            return Err(validation(format!(
                "The parameter doesn't meet the parameter name requirements. The parameter name must begin with \
                 a forward slash \"/\": {path}"
            )));
        }
        let prefix = if path.ends_with('/') { path } else { format!("{path}/") };
        let recursive = input.recursive.unwrap_or(false);
        let filters = Filters::parse(Scope::ByPath, &[], input.parameter_filters.as_deref().unwrap_or_default())?;
        let limit = input.max_results.and_then(|n| usize::try_from(n).ok()).unwrap_or(BY_PATH_PAGE);
        let (records, next) = self.collect(&prefix, input.next_token, limit, |name, stored| {
            let rest = name.strip_prefix(prefix.as_str()).unwrap_or_default();
            (recursive || !rest.contains('/')) && filters.matches(name, stored)
        })?;
        let decrypt = input.with_decryption.unwrap_or(false);
        let parameters = records.iter().map(|r| self.parameter(r, decrypt, None)).collect::<Result<Vec<_>, _>>()?;
        Ok(GetParametersByPathResult { parameters: Some(parameters), next_token: next })
    }

    pub fn describe_parameters(&self, input: DescribeParametersRequest) -> Result<DescribeParametersResult, ApiError> {
        kiln_model::validate(&input)?;
        let filters = Filters::parse(
            Scope::Describe,
            input.filters.as_deref().unwrap_or_default(),
            input.parameter_filters.as_deref().unwrap_or_default(),
        )?;
        let limit = input.max_results.and_then(|n| usize::try_from(n).ok()).unwrap_or(DESCRIBE_PAGE);
        let (records, next) =
            self.collect("", input.next_token, limit, |name, stored| filters.matches(name, stored))?;
        let parameters = records.iter().map(|r| self.metadata(r)).collect::<Result<Vec<_>, _>>()?;
        Ok(DescribeParametersResult { parameters: Some(parameters), next_token: next })
    }

    /// Up to `limit` latest versions under `prefix` that `keep` accepts, reading store pages
    /// until the page is full or the names run out; the token continues after the last name
    /// read, so a page may hold fewer than `limit` only at the end.
    fn collect(
        &self,
        prefix: &str,
        mut token: Option<String>,
        limit: usize,
        keep: impl Fn(&str, &Stored) -> bool,
    ) -> Result<(Vec<ParameterRecord>, Option<String>), ApiError> {
        let mut out = Vec::new();
        while out.len() < limit {
            let page =
                self.store.list_parameters(prefix, token.as_deref(), limit - out.len()).map_err(invalid_token)?;
            for record in page.items {
                if keep(&record.name, &stored(&record)?) {
                    out.push(record);
                }
            }
            token = page.next;
            if token.is_none() {
                break;
            }
        }
        Ok((out, token))
    }

    fn parameter(
        &self,
        record: &ParameterRecord,
        decrypt: bool,
        selector: Option<String>,
    ) -> Result<Parameter, ApiError> {
        let settings = stored(record)?;
        let value = match settings.r#type {
            ParameterType::SecureString if !decrypt => base64::engine::general_purpose::STANDARD.encode(&record.value),
            _ => plaintext(&self.config.vault, record)?.0,
        };
        Ok(Parameter {
            name: Some(record.name.clone()),
            r#type: Some(settings.r#type),
            value: Some(value),
            version: Some(record.version),
            selector,
            last_modified_date: Some(Timestamp::from_millis(record.modified_ms)),
            arn: Some(self.config.parameter_arn(&record.name)),
            data_type: Some(settings.data_type),
            source_result: None,
        })
    }

    fn metadata(&self, record: &ParameterRecord) -> Result<ParameterMetadata, ApiError> {
        let settings = stored(record)?;
        Ok(ParameterMetadata {
            name: Some(record.name.clone()),
            arn: Some(self.config.parameter_arn(&record.name)),
            r#type: Some(settings.r#type),
            key_id: settings.key_id,
            last_modified_date: Some(Timestamp::from_millis(record.modified_ms)),
            description: settings.description,
            allowed_pattern: settings.allowed_pattern,
            version: Some(record.version),
            tier: Some(settings.tier),
            policies: Some(Vec::new()),
            data_type: Some(settings.data_type),
            last_modified_user: None,
        })
    }
}

fn already_exists() -> ApiError {
    ApiError::Named(
        "ParameterAlreadyExists",
        "The parameter already exists. To overwrite this value, set the overwrite option in the request to true."
            .into(),
    )
}

/// The settings of a new version: the request's, else the previous version's, else defaults.
fn settings(input: &PutParameterRequest, previous: Option<&Stored>, value_len: usize) -> Result<Stored, ApiError> {
    let kind = input
        .r#type
        .or(previous.map(|p| p.r#type))
        .ok_or_else(|| validation("A parameter type is required when you create a parameter."))?;
    let was_advanced = previous.is_some_and(|p| p.tier == ParameterTier::Advanced);
    let tier = match input.tier {
        Some(ParameterTier::Standard) if was_advanced => {
            return Err(validation(
                "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the \
                 advanced-parameter tier to the standard-parameter tier.",
            ));
        }
        Some(ParameterTier::Advanced) => ParameterTier::Advanced,
        Some(ParameterTier::IntelligentTiering) if value_len > STANDARD_MAX_VALUE => ParameterTier::Advanced,
        // No tier keeps the previous one.
        _ if was_advanced => ParameterTier::Advanced,
        _ => ParameterTier::Standard,
    };
    let (max, which) = match tier {
        ParameterTier::Advanced => (ADVANCED_MAX_VALUE, "Advanced"),
        _ => (STANDARD_MAX_VALUE, "Standard"),
    };
    if value_len > max {
        return Err(validation(format!(
            "{which} tier parameters support a maximum parameter value of {max} characters. To create a larger \
             parameter value, upgrade the parameter to use the advanced-parameter tier."
        )));
    }
    let data_type = input.data_type.clone().or(previous.map(|p| p.data_type.clone())).unwrap_or_else(|| "text".into());
    if !DATA_TYPES.contains(&data_type.as_str()) {
        return Err(validation(format!(
            "The following data type is not supported: {data_type} (Data type names are all lowercase.)"
        )));
    }
    let allowed_pattern = input.allowed_pattern.clone().or(previous.and_then(|p| p.allowed_pattern.clone()));
    if let Some(pattern) = &allowed_pattern {
        check_pattern(pattern, input.value.as_deref().unwrap_or_default())?;
    }
    let key_id = match kind {
        ParameterType::SecureString => Some(
            input.key_id.clone().or(previous.and_then(|p| p.key_id.clone())).unwrap_or_else(|| DEFAULT_KEY_ID.into()),
        ),
        _ => None,
    };
    Ok(Stored {
        r#type: kind,
        description: input.description.clone().or(previous.and_then(|p| p.description.clone())),
        data_type,
        tier,
        key_id,
        allowed_pattern,
    })
}

/// AllowedPattern is a regular expression the whole value must match.
fn check_pattern(pattern: &str, value: &str) -> Result<(), ApiError> {
    let re = regex::Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
        ApiError::Named("InvalidAllowedPatternException", format!("The allowed pattern {pattern} is not valid: {e}"))
    })?;
    if !re.is_match(value) {
        return Err(ApiError::Named(
            "ParameterPatternMismatchException",
            format!("Parameter value, cannot be validated against allowedPattern: {pattern}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;

//! A build's Parameter Store and Secrets Manager variables, resolved from Kiln's own stores for
//! the executor, with the phase contexts CodeBuild records when one cannot be resolved.
//!
//! Parameter Store variables name a parameter (a `name:version` selector works too).
//! Secrets Manager variables are `secret-id:json-key:version-stage:version-id`, every part
//! after the id optional (an empty part means the default: the whole SecretString, AWSCURRENT).
//! The secret id may be an ARN, whose own colons belong to the id.

use kiln_store::Store;

use crate::secrets::{SecretValue, VersionQuery, read_value};
use crate::{ApiError, Config, ssm};

/// CodeBuild's phase context status codes when a variable cannot be resolved.
pub const PARAMETER_ERROR: &str = "Decrypted Variables Error";
pub const SECRET_ERROR: &str = "Secrets Manager Error";

/// Why a variable could not be resolved: a phase context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    pub status_code: &'static str,
    pub message: String,
}

/// The (decrypted) value of a parameter.
pub fn parameter(store: &dyn Store, config: &Config, name: &str) -> Result<String, Unresolved> {
    let fail = |message: String| Unresolved { status_code: PARAMETER_ERROR, message };
    let selector = ssm::parse_selector(name);
    let record = ssm::find(store, &selector).map_err(|e| match e {
        // What CodeBuild says, naming the parameter.
        ApiError::Named("ParameterNotFound" | "ParameterVersionNotFound", _) => {
            fail(format!("parameter does not exist: {name}"))
        }
        other => fail(other.to_string()),
    })?;
    ssm::plaintext(&config.vault, &record).map(|(value, _)| value).map_err(|e| fail(e.to_string()))
}

/// The parts of a Secrets Manager variable's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretReference<'a> {
    pub secret_id: &'a str,
    pub json_key: Option<&'a str>,
    pub version_stage: Option<&'a str>,
    pub version_id: Option<&'a str>,
}

pub fn parse_reference(reference: &str) -> SecretReference<'_> {
    // An ARN `arn:aws:secretsmanager:<region>:<account>:secret:<name>` has six colons of its own.
    let id_colons = if reference.starts_with("arn:") { 6 } else { 0 };
    let split_at = reference.match_indices(':').nth(id_colons).map(|(i, _)| i);
    let (secret_id, rest) = match split_at {
        Some(i) => (&reference[..i], Some(&reference[i + 1..])),
        None => (reference, None),
    };
    let mut parts = rest.unwrap_or_default().splitn(3, ':').map(|p| Some(p).filter(|p| !p.is_empty()));
    SecretReference {
        secret_id,
        json_key: parts.next().flatten(),
        version_stage: parts.next().flatten(),
        version_id: parts.next().flatten(),
    }
}

/// The value a Secrets Manager variable names: the SecretString, or one key of it as JSON.
pub fn secret(store: &dyn Store, config: &Config, reference: &str) -> Result<String, Unresolved> {
    let fail = |message: String| Unresolved { status_code: SECRET_ERROR, message };
    let r = parse_reference(reference);
    let id = r.secret_id;
    let query = VersionQuery { version_id: r.version_id, stage: r.version_stage };
    let (_, _, value) = read_value(store, config, id, query).map_err(|e| match e {
        ApiError::Named(code, message) => fail(format!("{code}: {message} (secret-id: {id})")),
        other => fail(format!("{other} (secret-id: {id})")),
    })?;
    let SecretValue::Text(text) = value else {
        return Err(fail(format!("secret {id} holds a SecretBinary; build variables take a SecretString")));
    };
    let Some(key) = r.json_key else { return Ok(text) };
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|_| fail(format!("secret {id} is not JSON, so it has no key {key}")))?;
    match json.get(key) {
        Some(serde_json::Value::String(s)) => Ok(s.clone()),
        Some(other) => Ok(other.to_string()),
        None => Err(fail(format!("json key not found: {key} (secret-id: {id})"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(r: &str) -> (&str, Option<&str>, Option<&str>, Option<&str>) {
        let p = parse_reference(r);
        (p.secret_id, p.json_key, p.version_stage, p.version_id)
    }

    #[test]
    fn references() {
        assert_eq!(parts("db"), ("db", None, None, None));
        assert_eq!(parts("db:password"), ("db", Some("password"), None, None));
        assert_eq!(parts("db::AWSPREVIOUS"), ("db", None, Some("AWSPREVIOUS"), None));
        assert_eq!(parts("db:k::v-1"), ("db", Some("k"), None, Some("v-1")));
        assert_eq!(parts("db:k:AWSCURRENT:v-1"), ("db", Some("k"), Some("AWSCURRENT"), Some("v-1")));
        let arn = "arn:aws:secretsmanager:us-east-1:000000000000:secret:prod/db-AbCdEf";
        assert_eq!(parts(arn), (arn, None, None, None));
        assert_eq!(parts(&format!("{arn}:user")), (arn, Some("user"), None, None));
        assert_eq!(parts(&format!("{arn}:user:AWSCURRENT")), (arn, Some("user"), Some("AWSCURRENT"), None));
    }
}

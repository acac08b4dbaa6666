//! Secret names, ARNs (with Secrets Manager's 6-character suffix) and `SecretId` lookups by
//! name, full ARN or partial ARN.

use kiln_store::{SecretRecord, Store};

use crate::{ApiError, Config, now_ms};

const SUFFIX_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Secret names: 1 to 512 of letters, digits and `/_+=.@-!`.
pub fn check_name(name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && name.chars().count() <= 512
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "/_+=.@-!".contains(c));
    if ok {
        return Ok(());
    }
    Err(ApiError::Named(
        "InvalidParameterException",
        "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!"
            .into(),
    ))
}

/// `arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 random characters>`.
pub fn new_arn(config: &Config, name: &str) -> String {
    let random = uuid::Uuid::new_v4();
    let suffix: String = random
        .as_bytes()
        .iter()
        .take(6)
        .map(|b| char::from(SUFFIX_ALPHABET[usize::from(*b) % SUFFIX_ALPHABET.len()]))
        .collect();
    format!("{}{name}-{suffix}", arn_prefix(config))
}

fn arn_prefix(config: &Config) -> String {
    format!("arn:aws:secretsmanager:{}:{}:secret:", config.region, config.account_id)
}

pub fn not_found() -> ApiError {
    ApiError::Named("ResourceNotFoundException", "Secrets Manager can't find the specified secret.".into())
}

/// The secret a `SecretId` names: a name, the full ARN, or the ARN without its random suffix.
/// A secret whose recovery window has passed is deleted here and is not found.
pub fn find(store: &dyn Store, config: &Config, id: &str) -> Result<SecretRecord, ApiError> {
    let found = match id.strip_prefix(&arn_prefix(config)) {
        Some(name) => match store.get_secret_by_arn(id)? {
            Some(secret) => Some(secret),
            None => store.get_secret(name)?,
        },
        None => store.get_secret(id)?,
    };
    let Some(secret) = found else { return Err(not_found()) };
    if secret.deletion_ms.is_some_and(|at| at <= now_ms()) {
        store.delete_secret(&secret.name)?;
        return Err(not_found());
    }
    Ok(secret)
}

/// Refuses operations on a secret scheduled for deletion, as Secrets Manager does.
pub fn check_not_scheduled(secret: &SecretRecord) -> Result<(), ApiError> {
    if secret.deletion_ms.is_some() {
        return Err(ApiError::Named(
            "InvalidRequestException",
            "You can't perform this operation on the secret because it was marked for deletion.".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["db", "prod/db-password", "a+b=c.d@e_f!"] {
            assert_eq!(check_name(ok), Ok(()), "{ok}");
        }
        for bad in ["", "a b", "é", "a:b", &"x".repeat(513)] {
            assert!(check_name(bad).is_err(), "{bad} accepted");
        }
    }
}

//! Identifier rules CodeBuild enforces beyond the model's lengths.

use crate::ApiError;

/// Project names: `[A-Za-z0-9][A-Za-z0-9\-_]{1,149}` (the model's pattern).
pub fn check_project_name(field: &str, name: &str) -> Result<(), ApiError> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let len = name.chars().count();
    if first_ok && rest_ok && (2..=150).contains(&len) {
        return Ok(());
    }
    Err(ApiError::InvalidInput(format!(
        "1 validation error detected: Value '{name}' at '{field}' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: [A-Za-z0-9][A-Za-z0-9\\-_]{{1,149}}"
    )))
}

/// A build id is `<project>:<uuid>`; ARNs are accepted where ids are.
pub fn build_id_from(id_or_arn: &str) -> &str {
    match id_or_arn.find(":build/") {
        Some(i) if id_or_arn.starts_with("arn:") => &id_or_arn[i + ":build/".len()..],
        _ => id_or_arn,
    }
}

/// A project may be named by name or by ARN in some operations.
pub fn project_name_from(name_or_arn: &str) -> &str {
    match name_or_arn.find(":project/") {
        Some(i) if name_or_arn.starts_with("arn:") => &name_or_arn[i + ":project/".len()..],
        _ => name_or_arn,
    }
}

/// The `queuedTimeoutInMinutes` range: the scheduler relies on the minimum to look for
/// expired queued builds only when one can have expired.
pub const QUEUED_TIMEOUT_MINUTES: (i32, i32) = (5, 480);

/// The `timeoutInMinutes` range (5..=2160) and `queuedTimeoutInMinutes` range (5..=480).
pub fn check_range(field: &str, value: Option<i32>, min: i32, max: i32) -> Result<(), ApiError> {
    match value {
        Some(v) if v < min || v > max => Err(ApiError::InvalidInput(format!(
            "1 validation error detected: Value '{v}' at '{field}' failed to satisfy constraint: \
             Member must have value {}",
            if v < min { format!("greater than or equal to {min}") } else { format!("less than or equal to {max}") }
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_names() {
        assert!(check_project_name("name", "learn_codebuild_single").is_ok());
        assert!(check_project_name("name", "a-b").is_ok());
        assert!(check_project_name("name", "a").is_err());
        assert!(check_project_name("name", "-ab").is_err());
        assert!(check_project_name("name", "a b").is_err());
        assert!(check_project_name("name", &"a".repeat(151)).is_err());
        assert!(check_project_name("name", &"a".repeat(150)).is_ok());
    }

    #[test]
    fn ids_and_arns() {
        assert_eq!(build_id_from("arn:aws:codebuild:us-east-1:000000000000:build/p:u"), "p:u");
        assert_eq!(build_id_from("p:u"), "p:u");
        assert_eq!(project_name_from("arn:aws:codebuild:us-east-1:1:project/p1"), "p1");
    }

    #[test]
    fn ranges() {
        assert!(check_range("timeoutInMinutes", Some(4), 5, 2160).is_err());
        assert!(check_range("timeoutInMinutes", Some(2161), 5, 2160).is_err());
        assert!(check_range("timeoutInMinutes", Some(5), 5, 2160).is_ok());
        assert!(check_range("timeoutInMinutes", None, 5, 2160).is_ok());
    }
}

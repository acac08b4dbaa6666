//! Parameter names as Parameter Store checks them, `name:version` selectors, and ARNs.

use crate::ApiError;

/// Parameter Store's hierarchy depth limit.
const MAX_LEVELS: usize = 15;

fn validation(message: impl Into<String>) -> ApiError {
    ApiError::Named("ValidationException", message.into())
}

/// Checks a name for PutParameter: letters, digits, `_.-` and `/` separators; a name with a
/// `/` is a path and starts with one; no `aws` or `ssm` prefix; at most 15 levels.
pub fn check_name(name: &str) -> Result<(), ApiError> {
    const RULE: &str = "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). If formed as \
        a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of \
        letters, numbers and the following 3 symbols .-_";
    let chars_ok = name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/'));
    let bare = name.trim_start_matches('/').to_ascii_lowercase();
    let reserved = bare.starts_with("aws") || bare.starts_with("ssm");
    let empty_level = name.contains("//") || name.ends_with('/');
    if name.is_empty() || !chars_ok || reserved || empty_level {
        return Err(validation(RULE));
    }
    if name.contains('/') && !name.starts_with('/') {
        return Err(validation(format!("Parameter name must be a fully qualified name: {name}")));
    }
    if name.matches('/').count() > MAX_LEVELS {
        return Err(ApiError::Named(
            "HierarchyLevelLimitExceededException",
            format!("A hierarchy can have a maximum of {MAX_LEVELS} levels: {name}"),
        ));
    }
    Ok(())
}

/// What a GetParameter name asks for: a name (or the parameter's ARN), optionally with
/// `:<version>` or `:<label>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    pub name: String,
    pub version: Option<i64>,
    /// A label selector; Kiln has no labels, so one never matches.
    pub label: Option<String>,
    /// The `:<...>` part as given, echoed in `Parameter.Selector`.
    pub raw: Option<String>,
}

/// Names cannot contain `:`, so the first `:` after the ARN's own starts a selector.
pub fn parse_selector(input: &str) -> Selector {
    let name_part = match input.strip_prefix("arn:") {
        Some(_) => arn_name(input).unwrap_or(input),
        None => input,
    };
    let (name, raw) = match name_part.split_once(':') {
        Some((name, sel)) => (name, Some(sel)),
        None => (name_part, None),
    };
    // An ARN drops the leading `/` of a path.
    let name = if input.starts_with("arn:") && name.contains('/') { format!("/{name}") } else { name.to_string() };
    let version = raw.and_then(|s| s.parse::<i64>().ok());
    let label = raw.filter(|_| version.is_none()).map(str::to_string);
    Selector { name, version, label, raw: raw.map(|s| format!(":{s}")) }
}

/// The part of `arn:aws:ssm:<region>:<account>:parameter/<name>[:selector]` after `parameter/`.
fn arn_name(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    let (_, _, service, _, _, rest) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if service != "ssm" {
        return None;
    }
    rest.strip_prefix("parameter/")
}

/// The ARN of a parameter: `/a/b` and `a` give `parameter/a/b` and `parameter/a`.
pub fn parameter_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:ssm:{region}:{account}:parameter/{}", name.trim_start_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["plain", "/a/b", "/app/db-password_1.2", "x.y-z"] {
            assert_eq!(check_name(ok), Ok(()), "{ok}");
        }
        for bad in ["", "a b", "a/b", "/a//b", "/a/", "aws-thing", "/SSM/x", "é", "a:1"] {
            assert!(check_name(bad).is_err(), "{bad} accepted");
        }
        let deep = "/l".repeat(16);
        assert!(matches!(check_name(&deep), Err(ApiError::Named("HierarchyLevelLimitExceededException", _))));
        assert_eq!(check_name(&"/l".repeat(15)), Ok(()));
    }

    #[test]
    fn selectors() {
        let s = parse_selector("/app/db:3");
        assert_eq!((s.name.as_str(), s.version, s.label, s.raw.as_deref()), ("/app/db", Some(3), None, Some(":3")));
        let s = parse_selector("plain");
        assert_eq!((s.name.as_str(), s.version, s.raw), ("plain", None, None));
        let s = parse_selector("/p:prod");
        assert_eq!((s.version, s.label.as_deref()), (None, Some("prod")));
        let s = parse_selector("arn:aws:ssm:us-east-1:000000000000:parameter/app/db:2");
        assert_eq!((s.name.as_str(), s.version), ("/app/db", Some(2)));
        let s = parse_selector("arn:aws:ssm:us-east-1:000000000000:parameter/plain");
        assert_eq!(s.name, "plain");
    }

    #[test]
    fn arns() {
        assert_eq!(parameter_arn("r", "1", "/a/b"), "arn:aws:ssm:r:1:parameter/a/b");
        assert_eq!(parameter_arn("r", "1", "a"), "arn:aws:ssm:r:1:parameter/a");
    }
}

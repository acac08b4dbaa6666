//! Log group and stream names and ARNs: group `/aws/codebuild/<project>`, stream `<build uuid>`.

use crate::{ApiError, Config};

const GROUP_PREFIX: &str = "/aws/codebuild/";

pub fn group_name(project: &str) -> String {
    format!("{GROUP_PREFIX}{project}")
}

/// The project behind a group name, when it is a CodeBuild group at all.
pub fn project_of(group: &str) -> Option<&str> {
    group.strip_prefix(GROUP_PREFIX).filter(|p| !p.is_empty() && !p.contains(':'))
}

/// A build id's stream name: the part after `<project>:`.
pub fn stream_of(build_id: &str) -> &str {
    build_id.split_once(':').map_or(build_id, |(_, uuid)| uuid)
}

/// `arn:aws:logs:<region>:<account>:log-group:<name>` (DescribeLogGroups' `logGroupArn`).
pub fn group_arn(config: &Config, group: &str) -> String {
    format!("arn:aws:logs:{}:{}:log-group:{group}", config.region, config.account_id)
}

pub fn stream_arn(config: &Config, group: &str, stream: &str) -> String {
    format!("{}:log-stream:{stream}", group_arn(config, group))
}

/// The group a request names, by `logGroupName` or `logGroupIdentifier` (a name or an ARN).
pub fn requested_group(name: Option<&str>, identifier: Option<&str>) -> Result<String, ApiError> {
    match (name, identifier) {
        (Some(name), None) => Ok(name.to_string()),
        (None, Some(id)) => Ok(group_from_identifier(id).to_string()),
        (Some(_), Some(_)) => {
            Err(ApiError::InvalidInput("LogGroup name and LogGroup ARN are mutually exclusive parameters.".to_string()))
        }
        (None, None) => {
            Err(ApiError::InvalidInput("Should provide either logGroupName or logGroupIdentifier.".to_string()))
        }
    }
}

/// A group name from a name or an ARN (`...:log-group:<name>` with an optional `:*`).
pub fn group_from_identifier(id: &str) -> &str {
    match id.find(":log-group:") {
        Some(i) if id.starts_with("arn:") => {
            let name = &id[i + ":log-group:".len()..];
            name.strip_suffix(":*").unwrap_or(name)
        }
        _ => id,
    }
}

pub fn group_not_found() -> ApiError {
    ApiError::ResourceNotFound("The specified log group does not exist.".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_and_streams() {
        assert_eq!(project_of(&group_name("p1")), Some("p1"));
        assert_eq!(project_of("/aws/codebuild/"), None);
        assert_eq!(project_of("/aws/lambda/f"), None);
        assert_eq!(project_of("/aws/codebuild/a:b"), None);
        assert_eq!(stream_of("p:1234-ab"), "1234-ab");
    }

    #[test]
    fn identifiers() {
        assert_eq!(group_from_identifier("arn:aws:logs:us-east-1:1:log-group:/aws/codebuild/p:*"), "/aws/codebuild/p");
        assert_eq!(group_from_identifier("arn:aws:logs:us-east-1:1:log-group:/aws/codebuild/p"), "/aws/codebuild/p");
        assert_eq!(group_from_identifier("/aws/codebuild/p"), "/aws/codebuild/p");
        assert_eq!(requested_group(Some("g"), None), Ok("g".to_string()));
        assert!(requested_group(Some("g"), Some("g")).is_err());
        assert!(requested_group(None, None).is_err());
    }
}

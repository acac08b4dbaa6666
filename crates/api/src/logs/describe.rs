//! DescribeLogGroups and DescribeLogStreams: the projects whose builds have logs, and those
//! builds. Both lists are small (groups per server, streams per project), so they are read
//! whole, then filtered, sorted and paged here.

use kiln_model::logs::{
    DescribeLogGroupsRequest, DescribeLogGroupsResponse, DescribeLogStreamsRequest, DescribeLogStreamsResponse,
    LogGroup, LogGroupClass, LogStream, OrderBy,
};
use kiln_store::LogStreamInfo;

use super::names::{
    group_arn, group_from_identifier, group_name, group_not_found, project_of, requested_group, stream_arn, stream_of,
};
use crate::{Api, ApiError};

/// CloudWatch's default and maximum page size for both operations.
const MAX_PAGE: usize = 50;

fn page_size(limit: Option<i32>) -> usize {
    limit.and_then(|l| usize::try_from(l).ok()).filter(|l| *l >= 1).map_or(MAX_PAGE, |l| l.min(MAX_PAGE))
}

impl Api {
    pub fn describe_log_groups(&self, input: DescribeLogGroupsRequest) -> Result<DescribeLogGroupsResponse, ApiError> {
        kiln_model::validate(&input)?;
        if input.log_group_name_prefix.is_some() && input.log_group_name_pattern.is_some() {
            return Err(ApiError::InvalidInput(
                "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.".to_string(),
            ));
        }
        let prefix = input.log_group_name_prefix.as_deref().unwrap_or("");
        // CloudWatch matches the pattern as a case-insensitive substring.
        let pattern = input.log_group_name_pattern.as_deref().unwrap_or("").to_lowercase();
        let wanted: Option<Vec<&str>> =
            input.log_group_identifiers.as_ref().map(|ids| ids.iter().map(|id| group_from_identifier(id)).collect());
        let after = input.next_token.as_deref();
        let limit = page_size(input.limit);

        // The store lists projects by name, which is also group-name order.
        let mut names = self
            .store
            .log_groups()?
            .into_iter()
            .map(|g| (group_name(&g.project), g.created_ms))
            .filter(|(name, _)| name.starts_with(prefix) && name.to_lowercase().contains(&pattern))
            .filter(|(name, _)| wanted.as_ref().is_none_or(|w| w.contains(&name.as_str())))
            .filter(|(name, _)| after.is_none_or(|a| name.as_str() > a))
            .peekable();
        let mut groups = Vec::new();
        while groups.len() < limit {
            let Some((name, created_ms)) = names.next() else { break };
            groups.push(self.log_group(name, created_ms));
        }
        let next_token = match names.peek() {
            Some(_) => groups.last().and_then(|g| g.log_group_name.clone()),
            None => None,
        };
        Ok(DescribeLogGroupsResponse { log_groups: Some(groups), next_token })
    }

    fn log_group(&self, name: String, created_ms: i64) -> LogGroup {
        let arn = group_arn(&self.config, &name);
        LogGroup {
            arn: Some(format!("{arn}:*")),
            log_group_arn: Some(arn),
            creation_time: Some(created_ms),
            log_group_class: Some(LogGroupClass::Standard),
            metric_filter_count: Some(0),
            stored_bytes: Some(0),
            log_group_name: Some(name),
            ..LogGroup::default()
        }
    }

    pub fn describe_log_streams(
        &self,
        input: DescribeLogStreamsRequest,
    ) -> Result<DescribeLogStreamsResponse, ApiError> {
        kiln_model::validate(&input)?;
        let group = requested_group(input.log_group_name.as_deref(), input.log_group_identifier.as_deref())?;
        let by_time = input.order_by == Some(OrderBy::LastEventTime);
        if by_time && input.log_stream_name_prefix.is_some() {
            return Err(ApiError::InvalidInput(
                "Cannot order by LastEventTime with a logStreamNamePrefix.".to_string(),
            ));
        }
        let project = project_of(&group).ok_or_else(group_not_found)?;
        let streams = self.store.log_streams(project)?;
        if streams.is_empty() {
            return Err(group_not_found());
        }
        let prefix = input.log_stream_name_prefix.as_deref().unwrap_or("");
        let mut keyed: Vec<(StreamKey, &LogStreamInfo)> = streams
            .iter()
            .filter(|s| stream_of(&s.build_id).starts_with(prefix))
            .map(|s| (StreamKey { time: if by_time { s.last_event_ms } else { 0 }, name: stream_of(&s.build_id) }, s))
            .collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        let descending = input.descending == Some(true);
        if descending {
            keyed.reverse();
        }
        let after = input.next_token.as_deref().map(StreamKey::parse).transpose()?;
        let limit = page_size(input.limit);
        let mut rest = keyed
            .into_iter()
            .filter(|(key, _)| after.as_ref().is_none_or(|a| if descending { key < a } else { key > a }))
            .peekable();
        let mut page = Vec::new();
        let mut last_key = None;
        while page.len() < limit {
            let Some((key, info)) = rest.next() else { break };
            page.push(self.log_stream(&group, info));
            last_key = Some(key);
        }
        let next_token = match (rest.peek(), last_key) {
            (Some(_), Some(key)) => Some(key.token()),
            _ => None,
        };
        Ok(DescribeLogStreamsResponse { log_streams: Some(page), next_token })
    }

    fn log_stream(&self, group: &str, info: &LogStreamInfo) -> LogStream {
        let name = stream_of(&info.build_id);
        LogStream {
            arn: Some(stream_arn(&self.config, group, name)),
            creation_time: Some(info.created_ms),
            first_event_timestamp: Some(info.first_event_ms),
            last_event_timestamp: Some(info.last_event_ms),
            last_ingestion_time: Some(info.last_ingestion_ms),
            log_stream_name: Some(name.to_string()),
            stored_bytes: Some(0),
            upload_sequence_token: None,
        }
    }
}

/// A stream's place in the chosen order; `time` is 0 when ordering by name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct StreamKey<'a> {
    time: i64,
    name: &'a str,
}

impl<'a> StreamKey<'a> {
    fn token(&self) -> String {
        format!("{}/{}", self.time, self.name)
    }

    fn parse(token: &'a str) -> Result<Self, ApiError> {
        let bad = || ApiError::InvalidInput("The specified nextToken is invalid.".to_string());
        let (time, name) = token.split_once('/').ok_or_else(bad)?;
        Ok(StreamKey { time: time.parse().map_err(|_| bad())?, name })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes() {
        assert_eq!(page_size(None), 50);
        assert_eq!(page_size(Some(3)), 3);
        assert_eq!(page_size(Some(0)), 50);
        assert_eq!(page_size(Some(500)), 50);
    }

    #[test]
    fn stream_tokens() {
        let key = StreamKey { time: 12, name: "a/b" };
        let token = key.token();
        assert_eq!(StreamKey::parse(&token), Ok(key));
        assert!(StreamKey::parse("nope").is_err());
        assert!(StreamKey::parse("x/y").is_err());
    }
}

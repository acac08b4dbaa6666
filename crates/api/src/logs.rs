//! CloudWatch Logs over the builds' logs: group `/aws/codebuild/<project>`, stream `<build uuid>`,
//! as CodeBuild fills `Build.logs`. GetLogEvents is here; the other operations in `logs/`.

mod describe;
mod filter;
pub mod names;
#[cfg(test)]
mod operation_tests;
mod pattern;

use kiln_model::logs::{GetLogEventsRequest, GetLogEventsResponse, OutputLogEvent};
use kiln_store::LogQuery;

use crate::{Api, ApiError};

/// CloudWatch's default and maximum page size.
const MAX_EVENTS: usize = 10_000;

/// Where a token says to continue: forward from a position, or backward from one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cursor {
    Forward(i64),
    Backward(i64),
}

fn parse_token(token: &str) -> Result<Cursor, ApiError> {
    let bad = || ApiError::InvalidInput("The specified nextToken is invalid.".to_string());
    let (dir, pos) = token.split_once('/').ok_or_else(bad)?;
    let pos: i64 = pos.parse().map_err(|_| bad())?;
    match dir {
        "f" => Ok(Cursor::Forward(pos)),
        "b" => Ok(Cursor::Backward(pos)),
        _ => Err(bad()),
    }
}

/// The build id behind a CodeBuild log group and stream.
pub fn build_id_for_stream(group: &str, stream: &str) -> Option<String> {
    let project = names::project_of(group)?;
    if stream.is_empty() || stream.contains(':') {
        return None;
    }
    Some(format!("{project}:{stream}"))
}

impl Api {
    pub fn get_log_events(&self, input: GetLogEventsRequest) -> Result<GetLogEventsResponse, ApiError> {
        kiln_model::validate(&input)?;
        let group = input.log_group_name.clone().unwrap_or_default();
        let stream = input.log_stream_name.clone().unwrap_or_default();
        let not_found = || ApiError::ResourceNotFound("The specified log stream does not exist.".to_string());
        let build_id = build_id_for_stream(&group, &stream).ok_or_else(not_found)?;
        // A stream that has events exists: the build is looked up only when a read is empty (or
        // the token is bad), so the common read is one store call.
        let missing = || -> Result<bool, ApiError> { Ok(self.store.get_build(&build_id)?.is_none()) };
        let limit = match input.limit {
            Some(l) if l >= 1 => (l as usize).min(MAX_EVENTS),
            _ => MAX_EVENTS,
        };
        // `None`: the end of the stream, read backwards.
        let (from, forward) = match input.next_token.as_deref() {
            Some(t) => match parse_token(t) {
                Ok(Cursor::Forward(p)) => (Some(p), true),
                Ok(Cursor::Backward(p)) => (Some(p), false),
                Err(e) => return Err(if missing()? { not_found() } else { e }),
            },
            None if input.start_from_head == Some(true) => (Some(0), true),
            None => (None, false),
        };
        let events = self.store.read_log(
            &build_id,
            &LogQuery { from, forward, limit, start_ms: input.start_time, end_ms: input.end_time },
        )?;
        if events.is_empty() && missing()? {
            return Err(not_found());
        }
        // Tokens point just past the page in each direction; at either end of the stream the
        // same token comes back, which is how CloudWatch tells a reader it has caught up.
        let (next_forward, next_backward) = match (events.first(), events.last()) {
            (Some(first), Some(last)) => (last.seq + 1, first.seq),
            _ => {
                let at = match from {
                    Some(at) => at,
                    None => self.store.log_len(&build_id)?,
                };
                (at, at)
            }
        };
        Ok(GetLogEventsResponse {
            events: Some(
                events
                    .into_iter()
                    .map(|e| OutputLogEvent {
                        timestamp: Some(e.timestamp_ms),
                        message: Some(e.message),
                        ingestion_time: Some(e.ingestion_ms),
                    })
                    .collect(),
            ),
            next_forward_token: Some(format!("f/{next_forward}")),
            next_backward_token: Some(format!("b/{next_backward}")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        assert_eq!(parse_token("f/12"), Ok(Cursor::Forward(12)));
        assert_eq!(parse_token("b/0"), Ok(Cursor::Backward(0)));
        assert!(parse_token("x/1").is_err());
        assert!(parse_token("f/abc").is_err());
        assert!(parse_token("").is_err());
    }

    #[test]
    fn streams() {
        assert_eq!(build_id_for_stream("/aws/codebuild/p", "u-1").as_deref(), Some("p:u-1"));
        assert_eq!(build_id_for_stream("/other/p", "u"), None);
        assert_eq!(build_id_for_stream("/aws/codebuild/", "u"), None);
        assert_eq!(build_id_for_stream("/aws/codebuild/p", "a:b"), None);
    }
}

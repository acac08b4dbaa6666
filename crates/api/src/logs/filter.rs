//! FilterLogEvents: a group's streams (all, named, or by prefix) read together in time order,
//! matched against a term filter pattern. One store scan per call, stopped at `limit` matches
//! or after a bounded number of events read; either way the token says where to go on, as
//! CloudWatch's does (a page may be empty and still have a token).

use std::collections::HashSet;

use kiln_model::logs::{FilterLogEventsRequest, FilterLogEventsResponse, FilteredLogEvent, SearchedLogStream};
use kiln_store::{LogPosition, LogScan, LogStreamInfo, ScannedEvent};

use super::names::{group_not_found, project_of, requested_group, stream_of};
use super::pattern::Pattern;
use crate::{Api, ApiError};

/// CloudWatch's default and maximum page size.
const MAX_EVENTS: usize = 10_000;
/// Events read per call before answering with what matched so far and a token.
const SCAN_BUDGET: usize = 100_000;

impl Api {
    pub fn filter_log_events(&self, input: FilterLogEventsRequest) -> Result<FilterLogEventsResponse, ApiError> {
        self.filter_log_events_reading(input, SCAN_BUDGET)
    }

    /// FilterLogEvents reading at most `budget` events.
    pub(super) fn filter_log_events_reading(
        &self,
        input: FilterLogEventsRequest,
        budget: usize,
    ) -> Result<FilterLogEventsResponse, ApiError> {
        kiln_model::validate(&input)?;
        let group = requested_group(input.log_group_name.as_deref(), input.log_group_identifier.as_deref())?;
        if input.log_stream_names.is_some() && input.log_stream_name_prefix.is_some() {
            return Err(ApiError::InvalidInput(
                "logStreamNames and logStreamNamePrefix are mutually exclusive parameters.".to_string(),
            ));
        }
        let pattern = Pattern::parse(input.filter_pattern.as_deref().unwrap_or("")).map_err(ApiError::InvalidInput)?;
        let project = project_of(&group).ok_or_else(group_not_found)?;
        let streams = self.store.log_streams(project)?;
        if streams.is_empty() {
            return Err(group_not_found());
        }
        let selected =
            select_streams(&streams, input.log_stream_names.as_deref(), input.log_stream_name_prefix.as_deref());
        let limit = input.limit.and_then(|l| usize::try_from(l).ok()).map_or(MAX_EVENTS, |l| l.clamp(1, MAX_EVENTS));
        let after = input.next_token.as_deref().map(parse_token).transpose()?;

        let scan = LogScan {
            build_ids: selected.iter().map(|s| s.build_id.clone()).collect(),
            after,
            limit: budget,
            start_ms: input.start_time,
            end_ms: input.end_time,
        };
        let mut events = Vec::new();
        let mut read = 0;
        let mut last = None;
        self.store.scan_logs(&scan, &mut |scanned| {
            read += 1;
            last = Some(position(&scanned));
            if pattern.matches(&scanned.event.message) {
                events.push(filtered(scanned));
            }
            events.len() < limit
        })?;
        // Done when the scan ran out of events before either bound. A full page may end at the
        // last event; the next call then finds nothing and ends without a token, as
        // CloudWatch's paging does.
        let finished = events.len() < limit && read < budget;
        let after = last.or(scan.after);
        let next_token = match (finished, &after) {
            (false, Some(p)) => Some(token(p)),
            _ => None,
        };
        Ok(FilterLogEventsResponse {
            events: Some(events),
            searched_log_streams: Some(
                selected
                    .iter()
                    .map(|s| SearchedLogStream {
                        log_stream_name: Some(stream_of(&s.build_id).to_string()),
                        searched_completely: Some(finished),
                    })
                    .collect(),
            ),
            next_token,
        })
    }
}

/// The streams a request asks for; names that are not streams of the group are ignored.
fn select_streams<'a>(
    streams: &'a [LogStreamInfo],
    names: Option<&[String]>,
    prefix: Option<&str>,
) -> Vec<&'a LogStreamInfo> {
    let names: Option<HashSet<&str>> = names.map(|n| n.iter().map(String::as_str).collect());
    streams
        .iter()
        .filter(|s| {
            let name = stream_of(&s.build_id);
            names.as_ref().is_none_or(|n| n.contains(name)) && prefix.is_none_or(|p| name.starts_with(p))
        })
        .collect()
}

fn position(scanned: &ScannedEvent) -> LogPosition {
    LogPosition { timestamp_ms: scanned.event.timestamp_ms, build_id: scanned.build_id.clone(), seq: scanned.event.seq }
}

fn filtered(scanned: ScannedEvent) -> FilteredLogEvent {
    let stream = stream_of(&scanned.build_id);
    FilteredLogEvent {
        // Unique within the group and stable across calls: `aws logs tail` relies on both.
        event_id: Some(format!("{stream}/{}", scanned.event.seq)),
        ingestion_time: Some(scanned.event.ingestion_ms),
        log_stream_name: Some(stream.to_string()),
        message: Some(scanned.event.message),
        timestamp: Some(scanned.event.timestamp_ms),
    }
}

/// `<timestamp>/<seq>/<build id>`: build ids contain no `/`, and come last regardless.
fn token(p: &LogPosition) -> String {
    format!("{}/{}/{}", p.timestamp_ms, p.seq, p.build_id)
}

fn parse_token(token: &str) -> Result<LogPosition, ApiError> {
    let bad = || ApiError::InvalidInput("The specified nextToken is invalid.".to_string());
    let mut parts = token.splitn(3, '/');
    let (Some(ts), Some(seq), Some(build_id)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    Ok(LogPosition {
        timestamp_ms: ts.parse().map_err(|_| bad())?,
        seq: seq.parse().map_err(|_| bad())?,
        build_id: build_id.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(id: &str) -> LogStreamInfo {
        LogStreamInfo {
            build_id: id.to_string(),
            created_ms: 0,
            first_event_ms: 0,
            last_event_ms: 0,
            last_ingestion_ms: 0,
        }
    }

    #[test]
    fn tokens_round_trip() {
        let p = LogPosition { timestamp_ms: 17, build_id: "p:ab-cd".into(), seq: 4 };
        assert_eq!(parse_token(&token(&p)), Ok(p));
        for bad in ["", "1/2", "x/2/p:a", "1/y/p:a"] {
            assert!(parse_token(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn streams_by_name_or_prefix() {
        let all = [info("p:aa1"), info("p:ab2"), info("p:b3")];
        let ids = |v: Vec<&LogStreamInfo>| v.into_iter().map(|s| s.build_id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(select_streams(&all, None, None)).len(), 3);
        assert_eq!(ids(select_streams(&all, None, Some("a"))), ["p:aa1", "p:ab2"]);
        let names = ["b3".to_string(), "zz".to_string()];
        assert_eq!(ids(select_streams(&all, Some(&names), None)), ["p:b3"]);
    }
}

//! The Logs operations over a real (in-memory) store: two streams written at interleaved times.

use kiln_model::logs::{
    DescribeLogGroupsRequest, DescribeLogStreamsRequest, FilterLogEventsRequest, GetLogEventsRequest,
    GetLogEventsResponse, OrderBy,
};
use kiln_store::{BuildRecord, BuildState, LogEvent, ProjectRecord};

use crate::{Api, ApiError};

const GROUP: &str = "/aws/codebuild/web";

fn build(api: &Api, project: &str, uuid: &str, submitted_ms: i64, lines: &[(i64, &str)]) {
    let record = BuildRecord {
        id: format!("{project}:{uuid}"),
        project: project.to_string(),
        number: 0,
        state: BuildState::Done,
        submitted_ms,
        stop_requested: false,
        doc: "{}".to_string(),
        settings: String::new(),
    };
    api.store.insert_build(&record, &|_| "{}".to_string(), None).expect("insert build");
    let events: Vec<LogEvent> = lines
        .iter()
        .map(|(t, m)| LogEvent { seq: 0, timestamp_ms: *t, ingestion_ms: t + 1, message: m.to_string() })
        .collect();
    api.store.append_log(&record.id, &events).expect("append");
}

/// Project `web` with streams `u1` and `u2`, project `api` with `u3`, project `idle` without logs.
fn fixture() -> Api {
    let api = crate::testing::api();
    for name in ["web", "api", "idle"] {
        let project = ProjectRecord { name: name.into(), created_ms: 1, modified_ms: 1, doc: "{}".into() };
        api.store.create_project(&project).expect("project");
    }
    build(&api, "web", "u1", 100, &[(1000, "start u1"), (1002, "ERROR disk"), (1004, "done u1")]);
    build(&api, "web", "u2", 200, &[(1001, "start u2"), (1003, "WARN slow"), (1005, "done u2")]);
    build(&api, "api", "u3", 300, &[(5000, "api only")]);
    api
}

fn filter(api: &Api, change: impl FnOnce(&mut FilterLogEventsRequest)) -> Result<Vec<String>, ApiError> {
    let mut input = FilterLogEventsRequest { log_group_name: Some(GROUP.into()), ..Default::default() };
    change(&mut input);
    let page = api.filter_log_events(input)?;
    Ok(page.events.unwrap_or_default().into_iter().filter_map(|e| e.message).collect())
}

#[test]
fn groups_are_projects_with_logs() {
    let api = fixture();
    let names = |input| -> Vec<String> {
        let out = api.describe_log_groups(input).expect("describe");
        out.log_groups.unwrap_or_default().into_iter().filter_map(|g| g.log_group_name).collect()
    };
    assert_eq!(names(DescribeLogGroupsRequest::default()), ["/aws/codebuild/api", GROUP]);
    let first = api.describe_log_groups(DescribeLogGroupsRequest { limit: Some(1), ..Default::default() }).expect("p1");
    let token = first.next_token.expect("a second page");
    let second = names(DescribeLogGroupsRequest { limit: Some(1), next_token: Some(token), ..Default::default() });
    assert_eq!(second, [GROUP]);
    let pattern = DescribeLogGroupsRequest { log_group_name_pattern: Some("WE".into()), ..Default::default() };
    assert_eq!(names(pattern), [GROUP]);
    let both = DescribeLogGroupsRequest {
        log_group_name_prefix: Some("/aws".into()),
        log_group_name_pattern: Some("w".into()),
        ..Default::default()
    };
    assert!(matches!(api.describe_log_groups(both), Err(ApiError::InvalidInput(_))));
}

#[test]
fn streams_order_and_page() {
    let api = fixture();
    let streams = |input: DescribeLogStreamsRequest| {
        let out = api.describe_log_streams(input).expect("describe");
        let names: Vec<String> =
            out.log_streams.unwrap_or_default().into_iter().filter_map(|s| s.log_stream_name).collect();
        (names, out.next_token)
    };
    let base = DescribeLogStreamsRequest { log_group_name: Some(GROUP.into()), ..Default::default() };
    assert_eq!(streams(base.clone()).0, ["u1", "u2"]);
    let (page, token) = streams(DescribeLogStreamsRequest { limit: Some(1), descending: Some(true), ..base.clone() });
    assert_eq!(page, ["u2"]);
    let rest = DescribeLogStreamsRequest { limit: Some(1), descending: Some(true), next_token: token, ..base.clone() };
    assert_eq!(streams(rest), (vec!["u1".to_string()], None));
    let by_time = DescribeLogStreamsRequest { order_by: Some(OrderBy::LastEventTime), ..base.clone() };
    assert_eq!(streams(by_time).0, ["u1", "u2"]);
    let described = api.describe_log_streams(base).expect("describe").log_streams.unwrap_or_default();
    assert_eq!(described[0].first_event_timestamp, Some(1000));
    assert_eq!(described[0].last_event_timestamp, Some(1004));
    assert_eq!(described[0].last_ingestion_time, Some(1005));
    assert_eq!(described[0].creation_time, Some(100));
    let idle = DescribeLogStreamsRequest { log_group_name: Some("/aws/codebuild/idle".into()), ..Default::default() };
    assert!(matches!(api.describe_log_streams(idle), Err(ApiError::ResourceNotFound(_))));
}

#[test]
fn filter_interleaves_matches_and_pages() {
    let api = fixture();
    let all = filter(&api, |_| {}).expect("filter");
    assert_eq!(all, ["start u1", "start u2", "ERROR disk", "WARN slow", "done u1", "done u2"]);
    assert_eq!(
        filter(&api, |i| i.filter_pattern = Some("?ERROR ?WARN".into())).expect("or"),
        ["ERROR disk", "WARN slow"]
    );
    assert_eq!(filter(&api, |i| i.filter_pattern = Some("done -u2".into())).expect("not"), ["done u1"]);
    assert_eq!(filter(&api, |i| i.log_stream_names = Some(vec!["u2".into()])).expect("names").len(), 3);
    assert_eq!(filter(&api, |i| i.start_time = Some(1003)).expect("window")[0], "WARN slow");
    assert_eq!(filter(&api, |i| i.end_time = Some(1002)).expect("window"), ["start u1", "start u2"]);
    let json = filter(&api, |i| i.filter_pattern = Some("{ $.a = 1 }".into()));
    assert!(matches!(json, Err(ApiError::InvalidInput(m)) if m.contains("JSON")));

    // Pages of two, following tokens, read the same events; the last page has no token.
    let mut token = None;
    let mut paged = Vec::new();
    for _ in 0..10 {
        let input = FilterLogEventsRequest {
            log_group_name: Some(GROUP.into()),
            limit: Some(2),
            next_token: token.take(),
            ..Default::default()
        };
        let page = api.filter_log_events(input).expect("page");
        paged.extend(page.events.unwrap_or_default().into_iter().filter_map(|e| e.message));
        match page.next_token {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    assert_eq!(paged, all);
    assert!(token.is_none(), "paging ends");
}

#[test]
fn a_spent_budget_answers_early_with_a_token() {
    let api = fixture();
    let input = |token| FilterLogEventsRequest {
        log_group_name: Some(GROUP.into()),
        filter_pattern: Some("done".into()),
        next_token: token,
        ..Default::default()
    };
    // Reading two events at a time: the first pages match nothing yet still carry a token.
    let mut pages = Vec::new();
    let mut token = None;
    for _ in 0..10 {
        let page = api.filter_log_events_reading(input(token.take()), 2).expect("page");
        let messages: Vec<String> = page.events.unwrap_or_default().into_iter().filter_map(|e| e.message).collect();
        let complete =
            page.searched_log_streams.unwrap_or_default().iter().all(|s| s.searched_completely == Some(true));
        pages.push((messages, complete));
        match page.next_token {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    let empty: Vec<String> = Vec::new();
    assert_eq!(
        pages,
        [
            (empty.clone(), false),
            (empty, false),
            (vec!["done u1".to_string(), "done u2".to_string()], false),
            (Vec::new(), true)
        ]
    );
}

fn get(
    api: &Api,
    stream: &str,
    change: impl FnOnce(&mut GetLogEventsRequest),
) -> Result<GetLogEventsResponse, ApiError> {
    let mut input = GetLogEventsRequest {
        log_group_name: Some(GROUP.into()),
        log_stream_name: Some(stream.into()),
        ..Default::default()
    };
    change(&mut input);
    api.get_log_events(input)
}

fn messages(out: &GetLogEventsResponse) -> Vec<&str> {
    out.events.iter().flatten().filter_map(|e| e.message.as_deref()).collect()
}

#[test]
fn get_log_events_reads_either_end_and_knows_missing_streams() {
    let api = fixture();
    build(&api, "web", "quiet", 400, &[]);
    // From the end by default, from the head when asked; the tokens point past the page.
    let tail = get(&api, "u1", |i| i.limit = Some(2)).expect("tail");
    assert_eq!(messages(&tail), ["ERROR disk", "done u1"]);
    assert_eq!((tail.next_forward_token.as_deref(), tail.next_backward_token.as_deref()), (Some("f/3"), Some("b/1")));
    let head = get(&api, "u1", |i| (i.start_from_head, i.limit) = (Some(true), Some(1))).expect("head");
    assert_eq!(messages(&head), ["start u1"]);
    // An existing stream without events reads empty, with tokens at its (empty) end.
    let quiet = get(&api, "quiet", |_| {}).expect("quiet");
    assert!(messages(&quiet).is_empty());
    assert_eq!((quiet.next_forward_token.as_deref(), quiet.next_backward_token.as_deref()), (Some("f/0"), Some("b/0")));
    // A missing stream is ResourceNotFound, even with a token that would be refused.
    for change in
        [|_: &mut GetLogEventsRequest| {}, |i: &mut GetLogEventsRequest| i.next_token = Some("garbage".into())]
    {
        let missing = get(&api, "nope", change);
        assert!(matches!(missing, Err(ApiError::ResourceNotFound(_))), "{missing:?}");
    }
    let bad = get(&api, "u1", |i| i.next_token = Some("garbage".into()));
    assert!(matches!(bad, Err(ApiError::InvalidInput(_))), "{bad:?}");
}

use std::collections::BTreeMap;

use kiln_model::codebuild::{BatchGetBuildsInput, Build, CreateProjectInput, ProjectSource, SourceType};
use kiln_model::events::*;
use serde_json::{Value, json};

use crate::testing::api;
use crate::{Api, ApiError};

const REPO_URL: &str = "https://git-codecommit.us-east-1.amazonaws.com/v1/repos/some-repo";
const PROJECT_ARN: &str = "arn:aws:codebuild:us-east-1:000000000000:project/app";

fn code<T: std::fmt::Debug>(r: Result<T, ApiError>) -> &'static str {
    r.expect_err("expected an error").code()
}

fn message<T: std::fmt::Debug>(r: Result<T, ApiError>) -> String {
    r.expect_err("expected an error").to_string()
}

fn create_project(api: &Api, name: &str) {
    let source =
        ProjectSource { r#type: Some(SourceType::Codecommit), location: Some(REPO_URL.into()), ..Default::default() };
    let input = CreateProjectInput { source: Some(source), ..crate::testing::no_source_project(name, "") };
    api.create_project(input).expect("create project");
}

/// The pattern of the documented CodeCommit -> EventBridge -> CodeBuild setup.
fn codecommit_pattern() -> String {
    json!({
        "source": ["aws.codecommit"],
        "detail-type": ["CodeCommit Repository State Change"],
        "detail": {
            "event": ["referenceCreated", "referenceUpdated"],
            "referenceType": ["branch"],
            "referenceName": ["main"]
        }
    })
    .to_string()
}

fn put_rule(api: &Api, name: &str, pattern: &str) -> Result<PutRuleResponse, ApiError> {
    api.put_rule(PutRuleRequest { name: Some(name.into()), event_pattern: Some(pattern.into()), ..Default::default() })
}

fn codebuild_target(id: &str) -> Target {
    Target { id: Some(id.into()), arn: Some(PROJECT_ARN.into()), ..Default::default() }
}

fn commit_transformer() -> InputTransformer {
    InputTransformer {
        input_paths_map: Some(BTreeMap::from([
            ("commit".to_string(), "$.detail.commitId".to_string()),
            ("branch".to_string(), "$.detail.referenceName".to_string()),
        ])),
        input_template: Some(
            r#"{"sourceVersion": <commit>, "environmentVariablesOverride": [{"name": "BRANCH", "value": <branch>, "type": "PLAINTEXT"}]}"#
                .into(),
        ),
    }
}

fn put_targets(api: &Api, rule: &str, targets: Vec<Target>) -> Result<PutTargetsResponse, ApiError> {
    api.put_targets(PutTargetsRequest { rule: Some(rule.into()), targets: Some(targets), ..Default::default() })
}

fn codecommit_entry(event: &str, commit: &str) -> PutEventsRequestEntry {
    PutEventsRequestEntry {
        source: Some("aws.codecommit".into()),
        detail_type: Some("CodeCommit Repository State Change".into()),
        resources: Some(vec!["arn:aws:codecommit:us-east-1:000000000000:some-repo".into()]),
        detail: Some(
            json!({
                "event": event, "repositoryName": "some-repo", "referenceType": "branch",
                "referenceName": "main", "referenceFullName": "refs/heads/main", "commitId": commit
            })
            .to_string(),
        ),
        ..Default::default()
    }
}

fn put_events(api: &Api, entries: Vec<PutEventsRequestEntry>) -> PutEventsResponse {
    api.put_events(PutEventsRequest { entries: Some(entries), ..Default::default() }).expect("put events")
}

fn build(api: &Api, id: &str) -> Build {
    let out = api.batch_get_builds(BatchGetBuildsInput { ids: Some(vec![id.into()]) }).expect("batch get");
    out.builds.and_then(|b| b.into_iter().next()).expect("the build exists")
}

#[test]
fn rules_are_created_described_listed_and_replaced() {
    let api = api();
    let out = put_rule(&api, "on-push", &codecommit_pattern()).expect("put rule");
    assert_eq!(out.rule_arn.as_deref(), Some("arn:aws:events:us-east-1:000000000000:rule/on-push"));
    let described = api
        .describe_rule(DescribeRuleRequest { name: Some("on-push".into()), event_bus_name: Some("default".into()) })
        .expect("describe");
    assert_eq!(described.state, Some(RuleState::Enabled), "rules start enabled");
    assert_eq!(described.event_pattern.as_deref(), Some(codecommit_pattern().as_str()));
    assert_eq!(described.event_bus_name.as_deref(), Some("default"));
    assert_eq!(described.created_by.as_deref(), Some("000000000000"));

    api.put_rule(PutRuleRequest {
        name: Some("on-push".into()),
        event_pattern: Some(r#"{"source": ["x"]}"#.into()),
        state: Some(RuleState::Disabled),
        description: Some("replaced".into()),
        ..Default::default()
    })
    .expect("replace");
    let replaced = api.describe_rule(DescribeRuleRequest { name: Some("on-push".into()), ..Default::default() });
    let replaced = replaced.expect("describe");
    assert_eq!((replaced.state, replaced.description.as_deref()), (Some(RuleState::Disabled), Some("replaced")));

    for name in ["build-b", "build-a", "deploy"] {
        put_rule(&api, name, r#"{"source": ["x"]}"#).expect("put");
    }
    let first = api
        .list_rules(ListRulesRequest { name_prefix: Some("build-".into()), limit: Some(1), ..Default::default() })
        .expect("list");
    let names =
        |r: &ListRulesResponse| -> Vec<String> { r.rules.iter().flatten().filter_map(|r| r.name.clone()).collect() };
    assert_eq!(names(&first), ["build-a"]);
    let second = api
        .list_rules(ListRulesRequest {
            name_prefix: Some("build-".into()),
            next_token: first.next_token.clone(),
            ..Default::default()
        })
        .expect("page 2");
    assert_eq!(names(&second), ["build-b"]);
    assert_eq!(second.next_token, None);
    let all = api.list_rules(ListRulesRequest::default()).expect("all");
    assert_eq!(names(&all), ["build-a", "build-b", "deploy", "on-push"]);
}

#[test]
fn rules_refuse_what_kiln_or_event_bridge_does_not_take() {
    let api = api();
    let schedule = api.put_rule(PutRuleRequest {
        name: Some("nightly".into()),
        schedule_expression: Some("rate(1 day)".into()),
        ..Default::default()
    });
    let err = schedule.expect_err("schedules are refused");
    assert_eq!(err.code(), "ValidationException");
    assert!(err.to_string().contains("ScheduleExpression is not supported by Kiln"), "{err}");
    let neither = api.put_rule(PutRuleRequest { name: Some("r".into()), ..Default::default() });
    assert_eq!(message(neither), "Parameter(s) EventPattern or ScheduleExpression must be specified.");
    let bad = put_rule(&api, "r", r#"{"source": "aws.codecommit"}"#);
    let err = bad.expect_err("invalid pattern");
    assert_eq!(err.code(), "InvalidEventPatternException");
    assert_eq!(err.to_string(), "Event pattern is not valid. Reason: \"source\" must be an object or an array");
    assert_eq!(code(put_rule(&api, "bad name!", r#"{"source": ["x"]}"#)), "ValidationException");
    let other_bus = api.put_rule(PutRuleRequest {
        name: Some("r".into()),
        event_pattern: Some(r#"{"source": ["x"]}"#.into()),
        event_bus_name: Some("custom".into()),
        ..Default::default()
    });
    assert_eq!(code(other_bus), "ResourceNotFoundException");
    let bus_arn = "arn:aws:events:us-east-1:000000000000:event-bus/default";
    let by_arn = api.put_rule(PutRuleRequest {
        name: Some("r".into()),
        event_pattern: Some(r#"{"source": ["x"]}"#.into()),
        event_bus_name: Some(bus_arn.into()),
        ..Default::default()
    });
    assert!(by_arn.is_ok(), "the default bus may be named by ARN: {by_arn:?}");
    let missing = api.describe_rule(DescribeRuleRequest { name: Some("nope".into()), ..Default::default() });
    assert_eq!(message(missing), "Rule nope does not exist on EventBus default.");
    let missing = api.enable_rule(EnableRuleRequest { name: Some("nope".into()), ..Default::default() });
    assert_eq!(code(missing), "ResourceNotFoundException");
}

#[test]
fn a_rule_with_targets_cannot_be_deleted() {
    let api = api();
    put_rule(&api, "r", &codecommit_pattern()).expect("put rule");
    put_targets(&api, "r", vec![codebuild_target("t1")]).expect("targets");
    let refused = api.delete_rule(DeleteRuleRequest { name: Some("r".into()), ..Default::default() });
    assert_eq!(message(refused), "Rule can't be deleted since it has targets.");
    let removed = api
        .remove_targets(RemoveTargetsRequest {
            rule: Some("r".into()),
            ids: Some(vec!["t1".into(), "never-there".into()]),
            ..Default::default()
        })
        .expect("remove");
    assert_eq!(removed.failed_entry_count, Some(0));
    api.delete_rule(DeleteRuleRequest { name: Some("r".into()), ..Default::default() }).expect("delete");
    api.delete_rule(DeleteRuleRequest { name: Some("r".into()), ..Default::default() })
        .expect("deleting again is fine");
    let gone = api.describe_rule(DescribeRuleRequest { name: Some("r".into()), ..Default::default() });
    assert_eq!(code(gone), "ResourceNotFoundException");
}

#[test]
fn put_targets_fails_per_entry_and_limits_targets_per_rule() {
    let api = api();
    assert_eq!(code(put_targets(&api, "nope", vec![codebuild_target("t")])), "ResourceNotFoundException");
    put_rule(&api, "r", &codecommit_pattern()).expect("put rule");
    let lambda = Target {
        id: Some("fn".into()),
        arn: Some("arn:aws:lambda:us-east-1:000000000000:function:f".into()),
        ..Default::default()
    };
    let two_inputs =
        Target { input: Some("{}".into()), input_path: Some("$.detail".into()), ..codebuild_target("two") };
    let bad_json = Target { input: Some("{nope".into()), ..codebuild_target("json") };
    let bad_path = Target { input_path: Some("detail".into()), ..codebuild_target("path") };
    let good = Target { input_transformer: Some(commit_transformer()), ..codebuild_target("good") };
    let out = put_targets(&api, "r", vec![lambda, two_inputs, good, bad_json, bad_path]).expect("put targets");
    assert_eq!(out.failed_entry_count, Some(4));
    let failed: Vec<(String, String)> = out
        .failed_entries
        .unwrap_or_default()
        .into_iter()
        .map(|e| (e.target_id.unwrap_or_default(), e.error_message.unwrap_or_default()))
        .collect();
    assert_eq!(failed.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(), ["fn", "two", "json", "path"]);
    assert!(failed[0].1.contains("only to CodeBuild projects"), "{}", failed[0].1);
    assert!(failed[1].1.contains("only one of Input, InputPath and InputTransformer"), "{}", failed[1].1);
    assert!(failed[2].1.contains("Input is not valid JSON"), "{}", failed[2].1);
    assert!(failed[3].1.contains("not a valid JSON path"), "{}", failed[3].1);

    let listed = api
        .list_targets_by_rule(ListTargetsByRuleRequest { rule: Some("r".into()), ..Default::default() })
        .expect("list");
    let targets = listed.targets.unwrap_or_default();
    assert_eq!(targets.len(), 1);
    assert_eq!(targets[0].input_transformer, Some(commit_transformer()), "a target comes back as given");

    let more: Vec<Target> = (0..5).map(|i| codebuild_target(&format!("t{i}"))).collect();
    assert_eq!(code(put_targets(&api, "r", more)), "LimitExceededException");
    let listed = api
        .list_targets_by_rule(ListTargetsByRuleRequest { rule: Some("r".into()), ..Default::default() })
        .expect("list");
    assert_eq!(listed.targets.map(|t| t.len()), Some(1), "a refused call adds nothing");
}

#[test]
fn put_events_reports_each_entry() {
    let api = api();
    let missing_source = PutEventsRequestEntry { source: None, ..codecommit_entry("referenceUpdated", "abc") };
    let malformed = PutEventsRequestEntry { detail: Some("{not json".into()), ..codecommit_entry("x", "abc") };
    let not_object = PutEventsRequestEntry { detail: Some("[1]".into()), ..codecommit_entry("x", "abc") };
    let other_bus =
        PutEventsRequestEntry { event_bus_name: Some("custom".into()), ..codecommit_entry("referenceUpdated", "abc") };
    let out = put_events(
        &api,
        vec![codecommit_entry("referenceUpdated", "abc"), missing_source, malformed, not_object, other_bus],
    );
    assert_eq!(out.failed_entry_count, Some(4));
    let entries = out.entries.unwrap_or_default();
    assert!(entries[0].event_id.as_ref().is_some_and(|id| id.len() == 36), "{:?}", entries[0]);
    assert_eq!(entries[0].error_code, None);
    let codes: Vec<Option<&str>> = entries.iter().map(|e| e.error_code.as_deref()).collect();
    assert_eq!(
        codes,
        [
            None,
            Some("InvalidArgument"),
            Some("MalformedDetail"),
            Some("MalformedDetail"),
            Some("ResourceNotFoundException")
        ]
    );
    assert_eq!(
        entries[1].error_message.as_deref(),
        Some("Parameter Source is not valid. Reason: Source is a required argument.")
    );
    assert_eq!(entries[2].event_id, None);
}

#[test]
fn a_matching_event_starts_the_build_of_its_commit() {
    let api = api();
    create_project(&api, "app");
    put_rule(&api, "on-push", &codecommit_pattern()).expect("rule");
    let target = Target { input_transformer: Some(commit_transformer()), ..codebuild_target("build-app") };
    put_targets(&api, "on-push", vec![target]).expect("target");

    let commit = "f485fcc95a795517f279d0a877227e51208b0dfc";
    let out = put_events(&api, vec![codecommit_entry("referenceUpdated", commit)]);
    let event_id = out.entries.unwrap_or_default()[0].event_id.clone().expect("event id");
    let invocations = api.event_invocations(None, 10).expect("invocations");
    assert_eq!(invocations.len(), 1);
    let invocation = &invocations[0];
    assert_eq!(invocation.error, None);
    assert_eq!(invocation.event_id, event_id);
    assert_eq!(invocation.target_id, "build-app");
    assert_eq!(invocation.rule_arn, "arn:aws:events:us-east-1:000000000000:rule/on-push");
    let build = build(&api, invocation.outcome.as_deref().expect("a build started"));
    assert_eq!(build.project_name.as_deref(), Some("app"));
    assert_eq!(build.source_version.as_deref(), Some(commit));
    assert_eq!(build.initiator.as_deref(), Some("rule/on-push"));
    let env = build.environment.and_then(|e| e.environment_variables).unwrap_or_default();
    assert!(env.iter().any(|v| v.name.as_deref() == Some("BRANCH") && v.value.as_deref() == Some("main")), "{env:?}");

    // Events the pattern does not match start nothing.
    put_events(&api, vec![codecommit_entry("referenceDeleted", commit)]);
    let mut tag = codecommit_entry("referenceCreated", commit);
    tag.detail = tag.detail.map(|d| d.replace("\"branch\"", "\"tag\""));
    put_events(&api, vec![tag]);
    assert_eq!(api.event_invocations(None, 10).expect("invocations").len(), 1);
}

#[test]
fn disabled_rules_do_not_fire_until_enabled() {
    let api = api();
    create_project(&api, "app");
    put_rule(&api, "r", &codecommit_pattern()).expect("rule");
    put_targets(&api, "r", vec![codebuild_target("t")]).expect("target");
    api.disable_rule(DisableRuleRequest { name: Some("r".into()), ..Default::default() }).expect("disable");
    let state = api.describe_rule(DescribeRuleRequest { name: Some("r".into()), ..Default::default() });
    assert_eq!(state.expect("describe").state, Some(RuleState::Disabled));
    put_events(&api, vec![codecommit_entry("referenceUpdated", "abc")]);
    assert!(api.event_invocations(None, 10).expect("invocations").is_empty());

    api.enable_rule(EnableRuleRequest { name: Some("r".into()), ..Default::default() }).expect("enable");
    put_events(&api, vec![codecommit_entry("referenceUpdated", "abc")]);
    let invocations = api.event_invocations(None, 10).expect("invocations");
    assert_eq!(invocations.len(), 1);
    // Without an input setting, the whole event is the request: the project's own version.
    let build = build(&api, invocations[0].outcome.as_deref().expect("a build"));
    assert_eq!(build.source_version, None);
}

#[test]
fn failed_invocations_are_recorded_not_raised() {
    let api = api();
    create_project(&api, "app");
    put_rule(&api, "r", &codecommit_pattern()).expect("rule");
    let missing_project = Target {
        arn: Some("arn:aws:codebuild:us-east-1:000000000000:project/ghost".into()),
        ..codebuild_target("ghost")
    };
    let not_json = Target {
        input_transformer: Some(InputTransformer {
            input_paths_map: Some(BTreeMap::from([("c".to_string(), "$.detail.nothing".to_string())])),
            input_template: Some(r#"{"sourceVersion": <c>}"#.into()),
        }),
        ..codebuild_target("broken-template")
    };
    let wrong_type = Target { input: Some(r#"{"sourceVersion": 5}"#.into()), ..codebuild_target("wrong-type") };
    let not_object = Target { input_path: Some("$.detail.commitId".into()), ..codebuild_target("not-object") };
    let fine = Target { input_path: Some("$.detail.build".into()), ..codebuild_target("fine") };
    put_targets(&api, "r", vec![missing_project, not_json, wrong_type, not_object, fine]).expect("targets");

    let mut entry = codecommit_entry("referenceUpdated", "abc");
    entry.detail = Some(
        json!({"event": "referenceUpdated", "referenceType": "branch", "referenceName": "main", "commitId": "abc",
               "build": {"sourceVersion": "abc"}})
        .to_string(),
    );
    let out = put_events(&api, vec![entry]);
    assert_eq!(out.failed_entry_count, Some(0), "the event itself was accepted");
    let invocations = api.event_invocations(None, 10).expect("invocations");
    let by_target: BTreeMap<&str, (&Option<String>, &Option<String>)> =
        invocations.iter().map(|i| (i.target_id.as_str(), (&i.outcome, &i.error))).collect();
    let error = |id: &str| by_target[id].1.clone().unwrap_or_else(|| panic!("{id} should have failed"));
    assert!(error("ghost").contains("ResourceNotFoundException"), "{}", error("ghost"));
    assert!(error("ghost").contains("ghost"), "{}", error("ghost"));
    assert!(error("broken-template").contains("not valid JSON"), "{}", error("broken-template"));
    assert!(error("wrong-type").contains("not a valid StartBuild request"), "{}", error("wrong-type"));
    assert!(error("not-object").contains("not a StartBuild request"), "{}", error("not-object"));
    let fine = by_target["fine"].0.as_deref().expect("the fine target started a build");
    assert_eq!(build(&api, fine).source_version.as_deref(), Some("abc"));
}

#[test]
fn publish_completes_the_envelope_and_delivers() {
    let api = api();
    create_project(&api, "app");
    put_rule(&api, "r", &codecommit_pattern()).expect("rule");
    put_targets(&api, "r", vec![Target { input_transformer: Some(commit_transformer()), ..codebuild_target("t") }])
        .expect("target");
    let published = api
        .publish(json!({
            "source": "aws.codecommit",
            "detail-type": "CodeCommit Repository State Change",
            "detail": {"event": "referenceCreated", "referenceType": "branch", "referenceName": "main", "commitId": "c1"}
        }))
        .expect("publish");
    let event = &published.event;
    assert_eq!(event["account"], "000000000000");
    assert_eq!(event["region"], "us-east-1");
    assert_eq!(event["version"], "0");
    assert_eq!(event["resources"], json!([]));
    assert!(event["time"].as_str().is_some_and(|t| t.ends_with('Z') && t.len() == 20), "{event}");
    assert_eq!(published.invocations.len(), 1);
    assert_eq!(published.invocations[0].event_id, event["id"].as_str().unwrap_or_default());
    let build_id = published.invocations[0].outcome.as_deref().expect("a build");
    assert_eq!(build(&api, build_id).source_version.as_deref(), Some("c1"));
    assert_eq!(code(api.publish(json!({"detail-type": "x"}))), "InvalidInputException");
    assert_eq!(code(api.publish(json!("text"))), "InvalidInputException");
}

#[test]
fn test_event_pattern_matches_and_validates() {
    let api = api();
    let event = json!({
        "id": "1", "account": "000000000000", "source": "aws.codecommit", "time": "2023-10-10T21:05:45Z",
        "region": "us-east-1", "detail-type": "CodeCommit Repository State Change", "resources": [],
        "detail": {"event": "referenceUpdated", "referenceType": "branch", "referenceName": "main"}
    });
    let test = |pattern: &str, event: &Value| {
        api.test_event_pattern(TestEventPatternRequest {
            event_pattern: Some(pattern.into()),
            event: Some(event.to_string()),
        })
    };
    assert_eq!(test(&codecommit_pattern(), &event).expect("test").result, Some(true));
    assert_eq!(test(r#"{"source": ["aws.ec2"]}"#, &event).expect("test").result, Some(false));
    assert_eq!(code(test("[]", &event)), "InvalidEventPatternException");
    assert_eq!(code(test(r#"{"source": ["x"]}"#, &json!({"source": "x"}))), "ValidationException");
}

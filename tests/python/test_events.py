"""EventBridge on Kiln's endpoint through boto3's `events` client: the documented CodeCommit ->
EventBridge -> CodeBuild setup builds exactly the commit an event names, rules and targets
behave as EventBridge's do, and every bad input gets a clear answer or a recorded failed
invocation (readable at GET /_kiln/events/invocations, and logged)."""

import json
import urllib.request

import botocore.exceptions
import pytest

from kilntest import clients
from kilntest.builds import buildspec, create_project, exported, no_source, uniq, wait_build
from kilntest.gitrepo import EXPORTING_BUILDSPEC, Repo

REGION, ACCOUNT = clients.REGION, clients.ACCOUNT
DETAIL_TYPE = "CodeCommit Repository State Change"


@pytest.fixture(scope="module")
def events(kiln):
    return clients.json_client(kiln.endpoint, "events")


def error(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call(**kwargs)
    err = caught.value.response["Error"]
    return err["Code"], err["Message"]


def project_arn(name: str) -> str:
    return f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/{name}"


def invocations(kiln, limit: int = 1000) -> list[dict]:
    with urllib.request.urlopen(f"{kiln.endpoint}/_kiln/events/invocations?limit={limit}", timeout=10) as r:
        assert r.headers["Content-Type"] == "application/json"
        return json.loads(r.read())["invocations"]


def invocations_of(kiln, event_id: str) -> list[dict]:
    return [i for i in invocations(kiln) if i["eventId"] == event_id]


def builds_of(cb, project: str) -> list[str]:
    return cb.list_builds_for_project(projectName=project)["ids"]


def put_one(events, **entry) -> str:
    """PutEvents with one entry that must be accepted; returns its event id."""
    out = events.put_events(Entries=[entry])
    assert out["FailedEntryCount"] == 0, out
    return out["Entries"][0]["EventId"]


def custom_rule(events, source: str, name: str | None = None) -> str:
    """A rule matching events of `source` (unique per test, so rules never fire for others)."""
    name = name or uniq("rule")
    events.put_rule(Name=name, EventPattern=json.dumps({"source": [source], "detail-type": ["ping"]}))
    return name


# ---------------------------------------------------------------- the documented setup


def test_codecommit_event_builds_exactly_the_named_commit(kiln, cb, events, tmp_path):
    repo_name = uniq("repo")
    repo = Repo(tmp_path / repo_name)
    first = repo.commit({"buildspec.yml": EXPORTING_BUILDSPEC, "version.txt": "one"})
    previous = first
    head = repo.commit({"version.txt": "two"})
    # The event names the first commit while main is already at the second: the build must
    # take the commit from the event, not the branch head.
    clone_url = f"https://git-codecommit.{REGION}.amazonaws.com/v1/repos/{repo_name}"
    kiln.map_url(clone_url, repo.url)
    project = create_project(cb, uniq("on-push"), source={"type": "CODECOMMIT", "location": clone_url})
    repo_arn = f"arn:aws:codecommit:{REGION}:{ACCOUNT}:{repo_name}"

    rule = uniq("codecommit-main")
    rule_arn = events.put_rule(
        Name=rule,
        Description="Build main on every push",
        EventPattern=json.dumps({
            "source": ["aws.codecommit"],
            "detail-type": [DETAIL_TYPE],
            "resources": [repo_arn],
            "detail": {
                "event": ["referenceCreated", "referenceUpdated"],
                "referenceType": ["branch"],
                "referenceName": ["main"],
            },
        }),
    )["RuleArn"]
    assert rule_arn == f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{rule}"
    targets = events.put_targets(Rule=rule, Targets=[{
        "Id": "codebuild",
        "Arn": project["arn"],
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/events-invoke-codebuild",
        "InputTransformer": {
            "InputPathsMap": {"commit": "$.detail.commitId", "ref": "$.detail.referenceFullName"},
            "InputTemplate": '{"sourceVersion": <commit>, "environmentVariablesOverride": '
                             '[{"name": "PUSHED_REF", "value": <ref>, "type": "PLAINTEXT"}]}',
        },
    }])
    assert (targets["FailedEntryCount"], targets["FailedEntries"]) == (0, [])

    event_id = put_one(
        events,
        Source="aws.codecommit",
        DetailType=DETAIL_TYPE,
        Resources=[repo_arn],
        Detail=json.dumps({
            "callerUserArn": f"arn:aws:iam::{ACCOUNT}:user/dev",
            "commitId": first,
            "event": "referenceUpdated",
            "oldCommitId": previous,
            "referenceFullName": "refs/heads/main",
            "referenceName": "main",
            "referenceType": "branch",
            "repositoryId": "12345678-1234-5678-abcd-12345678abcd",
            "repositoryName": repo_name,
        }),
    )
    # Delivery happens within PutEvents: the build exists when it returns.
    [build_id] = builds_of(cb, project["name"])
    [invocation] = invocations_of(kiln, event_id)
    assert invocation["buildId"] == build_id and invocation["error"] is None
    assert (invocation["ruleArn"], invocation["targetId"]) == (rule_arn, "codebuild")

    done = wait_build(cb, build_id)
    assert done["buildStatus"] == "SUCCEEDED", done["phases"]
    assert done["sourceVersion"] == first
    assert done["resolvedSourceVersion"] == first
    assert exported(done) == {"CONTENT": "one", "HEAD_SHA": first}
    assert done["initiator"] == f"rule/{rule}"
    variables = {v["name"]: v["value"] for v in done["environment"]["environmentVariables"]}
    assert variables["PUSHED_REF"] == "refs/heads/main"
    assert head != first

    # The same push to another branch, or a tag, matches nothing.
    for ref_type, name in [("branch", "dev"), ("tag", "main")]:
        other = put_one(events, Source="aws.codecommit", DetailType=DETAIL_TYPE, Resources=[repo_arn],
                        Detail=json.dumps({"event": "referenceCreated", "referenceType": ref_type,
                                           "referenceName": name, "commitId": head,
                                           "repositoryName": repo_name}))
        assert invocations_of(kiln, other) == []
    assert builds_of(cb, project["name"]) == [build_id]


# ---------------------------------------------------------------- rules and targets


def test_rules_describe_list_enable_disable(events):
    prefix = uniq("lifecycle")
    pattern = json.dumps({"source": [{"prefix": "kiln."}], "detail": {"n": [{"numeric": [">", 0, "<=", 5]}]}})
    for suffix in ["b", "a", "c"]:
        events.put_rule(Name=f"{prefix}-{suffix}", EventPattern=pattern, Description=f"rule {suffix}")
    described = events.describe_rule(Name=f"{prefix}-a")
    assert described["State"] == "ENABLED"
    assert described["EventPattern"] == pattern
    assert (described["EventBusName"], described["CreatedBy"]) == ("default", ACCOUNT)
    assert described["Description"] == "rule a"

    events.disable_rule(Name=f"{prefix}-a")
    assert events.describe_rule(Name=f"{prefix}-a")["State"] == "DISABLED"
    events.enable_rule(Name=f"{prefix}-a", EventBusName="default")
    assert events.describe_rule(Name=f"{prefix}-a")["State"] == "ENABLED"

    page = events.list_rules(NamePrefix=prefix, Limit=2)
    assert [r["Name"] for r in page["Rules"]] == [f"{prefix}-a", f"{prefix}-b"]
    rest = events.list_rules(NamePrefix=prefix, Limit=2, NextToken=page["NextToken"])
    assert [r["Name"] for r in rest["Rules"]] == [f"{prefix}-c"]
    assert "NextToken" not in rest
    paginated = events.get_paginator("list_rules").paginate(NamePrefix=prefix)
    assert [r["Name"] for p in paginated for r in p["Rules"]] == [f"{prefix}-a", f"{prefix}-b", f"{prefix}-c"]

    assert events.test_event_pattern(EventPattern=pattern, Event=json.dumps({
        "id": "1", "account": ACCOUNT, "source": "kiln.tests", "time": "2024-01-01T00:00:00Z",
        "region": REGION, "detail-type": "x", "resources": [], "detail": {"n": 5}}))["Result"] is True
    assert events.test_event_pattern(EventPattern=pattern, Event=json.dumps({
        "id": "1", "account": ACCOUNT, "source": "kiln.tests", "time": "2024-01-01T00:00:00Z",
        "region": REGION, "detail-type": "x", "resources": [], "detail": {"n": 6}}))["Result"] is False


def test_bad_patterns_and_unsupported_rules_are_refused(events):
    cases = [
        ('{"source": "aws.codecommit"}', '"source" must be an object or an array'),
        ('{"source": []}', "Empty arrays are not allowed"),
        ('{"detail": {"n": [{"numeric": [">", "five"]}]}}', "Value of > must be numeric"),
        ('{"a": [{"anything-but": [1, "x"]}]}', "mixed type is not supported"),
        ('{"a": [{"wildcard": "a**"}]}', "Consecutive wildcard characters"),
        ('{"$or": [{"a": ["x"]}]}', "There must have at least 2 Objects in $or relationship."),
        ('["source"]', "Filter is not an object"),
        ('{"source": [', "Event pattern is not valid. Reason:"),
    ]
    for pattern, wanted in cases:
        code, message = error(events.put_rule, Name=uniq("bad"), EventPattern=pattern)
        assert code == "InvalidEventPatternException", (pattern, code, message)
        assert message.startswith("Event pattern is not valid. Reason: ") and wanted in message, (pattern, message)

    code, message = error(events.put_rule, Name=uniq("nightly"), ScheduleExpression="rate(1 day)")
    assert code == "ValidationException" and "ScheduleExpression is not supported by Kiln" in message
    code, message = error(events.put_rule, Name=uniq("empty"))
    assert (code, message) == ("ValidationException",
                               "Parameter(s) EventPattern or ScheduleExpression must be specified.")
    code, _ = error(events.put_rule, Name="bad name", EventPattern='{"source": ["x"]}')
    assert code == "ValidationException"
    code, message = error(events.put_rule, Name=uniq("bus"), EventPattern='{"source": ["x"]}',
                          EventBusName="custom-bus")
    assert code == "ResourceNotFoundException" and "custom-bus" in message
    missing = uniq("missing")
    assert error(events.describe_rule, Name=missing) == (
        "ResourceNotFoundException", f"Rule {missing} does not exist on EventBus default.")
    assert error(events.disable_rule, Name=missing)[0] == "ResourceNotFoundException"
    assert error(events.list_targets_by_rule, Rule=missing)[0] == "ResourceNotFoundException"
    assert error(events.put_targets, Rule=missing, Targets=[{"Id": "t", "Arn": project_arn("p")}])[0] == \
        "ResourceNotFoundException"
    events.delete_rule(Name=missing)  # deleting what is not there succeeds, as in EventBridge


def test_targets_fail_per_entry_and_rules_with_targets_stay(events):
    rule = custom_rule(events, uniq("kiln.targets"))
    out = events.put_targets(Rule=rule, Targets=[
        {"Id": "lambda", "Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:deploy"},
        {"Id": "both", "Arn": project_arn("app"), "Input": "{}", "InputPath": "$.detail"},
        {"Id": "badjson", "Arn": project_arn("app"), "Input": "{sourceVersion: main}"},
        {"Id": "badpath", "Arn": project_arn("app"), "InputPath": "detail.commitId"},
        {"Id": "ok", "Arn": project_arn("app"), "Input": '{"sourceVersion": "main"}'},
    ])
    failed = {e["TargetId"]: (e["ErrorCode"], e["ErrorMessage"]) for e in out["FailedEntries"]}
    assert out["FailedEntryCount"] == 4 and set(failed) == {"lambda", "both", "badjson", "badpath"}
    assert "only to CodeBuild projects" in failed["lambda"][1]
    assert "only one of Input, InputPath and InputTransformer" in failed["both"][1]
    assert "not valid JSON" in failed["badjson"][1]
    assert "not a valid JSON path" in failed["badpath"][1]
    listed = events.list_targets_by_rule(Rule=rule)["Targets"]
    assert listed == [{"Id": "ok", "Arn": project_arn("app"), "Input": '{"sourceVersion": "main"}'}]

    code, message = error(events.delete_rule, Name=rule)
    assert (code, message) == ("ValidationException", "Rule can't be deleted since it has targets.")
    code, _ = error(events.put_targets, Rule=rule,
                    Targets=[{"Id": f"t{i}", "Arn": project_arn("app")} for i in range(5)])
    assert code == "LimitExceededException"
    assert len(events.list_targets_by_rule(Rule=rule)["Targets"]) == 1
    removed = events.remove_targets(Rule=rule, Ids=["ok", "never-there"])
    assert removed["FailedEntryCount"] == 0
    events.delete_rule(Name=rule)
    assert error(events.describe_rule, Name=rule)[0] == "ResourceNotFoundException"


def test_put_events_reports_each_entry(events):
    good = {"Source": uniq("kiln.entries"), "DetailType": "ping", "Detail": "{}"}
    out = events.put_events(Entries=[
        good,
        {"DetailType": "ping", "Detail": "{}"},
        {**good, "Detail": "{not json"},
        {**good, "Detail": "[1, 2]"},
        {**good, "EventBusName": "custom-bus"},
    ])
    assert out["FailedEntryCount"] == 4
    first, no_source, malformed, not_object, other_bus = out["Entries"]
    assert len(first["EventId"]) == 36 and "ErrorCode" not in first
    assert (no_source["ErrorCode"], no_source["ErrorMessage"]) == (
        "InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument.")
    assert (malformed["ErrorCode"], malformed["ErrorMessage"]) == ("MalformedDetail", "Detail is malformed.")
    assert not_object["ErrorCode"] == "MalformedDetail"
    assert other_bus["ErrorCode"] == "ResourceNotFoundException" and "EventId" not in other_bus


# ---------------------------------------------------------------- delivery


def test_disabled_rules_do_not_fire(kiln, cb, events):
    source = uniq("kiln.disabled")
    project = create_project(cb, uniq("disabled"), source=no_source(buildspec(build=["echo pinged"])))
    rule = custom_rule(events, source)
    assert events.put_targets(Rule=rule, Targets=[{"Id": "build", "Arn": project["arn"]}])["FailedEntryCount"] == 0
    events.disable_rule(Name=rule)
    quiet = put_one(events, Source=source, DetailType="ping", Detail="{}")
    assert invocations_of(kiln, quiet) == []
    assert builds_of(cb, project["name"]) == []

    events.enable_rule(Name=rule)
    loud = put_one(events, Source=source, DetailType="ping", Detail="{}")
    [invocation] = invocations_of(kiln, loud)
    assert builds_of(cb, project["name"]) == [invocation["buildId"]]
    assert wait_build(cb, invocation["buildId"])["buildStatus"] == "SUCCEEDED"


def test_targets_naming_missing_projects_record_failed_invocations(kiln, cb, events):
    source = uniq("kiln.missing")
    rule = custom_rule(events, source)
    ghost = uniq("ghost")
    project = create_project(cb, uniq("real"), source=no_source(buildspec(build=["echo ok"])))
    events.put_targets(Rule=rule, Targets=[
        {"Id": "ghost", "Arn": project_arn(ghost)},
        {"Id": "not-a-request", "Arn": project["arn"], "InputPath": "$.detail.version"},
        {"Id": "real", "Arn": project["arn"], "InputPath": "$.detail.request"},
    ])
    event_id = put_one(events, Source=source, DetailType="ping",
                       Detail=json.dumps({"version": "v1", "request": {"environmentVariablesOverride": [
                           {"name": "FROM_EVENT", "value": "yes"}]}}))
    by_target = {i["targetId"]: i for i in invocations_of(kiln, event_id)}
    assert set(by_target) == {"ghost", "not-a-request", "real"}
    assert by_target["ghost"]["buildId"] is None
    assert "ResourceNotFoundException" in by_target["ghost"]["error"] and ghost in by_target["ghost"]["error"]
    assert "not a StartBuild request" in by_target["not-a-request"]["error"]
    assert by_target["real"]["error"] is None
    assert builds_of(cb, project["name"]) == [by_target["real"]["buildId"]]
    # The failure is in the server's log too.
    log = kiln.server.log_path.read_text(errors="replace").splitlines()
    assert any("failed invocation: StartBuild failed: ResourceNotFoundException" in line and ghost in line
               for line in log)

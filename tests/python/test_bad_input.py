"""Bad input gets the exception the model declares (as botocore names it) and a message that
names the field; malformed bodies, unknown targets and unimplemented operations get clean
protocol errors. Never a 5xx, never a hang. boto3's own parameter validation is off here so
that the bad values reach the server."""

import json

import cbor2
import pytest
import requests
from botocore.exceptions import ClientError

from kilntest import contract
from kilntest.builds import ENVIRONMENT, SERVICE_ROLE, buildspec, create_project, run_build, uniq
from kilntest.contract import CBOR, JSON

JSON_TYPE = "application/x-amz-json-1.1"


@pytest.fixture(scope="module", params=[JSON, CBOR], ids=["json", "cbor"])
def raw_cb(request, kiln):
    """A client that sends whatever it is given."""
    return kiln.codebuild(request.param, validate_params=False)


def project_params(**overrides):
    params = {"name": uniq("bad"), "source": {"type": "NO_SOURCE", "buildspec": buildspec(build=["true"])},
              "artifacts": {"type": "NO_ARTIFACTS"}, "environment": dict(ENVIRONMENT), "serviceRole": SERVICE_ROLE}
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def rejected(call, code: str, *fragments: str) -> str:
    with pytest.raises(ClientError) as e:
        call()
    error = e.value.response["Error"]
    assert error["Code"] == code, error
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    for fragment in fragments:
        assert fragment in error["Message"], error
    return error["Message"]


CREATE_PROJECT_CASES = {
    "name too short": ({"name": "a"}, "'name'", "length greater than or equal to 2"),
    "name too long": ({"name": "a" * 151}, "'name'", "less than or equal to 150"),
    "name starts with a dash": ({"name": "-dash"}, "'name'", "regular expression pattern"),
    "name with a space": ({"name": "a b"}, "'name'", "regular expression pattern"),
    "name missing": ({"name": None}, "'name'", "must not be null"),
    "timeout below 5": ({"timeoutInMinutes": 4}, "'timeoutInMinutes'", "greater than or equal to 5"),
    "timeout above 2160": ({"timeoutInMinutes": 2161}, "'timeoutInMinutes'", "less than or equal to 2160"),
    "queued timeout below 5": ({"queuedTimeoutInMinutes": 4}, "'queuedTimeoutInMinutes'"),
    "queued timeout above 480": ({"queuedTimeoutInMinutes": 481}, "'queuedTimeoutInMinutes'",
                                 "less than or equal to 480"),
    "source missing": ({"source": None}, "'source'", "must not be null"),
    "location missing": ({"source": {"type": "CODECOMMIT"}}, "source.location"),
    "empty location": ({"source": {"type": "GITHUB", "location": ""}}, "source.location"),
    "NO_SOURCE without buildspec": ({"source": {"type": "NO_SOURCE"}}, "source.buildspec"),
    "artifacts missing": ({"artifacts": None}, "'artifacts'"),
    "environment missing": ({"environment": None}, "'environment'"),
    "service role missing": ({"serviceRole": None}, "'serviceRole'"),
    "negative clone depth": ({"source": {"type": "GITHUB", "location": "https://github.com/a/b",
                                         "gitCloneDepth": -1}}, "gitCloneDepth"),
    "concurrent limit 0": ({"concurrentBuildLimit": 0}, "concurrentBuildLimit"),
}


@pytest.mark.parametrize("case", list(CREATE_PROJECT_CASES))
def test_create_project_rejects(raw_cb, case):
    overrides, *fragments = CREATE_PROJECT_CASES[case]
    rejected(lambda: raw_cb.create_project(**project_params(**overrides)), "InvalidInputException", *fragments)


def test_unknown_source_type_is_invalid_input(raw_cb):
    rejected(lambda: raw_cb.create_project(**project_params(source={"type": "SVN", "location": "x"})),
             "InvalidInputException", "source.type", "SVN")


def test_unknown_source_type_names_the_field(raw_cb):
    with pytest.raises(ClientError) as e:
        raw_cb.create_project(**project_params(source={"type": "SVN", "location": "x"}))
    assert "source.type" in e.value.response["Error"]["Message"]
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


START_BUILD_CASES = {
    "timeout override below 5": ({"timeoutInMinutesOverride": 4}, "InvalidInputException", "timeoutInMinutesOverride"),
    "timeout override above 2160": ({"timeoutInMinutesOverride": 2161}, "InvalidInputException",
                                    "timeoutInMinutesOverride"),
    "queued timeout override above 480": ({"queuedTimeoutInMinutesOverride": 481}, "InvalidInputException",
                                          "queuedTimeoutInMinutesOverride"),
    "negative clone depth": ({"gitCloneDepthOverride": -1}, "InvalidInputException", "gitCloneDepthOverride"),
    "location override missing": ({"sourceTypeOverride": "GITHUB"}, "InvalidInputException", "location"),
    "unknown project": ({"projectName": "no-such-project-x"}, "ResourceNotFoundException",
                        "project/no-such-project-x"),
    "bad project name": ({"projectName": "bad name"}, "InvalidInputException", "projectName"),
}


@pytest.mark.parametrize("case", list(START_BUILD_CASES))
def test_start_build_rejects(raw_cb, case):
    overrides, code, fragment = START_BUILD_CASES[case]
    project = create_project(raw_cb, uniq("bad-start"))
    params = {"projectName": project["name"], **overrides}
    rejected(lambda: raw_cb.start_build(**params), code, fragment)


def test_too_many_and_too_few_ids(raw_cb):
    ids = [f"p:{i}" for i in range(101)]
    rejected(lambda: raw_cb.batch_get_builds(ids=ids), "InvalidInputException", "'ids'", "100")
    rejected(lambda: raw_cb.batch_get_builds(ids=[]), "InvalidInputException", "'ids'")
    rejected(lambda: raw_cb.batch_delete_builds(ids=ids), "InvalidInputException", "'ids'")
    rejected(lambda: raw_cb.batch_get_projects(names=[f"p{i}" for i in range(101)]), "InvalidInputException",
             "'names'")


def test_wrong_member_types_are_serialization_errors(kiln):
    cb = kiln.codebuild(JSON, validate_params=False)
    rejected(lambda: cb.create_project(**project_params(name=123)), "SerializationException", "'name'")
    rejected(lambda: cb.create_project(**project_params(timeoutInMinutes="soon")), "SerializationException",
             "'timeoutInMinutes'")


def test_unimplemented_operations_answer_a_clean_error(raw_cb, logs):
    for call in (lambda: raw_cb.list_fleets(),
                 lambda: raw_cb.list_shared_report_groups(),
                 lambda: raw_cb.start_build_batch(projectName="p1")):
        rejected(call, "UnsupportedOperationException", "does not implement")
    rejected(lambda: logs.describe_metric_filters(), "UnsupportedOperationException", "DescribeMetricFilters")


def test_get_log_events_of_an_unknown_stream(logs):
    rejected(lambda: logs.get_log_events(logGroupName="/aws/codebuild/nope", logStreamName="nope"),
             "ResourceNotFoundException", "log stream does not exist")
    rejected(lambda: logs.get_log_events(logGroupName="/elsewhere", logStreamName="nope"),
             "ResourceNotFoundException")


def test_get_log_events_bad_token_is_invalid_parameter(cb, logs):
    build = run_build(cb, projectName=create_project(cb, uniq("bad-token"))["name"])
    rejected(lambda: logs.get_log_events(logGroupName=build["logs"]["groupName"],
                                         logStreamName=build["logs"]["streamName"], nextToken="garbage"),
             "InvalidParameterException", "nextToken")


# ------------------------------------------------------------------------------- raw requests

def post_json(kiln, target: str | None, body: bytes, **headers):
    h = {"Content-Type": JSON_TYPE, **headers}
    if target is not None:
        h["X-Amz-Target"] = target
    return requests.post(kiln.endpoint + "/", data=body, headers=h, timeout=30)


def error_of(response, protocol=JSON) -> dict:
    """The error body, after checking it (and its headers) against the contract."""
    service = "logs" if "Logs_" in response.request.headers.get("X-Amz-Target", "") else "codebuild"
    found = contract.check_response(service, "ListProjects" if service == "codebuild" else "GetLogEvents",
                                    response.status_code, response.headers, response.content, protocol)
    assert found == [], found
    assert response.status_code == 400
    return contract.decode(response.content, protocol)


def test_wrong_container_type_is_a_serialization_error(kiln):
    r = post_json(kiln, "CodeBuild_20161006.BatchGetBuilds", b'{"ids": "one-id"}')
    error = error_of(r)
    assert error["__type"] == "SerializationException"
    assert "'ids'" in error["message"]


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"sortBy": "NAME"', b"\xff\xfe", b'"text"'])
def test_malformed_json_body(kiln, body):
    error = error_of(post_json(kiln, "CodeBuild_20161006.ListProjects", body))
    assert error["__type"] == "SerializationException"


def test_unknown_members_are_ignored(kiln):
    # AWS JSON services ignore members they do not know (newer clients may send them).
    r = post_json(kiln, "CodeBuild_20161006.ListProjects", b'{"someFutureMember": 1}')
    assert r.status_code == 200, r.text
    assert "projects" in r.json()


@pytest.mark.parametrize("target,fragment", [
    ("CodeBuild_20161006.NoSuchOperation", "NoSuchOperation"),
    ("Elsewhere_20200101.DoThing", "Elsewhere_20200101"),
    ("NoDotAtAll", "NoDotAtAll"),
    (None, "X-Amz-Target"),
])
def test_unknown_target(kiln, target, fragment):
    error = error_of(post_json(kiln, target, b"{}"))
    assert error["__type"] == "UnknownOperationException"
    assert fragment in error["message"]


def test_oversized_body(kiln):
    r = post_json(kiln, "CodeBuild_20161006.ListProjects", b" " * (7 * 1024 * 1024))
    assert r.status_code in (400, 413)
    assert r.json()["__type"] == "SerializationException"


def post_cbor(kiln, operation: str, body: bytes, service="CodeBuild_20161006"):
    return requests.post(f"{kiln.endpoint}/service/{service}/operation/{operation}", data=body, timeout=30,
                         headers={"Content-Type": "application/cbor", "Accept": "application/cbor",
                                  "smithy-protocol": "rpc-v2-cbor"})


def test_malformed_cbor_body(kiln):
    error = error_of(post_cbor(kiln, "ListProjects", b"\xff\xfe\x00"), CBOR)
    assert error["__type"] == "SerializationException"


def test_wrong_member_type_over_cbor(kiln):
    error = error_of(post_cbor(kiln, "BatchGetBuilds", cbor2.dumps({"ids": 5})), CBOR)
    assert error["__type"] == "SerializationException"
    assert "'ids'" in error["message"]


def test_unknown_operation_over_cbor(kiln):
    error = error_of(post_cbor(kiln, "NoSuchOperation", cbor2.dumps({})), CBOR)
    assert error["__type"] == "UnknownOperationException"


def test_malformed_rpc_v2_path_answers_in_cbor(kiln):
    r = requests.post(f"{kiln.endpoint}/service/CodeBuild_20161006/nonsense", data=cbor2.dumps({}), timeout=30,
                      headers={"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"})
    assert r.headers["Content-Type"] == "application/cbor"
    assert cbor2.loads(r.content)["__type"] == "UnknownOperationException"


def test_logs_validation_error_is_invalid_parameter(kiln):
    r = post_json(kiln, "Logs_20140328.GetLogEvents", json.dumps({"logGroupName": "/aws/codebuild/x"}).encode())
    error = error_of(r)
    assert error["__type"] == "InvalidParameterException"
    assert "logStreamName" in error["message"]

"""The contract check itself: it must catch what it claims to catch, and it must see every
response of every client (boto3 JSON, boto3 CBOR, the aws cli). A stand-in HTTP server sends
deliberately wrong answers to prove the wiring; the real server is then compared across
protocols."""

import http.server
import json
import threading

import cbor2
import pytest

from kilntest import clients, contract
from kilntest.builds import create_project, run_build, uniq
from kilntest.cli import AwsCli
from kilntest.contract import CBOR, JSON, Tagged, check_response, model

OK_HEADERS = {"x-amzn-RequestId": "r", "Content-Type": "application/x-amz-json-1.1"}
CBOR_HEADERS = {"x-amzn-RequestId": "r", "Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"}


def violations_of(value, shape="BatchGetBuildsOutput", protocol=JSON):
    out = []
    contract.check_value(model("codebuild"), shape, value, "$", protocol, out)
    return out


def test_validator_accepts_a_well_formed_build():
    build = {"id": "p:u", "buildNumber": 3, "buildComplete": True, "buildStatus": "SUCCEEDED",
             "startTime": 1700000000.123, "phases": [{"phaseType": "SUBMITTED", "durationInSeconds": 0,
                                                     "contexts": [{"statusCode": "", "message": ""}]}],
             "environment": {"type": "LINUX_CONTAINER", "image": "i", "computeType": "BUILD_GENERAL1_SMALL",
                             "environmentVariables": [{"name": "A", "value": "b", "type": "PLAINTEXT"}]}}
    assert violations_of({"builds": [build], "buildsNotFound": []}) == []


@pytest.mark.parametrize("value,expected", [
    ({"builds": [{"id": "p:u", "surprise": 1}]}, "surprise: not a member of Build"),
    ({"builds": [{"buildNumber": "3"}]}, "expected an integer"),
    ({"builds": [{"buildNumber": True}]}, "expected an integer"),
    ({"builds": [{"buildComplete": "true"}]}, "expected a boolean"),
    ({"builds": [{"buildStatus": "DONE"}]}, "not a value of enum StatusType"),
    ({"builds": [{"startTime": "2024-01-01T00:00:00Z"}]}, "epoch seconds as a number"),
    ({"builds": [{"startTime": 1700000000123}]}, "not plausible epoch seconds"),
    ({"builds": [{"id": None}]}, "null"),
    ({"builds": {"id": "x"}}, "expected a list"),
    ({"builds": [{"environment": {"environmentVariables": [{"name": "A"}]}}]}, "required member value"),
    ({"builds": [{"environment": {"type": "LINUX_CONTAINER", "image": "i", "computeType": "X"}}]},
     "not a value of enum ComputeType"),
    ({"buildsNotFound": ["x"] * 101}, "above the model's max 100"),
])
def test_validator_catches(value, expected):
    found = violations_of(value)
    assert any(expected in v for v in found), found


def test_cbor_timestamps_must_be_tag_1():
    assert violations_of({"builds": [{"startTime": Tagged(1, 1700000000.5)}]}, protocol=CBOR) == []
    for bad in (1700000000.5, Tagged(0, "2024-01-01T00:00:00Z"), Tagged(1, "soon")):
        assert violations_of({"builds": [{"startTime": bad}]}, protocol=CBOR), bad


def test_error_bodies():
    body = json.dumps({"__type": "ResourceNotFoundException", "message": "gone"}).encode()
    assert check_response("codebuild", "StartBuild", 400, OK_HEADERS, body, JSON) == []
    undeclared = json.dumps({"__type": "ResourceNotFoundException", "message": "x"}).encode()
    assert check_response("codebuild", "ListProjects", 400, OK_HEADERS, undeclared, JSON)
    assert check_response("codebuild", "StartBuild", 500, OK_HEADERS,
                          json.dumps({"__type": "InternalFailure", "message": "x"}).encode(), JSON)
    assert check_response("codebuild", "StartBuild", 400, OK_HEADERS,
                          json.dumps({"__type": "InvalidInputException"}).encode(), JSON)
    assert check_response("codebuild", "StartBuild", 400, OK_HEADERS,
                          json.dumps({"__type": "InvalidInputException", "message": "m", "extra": 1}).encode(), JSON)


def test_headers_are_checked():
    body = b'{"projects": []}'
    assert check_response("codebuild", "ListProjects", 200, OK_HEADERS, body, JSON) == []
    assert check_response("codebuild", "ListProjects", 200, {"Content-Type": OK_HEADERS["Content-Type"]}, body, JSON)
    assert check_response("codebuild", "ListProjects", 200, {**OK_HEADERS, "Content-Type": "application/json"},
                          body, JSON)
    cbor_body = cbor2.dumps({"projects": []})
    assert check_response("codebuild", "ListProjects", 200, CBOR_HEADERS, cbor_body, CBOR) == []
    assert check_response("codebuild", "ListProjects", 200, {**CBOR_HEADERS, "smithy-protocol": ""}, cbor_body, CBOR)
    assert check_response("codebuild", "ListProjects", 200, CBOR_HEADERS, b'{"projects": []}', CBOR)


# ------------------------------------------------------------- wiring, with a stand-in server

class StandIn(http.server.BaseHTTPRequestHandler):
    """Answers every call with a response the model forbids: an unknown top-level key."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path.startswith("/service/"):
            body, ctype = cbor2.dumps({"projects": ["a"], "bogusKey": 1}), "application/cbor"
        else:
            body, ctype = json.dumps({"projects": ["a"], "bogusKey": 1}).encode(), "application/x-amz-json-1.1"
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("smithy-protocol", "rpc-v2-cbor")
        self.send_header("x-amzn-RequestId", "stand-in")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def stand_in():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize("protocol", [JSON, CBOR])
def test_every_boto3_response_is_validated(stand_in, protocol):
    cb = clients.codebuild(stand_in, protocol)
    assert cb.list_projects()["projects"] == ["a"]
    found = contract.take()
    assert any("bogusKey: not a member of ListProjectsOutput" in v for v in found), found
    assert all(protocol in v for v in found)


def test_every_aws_cli_response_is_validated(stand_in):
    AwsCli(stand_in)("codebuild", "list-projects")
    found = contract.take()
    assert any(v.startswith("aws cli:") and "bogusKey" in v for v in found), found


# ------------------------------------------------------------------- the real server, twice

def test_json_and_cbor_answers_are_the_same(kiln):
    json_cb, cbor_cb = kiln.codebuild(JSON), kiln.codebuild(CBOR)
    project = create_project(json_cb, uniq("both"))
    build = run_build(json_cb, projectName=project["name"])
    assert cbor_cb.batch_get_builds(ids=[build["id"]]) | {"ResponseMetadata": None} == \
        json_cb.batch_get_builds(ids=[build["id"]]) | {"ResponseMetadata": None}
    assert cbor_cb.batch_get_projects(names=[project["name"]])["projects"] == \
        json_cb.batch_get_projects(names=[project["name"]])["projects"]
    assert cbor_cb.list_builds_for_project(projectName=project["name"])["ids"] == [build["id"]]

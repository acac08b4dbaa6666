"""Authentication on a server started with KILN_ACCESS_KEY_ID / KILN_SECRET_ACCESS_KEY: every
request must carry a valid Signature V4 for those keys. Failures are answered as AWS JSON
services answer them (crates/wire/src/sigv4/error.rs): HTTP 400 with
MissingAuthenticationTokenException, IncompleteSignatureException, UnrecognizedClientException
or InvalidSignatureException, in the protocol of the request."""

import datetime
import subprocess
from contextlib import nullcontext
from unittest import mock

import botocore
import cbor2
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from kilntest import contract
from kilntest.builds import create_project, log_text, run_build, uniq
from kilntest.contract import CBOR, JSON
from kilntest.harness import start_kiln
from kilntest.server import kiln_bin

KEY = ("AKIDKILNSECURE", "kiln-secure-secret")
SIGNATURE_MISMATCH = "The request signature we calculated does not match the signature you provided."


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    k = start_kiln(tmp_path_factory.mktemp("auth"), "secured",
                   env={"KILN_ACCESS_KEY_ID": KEY[0], "KILN_SECRET_ACCESS_KEY": KEY[1]})
    yield k
    k.server.stop()


def rejected(call, code: str, fragment: str = "") -> None:
    with pytest.raises(ClientError) as e:
        call()
    error = e.value.response["Error"]
    assert error["Code"] == code, error
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert fragment in error["Message"], error


def test_correct_signatures_work_for_every_client(secured):
    cb = secured.codebuild(JSON, key=KEY)
    project = create_project(cb, uniq("auth"))
    build = run_build(cb, projectName=project["name"])
    assert build["buildStatus"] == "SUCCEEDED"
    assert build["initiator"] == KEY[0]

    cbor_cb = secured.codebuild(CBOR, key=KEY)
    assert project["name"] in cbor_cb.list_projects()["projects"]
    assert cbor_cb.batch_get_builds(ids=[build["id"]])["builds"][0]["id"] == build["id"]

    assert "hello" in log_text(secured.logs(key=KEY), build)

    aws = secured.aws(key=KEY)
    started = aws("codebuild", "start-build", "--project-name", project["name"]).json["build"]
    assert started["buildNumber"] == 2
    assert started["initiator"] == KEY[0]


@pytest.mark.parametrize("protocol", [JSON, CBOR])
def test_missing_signature(secured, protocol):
    cb = secured.codebuild(protocol, key=KEY, signature_version=botocore.UNSIGNED)
    rejected(lambda: cb.list_projects(), "MissingAuthenticationTokenException", "missing Authentication Token")


@pytest.mark.parametrize("protocol", [JSON, CBOR])
def test_unknown_access_key(secured, protocol):
    cb = secured.codebuild(protocol, key=("AKIDSOMEONEELSE", KEY[1]))
    rejected(lambda: cb.list_projects(), "UnrecognizedClientException", "security token included in the request")


@pytest.mark.parametrize("protocol", [JSON, CBOR])
def test_wrong_secret(secured, protocol):
    cb = secured.codebuild(protocol, key=(KEY[0], "not-the-secret"))
    rejected(lambda: cb.list_projects(), "InvalidSignatureException", SIGNATURE_MISMATCH)
    logs = secured.logs(key=(KEY[0], "not-the-secret"))
    rejected(lambda: logs.get_log_events(logGroupName="/aws/codebuild/x", logStreamName="y"),
             "InvalidSignatureException", SIGNATURE_MISMATCH)


def test_wrong_secret_with_the_aws_cli(secured):
    result = secured.aws(key=(KEY[0], "not-the-secret"))("codebuild", "list-projects", check=False)
    assert result.returncode != 0
    assert "InvalidSignatureException" in result.stderr


# --------------------------------------------------------------------- hand-signed requests

def signed_post(kiln, body: bytes, key=KEY, at: datetime.datetime | None = None, send_body: bytes | None = None,
                protocol=JSON):
    """A request signed by botocore's SigV4Auth (as of `at`, default now), sent with requests."""
    if protocol == JSON:
        url = kiln.endpoint + "/"
        headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "CodeBuild_20161006.ListProjects"}
    else:
        url = kiln.endpoint + "/service/CodeBuild_20161006/operation/ListProjects"
        headers = {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"}
    request = AWSRequest(method="POST", url=url, data=body, headers=headers)
    clock = mock.patch("botocore.auth.get_current_datetime", return_value=at) if at else nullcontext()
    with clock:
        SigV4Auth(Credentials(*key), "codebuild", "us-east-1").add_auth(request)
    prepared = request.prepare()
    response = requests.post(prepared.url, headers=dict(prepared.headers),
                             data=prepared.body if send_body is None else send_body, timeout=30)
    contract.record(contract.check_response("codebuild", "ListProjects", response.status_code, response.headers,
                                            response.content, protocol))
    return response


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def test_hand_signed_request_is_accepted(secured):
    assert signed_post(secured, b"{}").status_code == 200
    assert signed_post(secured, cbor2.dumps({}), protocol=CBOR).status_code == 200


@pytest.mark.parametrize("protocol", [JSON, CBOR])
def test_expired_signature(secured, protocol):
    body = b"{}" if protocol == JSON else cbor2.dumps({})
    r = signed_post(secured, body, at=utc_now() - datetime.timedelta(minutes=20), protocol=protocol)
    assert r.status_code == 400
    error = contract.decode(r.content, protocol)
    assert error["__type"] == "InvalidSignatureException"
    assert error["message"].startswith("Signature expired:"), error
    assert "15 min." in error["message"]


def test_signature_from_the_future(secured):
    r = signed_post(secured, b"{}", at=utc_now() + datetime.timedelta(minutes=20))
    assert r.status_code == 400
    assert r.json()["__type"] == "InvalidSignatureException"
    assert "not yet current" in r.json()["message"]


def test_skew_within_fifteen_minutes_is_accepted(secured):
    assert signed_post(secured, b"{}", at=utc_now() - datetime.timedelta(minutes=10)).status_code == 200


def test_tampered_body(secured):
    r = signed_post(secured, b"{}", send_body=b'{"sortOrder": "DESCENDING"}')
    assert r.status_code == 400
    assert r.json()["__type"] == "InvalidSignatureException"


@pytest.mark.parametrize("authorization", [
    "AWS4-HMAC-SHA256 Credential=garbage",
    "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc",
])
def test_malformed_authorization(secured, authorization):
    r = requests.post(secured.endpoint + "/", data=b"{}", timeout=30, headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "CodeBuild_20161006.ListProjects",
        "X-Amz-Date": utc_now().strftime("%Y%m%dT%H%M%SZ"), "Authorization": authorization})
    contract.record(contract.check_response("codebuild", "ListProjects", r.status_code, r.headers, r.content, JSON))
    assert r.status_code == 400
    assert r.json()["__type"] == "IncompleteSignatureException"


def test_no_credentials_means_loopback_only(tmp_path):
    # Without keys Kiln must not listen beyond loopback, and must say why at start.
    proc = subprocess.run([str(kiln_bin()), "serve", "--listen", "0.0.0.0:0", "--data-dir", str(tmp_path / "d")],
                          capture_output=True, text=True, timeout=30,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert proc.returncode != 0
    assert "refusing to listen" in proc.stderr
    assert "KILN_ACCESS_KEY_ID" in proc.stderr

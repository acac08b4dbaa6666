"""Fixtures of Kiln's black-box suite: real `kiln serve` processes, real clients (boto3 over
AWS JSON 1.1, boto3 over Smithy RPC v2 CBOR, the aws cli), and the contract check that fails
any test which received a response outside botocore's service model."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from kilntest import contract  # noqa: E402
from kilntest.contract import CBOR, JSON  # noqa: E402
from kilntest.harness import Kiln, start_kiln  # noqa: E402
from kilntest.server import kiln_bin  # noqa: E402


def pytest_sessionstart(session):
    if not kiln_bin().exists():
        pytest.exit(f"{kiln_bin()} does not exist: run `cargo build -p kiln` or set KILN_BIN", returncode=2)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    # Responses received while setting the test up count too: they are still in the recorder.
    try:
        result = yield
    finally:
        violations = contract.take()
        if violations:
            # Shown with the report when the test fails for another reason too.
            item.add_report_section("call", "contract", "\n".join(violations))
    if violations:
        raise AssertionError("responses outside the service model:\n  " + "\n  ".join(violations))
    return result


@pytest.fixture(scope="session")
def kiln(tmp_path_factory):
    """The shared server: 4 builds at once, real one-minute minutes."""
    k = start_kiln(tmp_path_factory.mktemp("kiln"), "main", concurrency=4)
    yield k
    k.server.stop()


@pytest.fixture
def start_server(tmp_path):
    """Starts extra servers (their own data dir, flags and env) for one test; stops them after."""
    started: list[Kiln] = []

    def start(name: str = "server", **kw) -> Kiln:
        k = start_kiln(tmp_path, name, **kw)
        started.append(k)
        return k

    yield start
    for k in started:
        k.server.stop()


@pytest.fixture(scope="session")
def cb(kiln):
    """boto3 CodeBuild over AWS JSON 1.1."""
    return kiln.codebuild(JSON)


@pytest.fixture(scope="session")
def cbor_cb(kiln):
    """boto3 CodeBuild over Smithy RPC v2 CBOR."""
    return kiln.codebuild(CBOR)


@pytest.fixture(scope="session", params=[JSON, CBOR], ids=["json", "cbor"])
def any_cb(request, kiln):
    """Runs a test once per wire protocol."""
    return kiln.codebuild(request.param)


@pytest.fixture(scope="session")
def logs(kiln):
    return kiln.logs()


@pytest.fixture(scope="session")
def aws(kiln):
    return kiln.aws()

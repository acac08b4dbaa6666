"""The story of CodeBuild's documentation, unchanged: a project for a CodeCommit repository,
`start_build(projectName="learn_codebuild_single", sourceVersion="refs/heads/f3")`, then
`batch_get_builds` until the build has built f3's head, and its log read with GetLogEvents.

The CodeCommit URL reaches a local repository through `url.<base>.insteadOf` in the git
configuration of the server (GIT_CONFIG_GLOBAL in its environment), as the README shows."""

import re
import time

import pytest

from kilntest.builds import ENVIRONMENT, SERVICE_ROLE, log_events, phase_types, wait_build
from kilntest.clients import ACCOUNT, DEFAULT_KEY, REGION
from kilntest.contract import CBOR, JSON
from kilntest.gitrepo import EXPORTING_BUILDSPEC, Repo

PROJECT = "learn_codebuild_single"
CODECOMMIT_URL = "https://git-codecommit.us-east-1.amazonaws.com/v1/repos/MyDemoRepo"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
ALL_PHASES = ["SUBMITTED", "QUEUED", "PROVISIONING", "DOWNLOAD_SOURCE", "INSTALL", "PRE_BUILD",
              "BUILD", "POST_BUILD", "UPLOAD_ARTIFACTS", "FINALIZING", "COMPLETED"]


@pytest.fixture
def demo_repo(tmp_path):
    """MyDemoRepo: main, and a branch f3 two commits ahead of it."""
    repo = Repo(tmp_path / "MyDemoRepo")
    repo.commit({"buildspec.yml": EXPORTING_BUILDSPEC, "version.txt": "main-1"}, "initial")
    repo.checkout("f3", create_from="main")
    repo.commit({"version.txt": "f3-1"}, "f3 work")
    repo.commit({"version.txt": "f3-2"}, "f3 more work")
    repo.checkout("main")
    repo.commit({"version.txt": "main-2"}, "main moves on")
    return repo


@pytest.mark.parametrize("protocol", [JSON, CBOR])
def test_codebuild_docs_story(start_server, demo_repo, protocol):
    # Each protocol gets a fresh server so that the project keeps the documented name and its
    # first build is number 1.
    kiln = start_server(f"story-{protocol}")
    kiln.map_url(CODECOMMIT_URL, demo_repo.url)
    cb = kiln.codebuild(protocol)

    project = cb.create_project(
        name=PROJECT,
        source={"type": "CODECOMMIT", "location": CODECOMMIT_URL},
        artifacts={"type": "NO_ARTIFACTS"},
        environment=ENVIRONMENT,
        serviceRole=SERVICE_ROLE,
    )["project"]
    assert project["arn"] == f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/{PROJECT}"

    started = time.monotonic()
    build = cb.start_build(projectName=PROJECT, sourceVersion="refs/heads/f3")["build"]
    answered_in = time.monotonic() - started
    assert answered_in < 3, f"StartBuild took {answered_in:.3f}s; it must not wait for the build"

    # The immediate answer: a queued build, shaped like CodeBuild's.
    assert re.fullmatch(rf"{PROJECT}:{UUID}", build["id"]), build["id"]
    uuid = build["id"].split(":", 1)[1]
    assert build["arn"] == f"arn:aws:codebuild:{REGION}:{ACCOUNT}:build/{build['id']}"
    assert build["buildNumber"] == 1
    assert build["buildStatus"] == "IN_PROGRESS"
    assert build["buildComplete"] is False
    assert build["currentPhase"] == "QUEUED"
    assert build["projectName"] == PROJECT
    assert build["initiator"] == DEFAULT_KEY[0]
    assert build["sourceVersion"] == "refs/heads/f3"
    assert "resolvedSourceVersion" not in build
    assert build["source"]["type"] == "CODECOMMIT"
    assert build["source"]["location"] == CODECOMMIT_URL
    assert build["environment"]["image"] == ENVIRONMENT["image"]
    assert build["environment"]["computeType"] == ENVIRONMENT["computeType"]
    assert build["serviceRole"] == SERVICE_ROLE
    assert build["timeoutInMinutes"] == 60
    assert build["queuedTimeoutInMinutes"] == 480
    submitted, queued = build["phases"]
    assert submitted["phaseType"] == "SUBMITTED"
    assert submitted["phaseStatus"] == "SUCCEEDED"
    assert submitted["durationInSeconds"] == 0
    assert submitted["endTime"] >= submitted["startTime"]
    assert "contexts" not in submitted
    assert set(queued) == {"phaseType", "startTime"}, queued
    assert queued["phaseType"] == "QUEUED"
    assert "group=null;stream=null" in build["logs"]["deepLink"]
    assert "groupName" not in build["logs"] and "streamName" not in build["logs"]

    done = wait_build(cb, build["id"], timeout=60)

    assert done["buildStatus"] == "SUCCEEDED", done["phases"]
    assert done["buildComplete"] is True
    assert done["currentPhase"] == "COMPLETED"
    assert done["resolvedSourceVersion"] == demo_repo.head("f3")
    assert {v["name"]: v["value"] for v in done["exportedEnvironmentVariables"]} == {
        "CONTENT": "f3-2", "HEAD_SHA": demo_repo.head("f3")}
    assert done["endTime"] >= done["startTime"]

    # Phases exactly as CodeBuild records them (codebuild.md §2).
    assert phase_types(done) == ALL_PHASES
    previous_start = None
    for p in done["phases"]:
        if previous_start is not None:
            assert p["startTime"] >= previous_start, p
        previous_start = p["startTime"]
        if p["phaseType"] == "COMPLETED":
            assert set(p) == {"phaseType", "startTime"}, p
            continue
        assert p["phaseStatus"] == "SUCCEEDED", p
        assert p["endTime"] >= p["startTime"]
        assert p["durationInSeconds"] == int((p["endTime"] - p["startTime"]).total_seconds())
        if p["phaseType"] in ("SUBMITTED", "QUEUED"):
            assert "contexts" not in p, p
        else:
            assert p["contexts"] == [{"statusCode": "", "message": ""}], p

    group, stream = f"/aws/codebuild/{PROJECT}", uuid
    assert done["logs"]["groupName"] == group
    assert done["logs"]["streamName"] == stream
    assert f"group={group};stream={stream}" in done["logs"]["deepLink"]
    assert done["logs"]["cloudWatchLogsArn"] == (
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}:log-stream:{stream}")

    check_log_paging(kiln.logs(), done)


def check_log_paging(logs, build):
    """The log read the way CodeBuild users read it: whole, forward by pages, backward by pages."""
    group, stream = build["logs"]["groupName"], build["logs"]["streamName"]
    whole = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)["events"]
    text = "".join(e["message"] for e in whole)
    for line in ["Entering phase BUILD", "Running command CONTENT=$(cat version.txt)",
                 "building f3-2 at", "Phase complete: BUILD State: SUCCEEDED"]:
        assert line in text, f"{line!r} not in the log:\n{text}"
    assert len(whole) >= 6
    stamps = [e["timestamp"] for e in whole]
    assert stamps == sorted(stamps)
    assert all(e["ingestionTime"] >= e["timestamp"] - 1000 for e in whole)

    # Forward in pages of 2 until the forward token stops changing.
    assert log_events(logs, build, limit=2) == whole

    # Backward from the end in pages of 2: without a token the last page comes first.
    pages, token = [], None
    for _ in range(len(whole) + 2):
        params = {"logGroupName": group, "logStreamName": stream, "limit": 2}
        if token:
            params["nextToken"] = token
        page = logs.get_log_events(**params)
        if page["nextBackwardToken"] == token:
            assert page["events"] == []
            break
        pages.insert(0, page["events"])
        token = page["nextBackwardToken"]
    else:
        pytest.fail("the backward token never repeated")
    assert [e for page in pages for e in page] == whole

"""Controlling builds: StopBuild kills the whole process tree, timeouts end builds TIMED_OUT,
builds queue past the server's concurrency, the queued timeout, and a project's
concurrentBuildLimit. Waits poll BatchGetBuilds (or pgrep) against a deadline.

The `fast` server counts a timeout "minute" as one second (KILN_MINUTE_SECONDS=1), so the
smallest timeout CodeBuild accepts (5 minutes) lasts 5 s, and waits 1 s between SIGTERM and
SIGKILL; it runs one build at a time."""

import pytest
from botocore.exceptions import ClientError

from kilntest.builds import (buildspec, create_project, get_build, log_text, no_source, phase, phase_types, uniq,
                             wait_build, wait_until)
from kilntest.procs import marker, pids, sleeper

HEAD = ["SUBMITTED", "QUEUED", "PROVISIONING", "DOWNLOAD_SOURCE", "INSTALL", "PRE_BUILD", "BUILD"]


@pytest.fixture
def fast(start_server):
    return start_server("fast", concurrency=1,
                        env={"KILN_MINUTE_SECONDS": "1", "KILN_STOP_GRACE_SECONDS": "1"})


def start_sleeper(cb, project_name=None, ignore_term=False, **start):
    """Starts a build whose BUILD phase runs until killed; returns (build, marker) once the
    sleeping process exists."""
    mark = marker()
    if project_name is None:
        project_name = create_project(cb, uniq("sleeper"))["name"]
    build = cb.start_build(projectName=project_name,
                           buildspecOverride=buildspec(build=["echo going to sleep", sleeper(mark, ignore_term)]),
                           **start)["build"]
    return build, mark


def wait_running(mark, timeout=30):
    wait_until(lambda: pids(mark), timeout, f"a process running `sleep {mark}`")


def wait_gone(mark, timeout=15):
    wait_until(lambda: not pids(mark), timeout, f"the processes running `sleep {mark}` to end")


def error_code(e: pytest.ExceptionInfo) -> str:
    return e.value.response["Error"]["Code"]


def test_stop_build_stops_a_running_build_and_its_processes(cb, logs):
    build, mark = start_sleeper(cb)
    wait_running(mark)
    assert get_build(cb, build["id"])["currentPhase"] == "BUILD"

    stopped = cb.stop_build(id=build["id"])["build"]
    assert stopped["id"] == build["id"]
    done = wait_build(cb, build["id"], timeout=30)
    assert done["buildStatus"] == "STOPPED"
    assert done["buildComplete"] is True
    # CodeBuild: the running phase ends STOPPED and the build goes straight to COMPLETED.
    assert phase_types(done) == HEAD + ["COMPLETED"]
    assert phase(done, "BUILD")["phaseStatus"] == "STOPPED"
    wait_gone(mark)
    assert "Running command sh -c" in log_text(logs, done)

    with pytest.raises(ClientError) as e:
        cb.stop_build(id=build["id"])
    assert error_code(e) == "InvalidInputException"
    assert "STOPPED" in e.value.response["Error"]["Message"]


def test_stop_build_of_an_unknown_build(any_cb):
    with pytest.raises(ClientError) as e:
        any_cb.stop_build(id="no-such-project:00000000-0000-0000-0000-000000000000")
    assert error_code(e) == "ResourceNotFoundException"


def test_stop_build_ends_processes_that_ignore_sigterm(fast):
    cb = fast.codebuild()
    build, mark = start_sleeper(cb, ignore_term=True)
    wait_running(mark)
    cb.stop_build(id=build["id"])
    done = wait_build(cb, build["id"], timeout=30)
    assert done["buildStatus"] == "STOPPED"
    wait_gone(mark)


def test_build_timeout(fast):
    cb = fast.codebuild()
    project = create_project(cb, uniq("timeout"), timeoutInMinutes=5)
    build, mark = start_sleeper(cb, project["name"])
    wait_running(mark)
    done = wait_build(cb, build["id"], timeout=40)
    assert done["buildStatus"] == "TIMED_OUT"
    assert phase_types(done) == HEAD + ["COMPLETED"]
    build_phase = phase(done, "BUILD")
    assert build_phase["phaseStatus"] == "TIMED_OUT"
    [ctx] = build_phase["contexts"]
    assert ctx["statusCode"] == "BUILD_TIMED_OUT"
    assert "5 minutes" in ctx["message"]
    # Five "minutes" of one second each, counted from when the build left the queue.
    ran_for = (done["endTime"] - phase(done, "QUEUED")["endTime"]).total_seconds()
    assert 4.9 <= ran_for < 30, ran_for
    wait_gone(mark)


def test_builds_queue_past_the_concurrency_limit(fast):
    cb = fast.codebuild()
    project = create_project(cb, uniq("queue"))
    first, mark = start_sleeper(cb, project["name"])
    wait_running(mark)
    second = cb.start_build(projectName=project["name"])["build"]
    third = cb.start_build(projectName=project["name"])["build"]
    assert get_build(cb, second["id"])["currentPhase"] == "QUEUED"
    assert get_build(cb, third["id"])["currentPhase"] == "QUEUED"

    # A queued build that is stopped ends there.
    cb.stop_build(id=third["id"])
    third = wait_build(cb, third["id"], timeout=10)
    assert third["buildStatus"] == "STOPPED"
    assert phase_types(third) == ["SUBMITTED", "QUEUED", "COMPLETED"]
    assert phase(third, "QUEUED")["phaseStatus"] == "STOPPED"

    # The second build is still waiting for the one slot, and runs once the first ends.
    assert get_build(cb, second["id"])["currentPhase"] == "QUEUED"
    cb.stop_build(id=first["id"])
    first = wait_build(cb, first["id"], timeout=30)
    second = wait_build(cb, second["id"], timeout=30)
    assert second["buildStatus"] == "SUCCEEDED", second["phases"]
    assert phase(second, "QUEUED")["endTime"] >= phase(first, "COMPLETED")["startTime"]
    assert phase(second, "PROVISIONING")["startTime"] >= first["endTime"]


def test_queued_timeout(fast):
    cb = fast.codebuild()
    blocker, mark = start_sleeper(cb)
    wait_running(mark)
    project = create_project(cb, uniq("queued-timeout"))
    waiting = cb.start_build(projectName=project["name"], queuedTimeoutInMinutesOverride=5)["build"]
    done = wait_build(cb, waiting["id"], timeout=40)
    assert done["buildStatus"] == "TIMED_OUT"
    assert phase_types(done) == ["SUBMITTED", "QUEUED", "COMPLETED"]
    queued = phase(done, "QUEUED")
    assert queued["phaseStatus"] == "TIMED_OUT"
    assert queued["durationInSeconds"] >= 5
    # The running build was not affected.
    assert get_build(cb, blocker["id"])["buildStatus"] == "IN_PROGRESS"
    cb.stop_build(id=blocker["id"])
    wait_build(cb, blocker["id"], timeout=30)
    wait_gone(mark)


def test_project_concurrent_build_limit(cb):
    # The shared server runs 4 builds at once: a project may not ask for more.
    with pytest.raises(ClientError) as e:
        create_project(cb, uniq("limit"), concurrentBuildLimit=5)
    assert error_code(e) == "InvalidInputException"
    assert "account-level concurrent build limit of 4" in e.value.response["Error"]["Message"]

    project = create_project(cb, uniq("limit"), concurrentBuildLimit=1)
    assert project["concurrentBuildLimit"] == 1
    running, mark = start_sleeper(cb, project["name"])
    # Past the limit StartBuild fails: CodeBuild does not queue such builds.
    with pytest.raises(ClientError) as e:
        cb.start_build(projectName=project["name"])
    assert error_code(e) == "AccountLimitExceededException"
    assert "limit of 1" in e.value.response["Error"]["Message"]

    # -1 removes the limit (UpdateProject).
    updated = cb.update_project(name=project["name"], concurrentBuildLimit=-1)["project"]
    assert "concurrentBuildLimit" not in updated
    extra = cb.start_build(projectName=project["name"])["build"]
    wait_build(cb, extra["id"])
    cb.stop_build(id=running["id"])
    assert wait_build(cb, running["id"], timeout=30)["buildStatus"] == "STOPPED"
    wait_gone(mark)


def test_limit_counts_only_active_builds(cb):
    project = create_project(cb, uniq("limit-done"), concurrentBuildLimit=1,
                             source=no_source(buildspec(build=["true"])))
    for _ in range(3):
        build = cb.start_build(projectName=project["name"])["build"]
        assert wait_build(cb, build["id"])["buildStatus"] == "SUCCEEDED"


def test_stopped_phase_has_no_contexts(cb):
    build, mark = start_sleeper(cb)
    wait_running(mark)
    cb.stop_build(id=build["id"])
    done = wait_build(cb, build["id"], timeout=30)
    wait_gone(mark)
    assert "contexts" not in phase(done, "BUILD")


def test_account_queue_limit(fast):
    cb = fast.codebuild()
    blocker, mark = start_sleeper(cb)
    wait_running(mark)
    project = create_project(cb, uniq("account-queue"))
    # One build at a time: the account queue holds five times that.
    queued = [cb.start_build(projectName=project["name"])["build"] for _ in range(5)]
    with pytest.raises(ClientError) as e:
        cb.start_build(projectName=project["name"])
    assert error_code(e) == "AccountLimitExceededException"
    assert "Cannot have more than 5 builds in queue" in e.value.response["Error"]["Message"]
    for b in queued:
        cb.stop_build(id=b["id"])
    cb.stop_build(id=blocker["id"])
    wait_gone(mark)

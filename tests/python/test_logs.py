"""Build logs: every line stored with its own timestamp as it is produced (stdout and stderr),
readable while the build runs and after, through GetLogEvents (limits, time windows, tokens)
and through `kiln logs <build-id> [--follow]`."""

import os
import subprocess
import time

import pytest

from kilntest.builds import (buildspec, create_project, get_build, log_events, log_text, no_source, run_build, uniq,
                             wait_build, wait_until)
from kilntest.procs import marker, pids, sleeper
from kilntest.server import kiln_bin


def test_lines_carry_the_time_they_were_written(cb, logs):
    # One command: its lines must be stamped as they come, not when the command ends.
    spec = buildspec(build=["echo first-line; sleep 1.2; echo second-line", "echo to-stderr >&2",
                            "printf 'no trailing newline'"])
    done = run_build(cb, projectName=create_project(cb, uniq("logs-time"), source=no_source(spec))["name"])
    events = log_events(logs, done)
    by_line = {e["message"].rstrip("\n"): e for e in events}
    assert by_line["second-line"]["timestamp"] - by_line["first-line"]["timestamp"] >= 1000
    assert "to-stderr" in by_line
    assert "no trailing newline" in by_line
    assert all(e["message"].endswith("\n") for e in events)
    start_ms = done["startTime"].timestamp() * 1000
    end_ms = done["endTime"].timestamp() * 1000
    assert all(start_ms - 1000 <= e["timestamp"] <= end_ms + 1000 for e in events)


def test_time_window_and_limit(cb, logs):
    spec = buildspec(build=["echo early", "sleep 1.2", "echo late"])
    done = run_build(cb, projectName=create_project(cb, uniq("logs-window"), source=no_source(spec))["name"])
    group, stream = done["logs"]["groupName"], done["logs"]["streamName"]
    events = log_events(logs, done)
    late = next(e for e in events if e["message"] == "late\n")
    after = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True,
                                startTime=late["timestamp"])["events"]
    assert after[0]["message"] == "late\n"
    assert all(e["timestamp"] >= late["timestamp"] for e in after)
    before = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True,
                                 endTime=late["timestamp"])["events"]
    assert "early\n" in [e["message"] for e in before]
    assert all(e["timestamp"] < late["timestamp"] for e in before)
    first_three = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True, limit=3)
    assert first_three["events"] == events[:3]
    last_two = logs.get_log_events(logGroupName=group, logStreamName=stream, limit=2)
    assert last_two["events"] == events[-2:]


def test_log_is_readable_while_the_build_runs(cb, logs):
    mark = marker()
    spec = buildspec(build=["echo still-running-line", sleeper(mark)])
    build = cb.start_build(projectName=create_project(cb, uniq("logs-live"), source=no_source(spec))["name"])["build"]
    running = wait_build(cb, build["id"], until=lambda b: b.get("logs", {}).get("streamName") or b["buildComplete"])
    wait_until(lambda: "still-running-line\n" in log_text(logs, running), 30, "the line to be readable")
    assert get_build(cb, build["id"])["buildStatus"] == "IN_PROGRESS"
    cb.stop_build(id=build["id"])
    assert wait_build(cb, build["id"], timeout=30)["buildStatus"] == "STOPPED"
    wait_until(lambda: not pids(mark), 15, "the build's processes to end")


def kiln_logs(kiln, build_id, *flags, **popen):
    env = {**os.environ, "KILN_ENDPOINT": kiln.endpoint}
    return subprocess.Popen([str(kiln_bin()), "logs", build_id, *flags], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)


def test_kiln_logs_prints_a_finished_build(kiln, cb):
    spec = buildspec(build=["echo printed by kiln logs"])
    done = run_build(cb, projectName=create_project(cb, uniq("logs-cli"), source=no_source(spec))["name"])
    out, err = kiln_logs(kiln, done["id"]).communicate(timeout=30)
    assert "printed by kiln logs\n" in out, err
    assert "Phase complete: BUILD State: SUCCEEDED" in out
    # The ARN names the build too.
    out_arn, _ = kiln_logs(kiln, done["arn"]).communicate(timeout=30)
    assert out_arn == out


def test_kiln_logs_follow_ends_with_the_build(kiln, cb):
    mark = marker()
    spec = buildspec(build=["echo before-stop", sleeper(mark)], post_build=["echo never-reached"])
    build = cb.start_build(projectName=create_project(cb, uniq("logs-follow"), source=no_source(spec))["name"])["build"]
    follower = kiln_logs(kiln, build["id"], "--follow")
    try:
        wait_until(lambda: pids(mark), 30, "the build to sleep")
        assert follower.poll() is None, "kiln logs --follow ended while the build was running"
        cb.stop_build(id=build["id"])
        out, err = follower.communicate(timeout=30)
    finally:
        if follower.poll() is None:
            follower.kill()
    assert follower.returncode == 0, err
    assert "before-stop\n" in out


def test_kiln_logs_of_an_unknown_build(kiln):
    proc = kiln_logs(kiln, "nope:00000000-0000-0000-0000-000000000000")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode != 0
    assert "not found" in err


@pytest.mark.parametrize("lines", [2500])
def test_a_long_log_pages_completely(cb, logs, lines):
    spec = buildspec(build=[f"seq 1 {lines}"])
    done = run_build(cb, projectName=create_project(cb, uniq("logs-long"), source=no_source(spec))["name"])
    numbers = [e["message"] for e in log_events(logs, done, limit=1000) if e["message"].strip().isdigit()]
    assert numbers == [f"{i}\n" for i in range(1, lines + 1)]
    t0 = time.monotonic()
    whole = logs.get_log_events(logGroupName=done["logs"]["groupName"], logStreamName=done["logs"]["streamName"],
                                startFromHead=True)
    assert time.monotonic() - t0 < 5
    assert len(whole["events"]) >= lines

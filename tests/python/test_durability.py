"""Durability: `kill -9` the server while a build runs, start it again on the same data dir.
Everything acknowledged is still there, the interrupted build is FAULT with a context saying
why (not IN_PROGRESS forever), what it left running is gone, and queued builds then run."""

import os
import signal

from kilntest.builds import (buildspec, create_project, get_build, log_text, phase, uniq, wait_build,
                             wait_until)
from kilntest.procs import marker, pids, sleeper


def test_kill_9_and_restart(start_server):
    kiln = start_server("durable", concurrency=1)
    cb = kiln.codebuild()

    finished_project = create_project(cb, uniq("dur-done"))
    finished = wait_build(cb, cb.start_build(projectName=finished_project["name"])["build"]["id"])
    assert finished["buildStatus"] == "SUCCEEDED"

    project = create_project(cb, uniq("dur"))
    mark = marker()
    running = cb.start_build(projectName=project["name"],
                             buildspecOverride=buildspec(build=["echo before the crash", sleeper(mark)]))["build"]
    wait_until(lambda: pids(mark), 30, "the build's sleep to start")
    queued = cb.start_build(projectName=project["name"],
                            buildspecOverride=buildspec(build=["echo after the restart"]))["build"]
    assert get_build(cb, queued["id"])["currentPhase"] == "QUEUED"
    late_project = create_project(cb, uniq("dur-late"), description="created just before the crash")

    kiln.server.kill9()
    kiln.server.start()
    cb = kiln.codebuild()
    logs = kiln.logs()

    # Everything acknowledged survived.
    found = cb.batch_get_projects(names=[finished_project["name"], project["name"], late_project["name"]])
    assert found["projectsNotFound"] == []
    assert {p["name"]: p.get("description") for p in found["projects"]}[late_project["name"]] == \
        "created just before the crash"
    assert get_build(cb, finished["id"]) == finished
    assert "hello" in log_text(logs, finished)

    # The interrupted build ended FAULT, saying why, and its processes are gone.
    interrupted = get_build(cb, running["id"])
    assert interrupted["buildStatus"] == "FAULT"
    assert interrupted["buildComplete"] is True
    assert interrupted["phases"][-1]["phaseType"] == "COMPLETED"
    build_phase = phase(interrupted, "BUILD")
    assert build_phase["phaseStatus"] == "FAULT"
    [ctx] = build_phase["contexts"]
    assert "server" in ctx["message"].lower() and "running" in ctx["message"].lower(), ctx
    wait_until(lambda: not pids(mark), 15, "the interrupted build's processes to end")
    assert "before the crash" in log_text(logs, interrupted)

    # The queued build runs now.
    resumed = wait_build(cb, queued["id"], timeout=60)
    assert resumed["buildStatus"] == "SUCCEEDED", resumed["phases"]
    assert "after the restart" in log_text(logs, resumed)

    # Numbering goes on where it was.
    assert cb.start_build(projectName=project["name"])["build"]["buildNumber"] == 3
    ids = cb.list_builds_for_project(projectName=project["name"])["ids"]
    assert ids[1:] == [queued["id"], running["id"]]


def test_a_vanished_agent_ends_the_build_as_fault(kiln, cb):
    project = create_project(cb, uniq("dur-agent"))
    mark = marker()
    build = cb.start_build(projectName=project["name"], buildspecOverride=buildspec(build=[sleeper(mark)]))["build"]
    wait_until(lambda: pids(mark), 30, "the build's sleep to start")
    # The agent's process group id is kept in the build's directory (executor run.rs).
    pgid_file = kiln.server.data_dir / "builds" / build["id"].split(":", 1)[1] / "agent.pgid"
    pgid = int(pgid_file.read_text())
    os.killpg(pgid, signal.SIGKILL)
    done = wait_build(cb, build["id"], timeout=30)
    assert done["buildStatus"] == "FAULT"
    [ctx] = phase(done, "BUILD")["contexts"]
    assert ctx["statusCode"] == "SERVER_ERROR"
    assert "agent" in ctx["message"]
    wait_until(lambda: not pids(mark), 15, "the build's processes to end")

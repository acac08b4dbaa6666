"""Resilience under load and faults (issue #6, item 2): `kill -9` at random moments while many
builds are in flight, a full disk during log capture and artifact upload, StopBuild and timeouts
under load leaving no stray processes, and many concurrent API clients without errors or leaks.

Quick sizes run in CI; KILN_FAULTS_FULL=1 runs the full sizes (500 builds, 1,000 clients for
60 s). Every wait polls against a deadline."""

from __future__ import annotations

import http.client
import json
import os
import random
import sqlite3
import subprocess
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from kilntest import s3 as s3test
from kilntest.builds import buildspec, create_project, log_text, no_source, phase, uniq, wait_builds, wait_until
from kilntest.gitrepo import Repo
from kilntest.procs import marker, pids

pytestmark = pytest.mark.slow

FULL = os.environ.get("KILN_FAULTS_FULL") == "1"
TERMINAL = {"SUCCEEDED", "FAILED", "FAULT", "TIMED_OUT", "STOPPED"}


def integrity(db: Path) -> str:
    """SQLite's own verdict on the store file (and its WAL), and every log chunk kept in a spool
    file (builds' output, written there by the agent) pointing at bytes that file holds."""
    with sqlite3.connect(db) as conn:
        verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
        ends = conn.execute("SELECT build_id, MAX(spool_offset + spool_len) FROM log_chunks "
                            "WHERE spool_offset IS NOT NULL GROUP BY build_id").fetchall()
    for build_id, end in ends:
        # Kiln's build ids are `<project>:<uuid>`, both plain: sqlite/spool.rs keeps them as they are.
        project, rest = build_id.split(":", 1)
        spool = db.parent / "logs" / project / f"{rest}.log"
        if not spool.is_file() or spool.stat().st_size < end:
            return f"{build_id}: the log index points past its spool file {spool}"
    return verdict


# --- (a) kill -9 at random moments -------------------------------------------------------------

def marked_spec(marks: Path, *, sleep: float, artifact: bool) -> str:
    """A build that appends its id to the marker file once, outside its workspace, and writes
    some output (so that kills also land while its log is captured)."""
    spec = buildspec(build=[f"echo \"$CODEBUILD_BUILD_ID\" >> {marks}", "seq 1 5000", "echo out > out.txt",
                            f"sleep {sleep}"])
    if artifact:
        spec += "artifacts:\n  files:\n    - out.txt\n"
    return spec


def submit_until_killed(cb, projects, marks: Path, want: int, stop: threading.Event, acked: list[str]) -> None:
    """StartBuild until `want` builds are acknowledged or the server is gone; only an answered
    StartBuild counts as acknowledged."""
    while not stop.is_set() and len(acked) < want:
        kind = random.choice(list(projects))
        spec = marked_spec(marks, sleep=random.choice([0, 0.2, 0.5]), artifact=kind == "artifact")
        try:
            build = cb.start_build(projectName=projects[kind], buildspecOverride=spec)["build"]
        except (BotoCoreError, ClientError):
            return
        acked.append(build["id"])


def test_kill_9_at_random_moments_loses_nothing_and_runs_nothing_twice(start_server, tmp_path):
    total, rounds = (500, 6) if FULL else (60, 3)
    kiln = start_server("crashy", concurrency=4, args=["--sandbox", "none", "--max-queued-builds", "2000"])
    marks = tmp_path / "ran.log"
    marks.touch()
    cb = kiln.codebuild()
    bucket = uniq("crash").lower()
    s3test.client(kiln.endpoint).create_bucket(Bucket=bucket)
    repo = Repo(tmp_path / "repo")
    repo.commit({"README": "crash test\n"})
    projects = {
        "sleep": create_project(cb, uniq("crash-sleep"))["name"],
        "git": create_project(cb, uniq("crash-git"), source={"type": "CODECOMMIT", "location": repo.url})["name"],
        "artifact": create_project(cb, uniq("crash-art"), artifacts={"type": "S3", "location": bucket})["name"],
    }

    acked: list[str] = []
    rng = random.Random()
    for n in range(rounds):
        want = total * (n + 1) // rounds
        stop = threading.Event()
        clients = [kiln.codebuild() for _ in range(4)]
        submitters = [threading.Thread(target=submit_until_killed, args=(c, projects, marks, want, stop, acked))
                      for c in clients]
        for t in submitters:
            t.start()
        # The kill lands while builds are being submitted, queued, fetched, run or uploaded.
        time.sleep(rng.uniform(0.3, 2.5))
        kiln.server.kill9()
        stop.set()
        for t in submitters:
            t.join(timeout=30)
        kiln.server.start()

    cb = kiln.codebuild()
    assert len(acked) >= total // 2, f"only {len(acked)} StartBuild calls were answered"
    assert len(set(acked)) == len(acked)
    # None lost, none left IN_PROGRESS.
    for i in range(0, len(acked), 100):
        assert cb.batch_get_builds(ids=acked[i:i + 100])["buildsNotFound"] == []
    done = wait_builds(cb, acked, timeout=600 if FULL else 150)
    statuses = Counter(b["buildStatus"] for b in done.values())
    odd = {i: failure_context(b) for i, b in done.items() if b["buildStatus"] not in ("SUCCEEDED", "FAULT")}
    assert odd == {}, statuses
    assert statuses["SUCCEEDED"] > 0, statuses

    # None ran twice; every build that succeeded ran exactly once.
    ran = Counter(marks.read_text().split())
    assert [i for i, c in ran.items() if c > 1] == []
    assert [i for i, b in done.items() if b["buildStatus"] == "SUCCEEDED" and ran[i] != 1] == []
    # A StartBuild whose answer the crash cut off may still have been stored (and run): it is a
    # complete build too.
    unanswered = sorted(set(ran) - set(acked))
    if unanswered:
        late = wait_builds(cb, unanswered, timeout=60)
        assert all(b["buildStatus"] in TERMINAL for b in late.values())

    kiln.server.stop()
    assert integrity(kiln.server.data_dir / "kiln.db") == "ok"


# --- (b) disk full ------------------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path):
    """A 40 MiB tmpfs to serve from; mounting needs root (CI runs as root)."""
    if os.geteuid() != 0:
        pytest.fail("the disk-full test mounts a tmpfs and needs root: run it as root (CI does)")
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=40m", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def failure_context(build: dict) -> tuple[str, str]:
    """The first failed phase and its context message."""
    for p in build["phases"]:
        if p.get("phaseStatus") in ("FAILED", "FAULT"):
            return p["phaseType"], " ".join(c.get("message", "") for c in p.get("contexts", []))
    raise AssertionError(f"no failed phase in {build['phases']}")


def test_disk_full_fails_the_build_clearly_and_the_server_keeps_serving(start_server, small_disk):
    kiln = start_server("small", concurrency=2)
    kiln.server.stop()
    # Serve from the tmpfs (the server's own bookkeeping stays beside it).
    kiln.server.data_dir = small_disk / "data"
    kiln.server.start()
    cb, logs = kiln.codebuild(), kiln.logs()
    bucket = uniq("full").lower()
    s3test.client(kiln.endpoint).create_bucket(Bucket=bucket)

    # Artifact upload: a 20 MiB file fits in the workspace but its copy in the object store does not.
    big = "version: 0.2\nphases:\n  build:\n    commands:\n      - head -c 20M /dev/urandom > big.bin\n" \
          "artifacts:\n  files:\n    - big.bin\n"
    art = create_project(cb, uniq("full-art"), source=no_source(big), artifacts={"type": "S3", "location": bucket})
    # Log capture: 64 MiB of output into a 40 MiB disk.
    noisy = buildspec(build=["head -c 64M /dev/zero | tr '\\0' x | fold -w 100", "echo unreachable"])
    chatty = create_project(cb, uniq("full-log"), source=no_source(noisy))

    # One after the other: each must meet the full disk at its own step.
    ids, done = [], {}
    for name in (art["name"], chatty["name"]):
        ids.append(cb.start_build(projectName=name)["build"]["id"])
        done.update(wait_builds(cb, ids[-1:], timeout=120))
    for build_id in ids:
        build = done[build_id]
        assert build["buildStatus"] in ("FAILED", "FAULT"), build["phases"]
        where, message = failure_context(build)
        assert "space" in message.lower() or "disk is full" in message.lower(), (where, message)
    assert failure_context(done[ids[0]])[0] == "UPLOAD_ARTIFACTS"
    # The agent writing the spool file, or the store indexing it, meets the full disk first.
    where, message = failure_context(done[ids[1]])
    assert where == "BUILD" and message.startswith("Cannot store the build's log: "), (where, message)

    # The server keeps serving: reads work, the log of the failed build is readable.
    assert set(ids) <= set(cb.list_builds()["ids"])
    log_text(logs, done[ids[1]])
    assert cb.batch_get_projects(names=[art["name"]])["projectsNotFound"] == []

    kiln.server.stop()
    assert integrity(kiln.server.data_dir / "kiln.db") == "ok"


# --- (c) StopBuild and timeouts under load ------------------------------------------------------

def process_groups() -> dict[int, int]:
    """pid -> process group of every process on the machine."""
    groups = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        groups[int(stat.parent.name)] = int(fields[2])
    return groups


def test_stop_and_timeout_under_load_leave_no_processes(start_server):
    n = 20
    kiln = start_server("stoppy", concurrency=n, args=["--max-queued-builds", "200"],
                        env={"KILN_MINUTE_SECONDS": "1", "KILN_STOP_GRACE_SECONDS": "1"})
    cb = kiln.codebuild()
    mark = marker()
    # Children in the background, in a subshell, detached with nohup, in their own session, and one
    # that ignores SIGTERM.
    spec = buildspec(build=[
        f"sleep {mark} &",
        f"(sleep {mark} &)",
        f"nohup sleep {mark} >/dev/null 2>&1 &",
        f"setsid sleep {mark} &",
        f"sh -c \"trap '' TERM; sleep {mark}\"",
    ])
    project = create_project(cb, uniq("stoppy"), source=no_source(spec))
    # Half are stopped, half time out (5 "minutes" of one second each).
    ids = [cb.start_build(projectName=project["name"], timeoutInMinutesOverride=5)["build"]["id"] for _ in range(n)]
    wait_until(lambda: len(pids(mark)) >= 5 * n, 60, f"{5 * n} marked processes")
    # Each build's process group (recorded while it runs; its directory goes when it ends).
    pgids = {int(f.read_text()) for f in (kiln.server.data_dir / "builds").glob("*/agent.pgid")}
    assert len(pgids) == n
    assert pgids <= set(process_groups().values())
    for build_id in ids[: n // 2]:
        cb.stop_build(id=build_id)
    done = wait_builds(cb, ids, timeout=60)
    assert Counter(done[i]["buildStatus"] for i in ids) == {"STOPPED": n // 2, "TIMED_OUT": n - n // 2}

    wait_until(lambda: not pids(mark), 20, f"the processes running `sleep {mark}` to end")
    wait_until(lambda: not pgids & set(process_groups().values()), 20, "the builds' process groups to empty")


# --- (d) many concurrent API clients ------------------------------------------------------------

def server_usage(pid: int) -> tuple[int, int]:
    """(open fds, RSS in KiB) of a process."""
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    rss = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
               if line.startswith("VmRSS:"))
    return fds, rss


def api_client(host: str, port: int, requests: list[tuple[str, dict]], until: float,
               counts: Counter, errors: list[str]) -> None:
    """One keep-alive connection cycling through `requests` until the deadline."""
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        n = 0
        while time.monotonic() < until:
            target, body = requests[n % len(requests)]
            n += 1
            try:
                conn.request("POST", "/", json.dumps(body),
                             {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"})
                resp = conn.getresponse()
                payload = resp.read()
            except (OSError, http.client.HTTPException) as e:
                errors.append(f"{target}: {e!r}")
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=30)
                continue
            if resp.status != 200:
                errors.append(f"{target}: HTTP {resp.status} {payload[:200]!r}")
            counts[target] += 1
    finally:
        conn.close()


def test_many_concurrent_clients_no_errors_no_leaks(start_server):
    clients, seconds = (1000, 60) if FULL else (200, 10)
    kiln = start_server("busy", concurrency=2)
    cb = kiln.codebuild()
    project = create_project(cb, uniq("busy"), source=no_source(buildspec(build=["seq 1 200"])))
    ids = [cb.start_build(projectName=project["name"])["build"]["id"] for _ in range(4)]
    builds = wait_builds(cb, ids, timeout=60)
    build = builds[ids[0]]
    requests = [
        ("CodeBuild_20161006.BatchGetBuilds", {"ids": ids}),
        ("CodeBuild_20161006.ListBuilds", {}),
        ("Logs_20140328.GetLogEvents", {"logGroupName": build["logs"]["groupName"],
                                         "logStreamName": build["logs"]["streamName"], "startFromHead": True}),
    ]
    host, port = kiln.endpoint.removeprefix("http://").split(":")
    pid = kiln.server.proc.pid
    fds_before, rss_before = server_usage(pid)

    counts: Counter = Counter()
    errors: list[str] = []
    until = time.monotonic() + seconds
    with ThreadPoolExecutor(max_workers=clients) as pool:
        for _ in range(clients):
            pool.submit(api_client, host, int(port), requests, until, counts, errors)
    # Kiln documents no throttling: every request must succeed.
    assert errors == [], f"{len(errors)} errors, e.g. {errors[:5]}"
    assert sum(counts.values()) >= clients, counts

    # After the load, closed connections give their fds back and memory stays bounded.
    wait_until(lambda: server_usage(pid)[0] <= fds_before + 8, 20, "the server's fds to return to the baseline")
    _, rss_after = server_usage(pid)
    assert rss_after <= rss_before + 128 * 1024, (rss_before, rss_after)
    assert phase(cb.batch_get_builds(ids=[ids[0]])["builds"][0], "BUILD")["phaseStatus"] == "SUCCEEDED"

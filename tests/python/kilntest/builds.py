"""Projects, buildspecs, and waiting on builds by polling BatchGetBuilds against a deadline."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime

ENVIRONMENT = {
    "type": "LINUX_CONTAINER",
    "image": "aws/codebuild/standard:7.0",
    "computeType": "BUILD_GENERAL1_SMALL",
}
SERVICE_ROLE = "arn:aws:iam::000000000000:role/kiln-tests"
POLL = 0.05


def uniq(prefix: str) -> str:
    """A project name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def buildspec(*, install=None, pre_build=None, build=None, post_build=None, variables=None,
              exported=None, shell=None, version="0.2", phase_options=None) -> str:
    """A buildspec as YAML text. Commands are written as double-quoted scalars (JSON strings
    are valid YAML), so they can hold any character. `phase_options` maps a phase name to extra
    keys such as {"on-failure": "CONTINUE", "finally": [...]}."""
    q = json.dumps
    lines = [f"version: {version}"]
    if variables or exported or shell:
        lines.append("env:")
        if shell:
            lines.append(f"  shell: {shell}")
        if variables:
            lines.append("  variables:")
            lines += [f"    {k}: {q(v)}" for k, v in variables.items()]
        if exported:
            lines.append("  exported-variables:")
            lines += [f"    - {name}" for name in exported]
    lines.append("phases:")
    phases = {"install": install, "pre_build": pre_build, "build": build, "post_build": post_build}
    options = phase_options or {}
    for name, commands in phases.items():
        if commands is None and name not in options:
            continue
        lines.append(f"  {name}:")
        for key, value in options.get(name, {}).items():
            if isinstance(value, list):
                lines.append(f"    {key}:")
                lines += [f"      - {q(c)}" for c in value]
            else:
                lines.append(f"    {key}: {value}")
        if commands is not None:
            lines.append("    commands:")
            lines += [f"      - {q(c)}" for c in commands]
    return "\n".join(lines) + "\n"


def create_project(cb, name: str | None = None, *, source: dict | None = None, **extra) -> dict:
    """CreateProject with CodeBuild's usual companions (artifacts, environment, role)."""
    params = {
        "name": name or uniq("p"),
        "source": source or {"type": "NO_SOURCE", "buildspec": buildspec(build=["echo hello"])},
        "artifacts": {"type": "NO_ARTIFACTS"},
        "environment": dict(ENVIRONMENT),
        "serviceRole": SERVICE_ROLE,
    }
    params.update(extra)
    return cb.create_project(**params)["project"]


def no_source(spec: str) -> dict:
    return {"type": "NO_SOURCE", "buildspec": spec}


def wait_until(fn, timeout: float, what: str):
    """Calls `fn` until it returns something truthy, or fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(POLL)


def get_build(cb, build_id: str) -> dict:
    found = cb.batch_get_builds(ids=[build_id])
    assert found["buildsNotFound"] == [], found["buildsNotFound"]
    return found["builds"][0]


def wait_builds(cb, ids: list[str], timeout: float = 60.0, until=None) -> dict[str, dict]:
    """Polls BatchGetBuilds until `until(build)` (default: complete) holds for every id."""
    until = until or (lambda b: b["buildComplete"])
    latest: dict[str, dict] = {}

    def poll():
        for i in range(0, len(ids), 100):
            for b in cb.batch_get_builds(ids=ids[i:i + 100])["builds"]:
                latest[b["id"]] = b
        return all(i in latest and until(latest[i]) for i in ids)

    try:
        wait_until(poll, timeout, f"{len(ids)} build(s)")
    except AssertionError:
        states = {i: (b.get("buildStatus"), b.get("currentPhase")) for i, b in latest.items()}
        raise AssertionError(f"builds did not get there within {timeout}s: {states}") from None
    return latest


def wait_build(cb, build_id: str, timeout: float = 60.0, until=None) -> dict:
    return wait_builds(cb, [build_id], timeout, until)[build_id]


def run_build(cb, timeout: float = 60.0, **start) -> dict:
    """StartBuild, then wait until the build is complete."""
    build = cb.start_build(**start)["build"]
    return wait_build(cb, build["id"], timeout)


def phase_types(build: dict) -> list[str]:
    return [p["phaseType"] for p in build.get("phases", [])]


def phase(build: dict, phase_type: str) -> dict:
    found = [p for p in build.get("phases", []) if p["phaseType"] == phase_type]
    assert len(found) == 1, f"{phase_type} appears {len(found)} times in {phase_types(build)}"
    return found[0]


def exported(build: dict) -> dict[str, str]:
    return {v["name"]: v.get("value", "") for v in build.get("exportedEnvironmentVariables", [])}


def millis(ts: datetime) -> int:
    return int(round(ts.timestamp() * 1000))


def log_events(logs_client, build: dict, **extra) -> list[dict]:
    """All of a build's log events, read forward page by page until the token repeats."""
    group, stream = build["logs"]["groupName"], build["logs"]["streamName"]
    events: list[dict] = []
    token = None
    for _ in range(10_000):
        params = {"logGroupName": group, "logStreamName": stream, **extra}
        if token:
            params["nextToken"] = token
        else:
            params["startFromHead"] = True
        page = logs_client.get_log_events(**params)
        events += page["events"]
        if page["nextForwardToken"] == token:
            return events
        token = page["nextForwardToken"]
    raise AssertionError("GetLogEvents never stopped returning new forward tokens")


def log_text(logs_client, build: dict) -> str:
    return "".join(e["message"] for e in log_events(logs_client, build))

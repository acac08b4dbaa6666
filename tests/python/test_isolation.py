"""Isolation: with bubblewrap on the machine, build phases run in a sandbox where the workspace
is writable, the host filesystem read-only, /tmp private and the data dir (the store, other
builds) hidden; each build has its own workspace."""

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from kilntest.builds import buildspec, create_project, exported, log_text, no_source, run_build, uniq, wait_builds
from kilntest.server import kiln_bin


def bwrap_works() -> bool:
    if shutil.which("bwrap") is None:
        return False
    return subprocess.run(["bwrap", "--ro-bind", "/", "/", "true"], capture_output=True).returncode == 0


@pytest.fixture
def host_dir():
    """A host directory outside /tmp (which the sandbox replaces) and outside the data dir. Not
    beside this file: CI may check the project out under /tmp."""
    path = Path("/var/tmp") / f"kiln-sandbox-probe-{uuid.uuid4().hex[:8]}"
    path.mkdir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.skipif(not bwrap_works(), reason="bubblewrap is not usable on this machine")
def test_sandbox(kiln, cb, logs, host_dir):
    tmp_probe = f"/tmp/kiln-probe-{uuid.uuid4().hex}"
    data_dir = kiln.server.data_dir
    spec = buildspec(build=[
        "if touch workspace-file; then WORKSPACE=writable; else WORKSPACE=read-only; fi",
        f"if touch {host_dir}/from-build 2>/dev/null; then HOST=writable; else HOST=read-only; fi",
        f"if test -e {host_dir}; then HOST_VISIBLE=yes; else HOST_VISIBLE=no; fi",
        f"if test -e {data_dir}/kiln.db; then STORE=visible; else STORE=hidden; fi",
        f"touch {tmp_probe} && TMP=writable",
    ], exported=["WORKSPACE", "HOST", "HOST_VISIBLE", "STORE", "TMP"])
    done = run_build(cb, projectName=create_project(cb, uniq("sandbox"), source=no_source(spec))["name"])
    assert done["buildStatus"] == "SUCCEEDED", done["phases"]
    assert "sandbox: bubblewrap" in log_text(logs, done)
    assert exported(done) == {"WORKSPACE": "writable", "HOST": "read-only", "HOST_VISIBLE": "yes",
                              "STORE": "hidden", "TMP": "writable"}
    assert not (host_dir / "from-build").exists()
    assert not Path(tmp_probe).exists(), "the build's /tmp must be its own"


def test_each_build_has_its_own_workspace(cb):
    spec = buildspec(build=["ls -A | wc -l > /dev/null", "COUNT=$(ls -A | wc -l)", "echo x > left-behind",
                            "WHERE=$CODEBUILD_SRC_DIR"], exported=["COUNT", "WHERE"])
    project = create_project(cb, uniq("workspace"), source=no_source(spec))
    ids = [cb.start_build(projectName=project["name"])["build"]["id"] for _ in range(3)]
    done = wait_builds(cb, ids)
    for b in done.values():
        assert b["buildStatus"] == "SUCCEEDED", b["phases"]
        assert exported(b)["COUNT"] == "0", "a workspace starts empty"
    assert len({exported(b)["WHERE"] for b in done.values()}) == 3


def niceness(pid: int) -> int:
    """The niceness of process `pid`: field 19 of /proc/<pid>/stat (after the command's name)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[16])


def test_builds_run_below_the_server_priority(kiln, start_server):
    """Builds share the machine with the API: they run nice(1) steps below the server (10 by
    default, --build-nice), so that calls are answered promptly while builds use every core."""
    spec = buildspec(build=["NICE=$(nice)"], exported=["NICE"])

    def build_niceness(server_kiln) -> int:
        client = server_kiln.codebuild()
        project = create_project(client, uniq("nice"), source=no_source(spec))
        done = run_build(client, projectName=project["name"])
        assert done["buildStatus"] == "SUCCEEDED", done["phases"]
        return int(exported(done)["NICE"])

    server_nice = niceness(kiln.server.proc.pid)
    assert build_niceness(kiln) == min(server_nice + 10, 19)
    same = start_server("same-priority", args=["--build-nice", "0"])
    assert build_niceness(same) == niceness(same.server.proc.pid)


def test_build_nice_out_of_range_is_refused(tmp_path):
    out = subprocess.run([str(kiln_bin()), "serve", "--data-dir", str(tmp_path / "d"), "--build-nice", "20"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode != 0
    assert "--build-nice" in out.stderr and "0..=19" in out.stderr, out.stderr

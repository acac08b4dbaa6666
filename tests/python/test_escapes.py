"""Escapes and limits. A build tries to get out of its sandbox and each attempt must fail: it may
not write outside its workspace, read the server's data dir (store, secrets.key, objects) or
another build's workspace, or see the server's credentials (environment, /proc, the credentials
file). Oversized input (buildspec, commands, log lines) gets a clear error or is split.

The servers here keep their data dir and credentials file under /var/tmp, not /tmp: the sandbox
replaces /tmp wholesale, which would make the attempts pass for the wrong reason."""

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from kilntest.builds import (buildspec, create_project, exported, get_build, log_events, log_text, no_source, phase,
                             run_build, uniq, wait_until)
from kilntest.gitrepo import Repo, git
from kilntest.harness import start_kiln
from kilntest.server import kiln_bin

ENV_KEY = ("AKIDESCAPEENV", "escape-env-secret-" + uuid.uuid4().hex)
FILE_KEY = ("AKIDESCAPEFILE", "escape-file-secret-" + uuid.uuid4().hex)


def bwrap_works() -> bool:
    if shutil.which("bwrap") is None:
        return False
    return subprocess.run(["bwrap", "--ro-bind", "/", "/", "true"], capture_output=True).returncode == 0


sandboxed = pytest.mark.skipif(not bwrap_works(), reason="bubblewrap is not usable on this machine")


@pytest.fixture(scope="module")
def host():
    """A server whose data dir and credentials file are visible on the host filesystem (which
    builds see read-only), with keys both in its environment and in the file."""
    base = Path("/var/tmp") / f"kiln-escape-{uuid.uuid4().hex[:8]}"
    base.mkdir()
    creds = base / "credentials"
    creds.write_text(f"[default]\naws_access_key_id = {FILE_KEY[0]}\naws_secret_access_key = {FILE_KEY[1]}\n")
    creds.chmod(0o600)
    k = start_kiln(base, "server", env={"KILN_ACCESS_KEY_ID": ENV_KEY[0], "KILN_SECRET_ACCESS_KEY": ENV_KEY[1],
                                        "KILN_CREDENTIALS_FILE": str(creds)})
    k.creds = creds
    yield k
    k.server.stop()
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def hcb(host):
    return host.codebuild(key=ENV_KEY)


@pytest.fixture(scope="module")
def hlogs(host):
    return host.logs(key=ENV_KEY)


def attempt(name: str, command: str) -> str:
    """A buildspec line that records whether `command` succeeded in the exported variable `name`."""
    return f"if {command} >/dev/null 2>&1; then {name}=yes; else {name}=no; fi"


def test_the_data_dir_is_there_to_be_attacked(host):
    data = host.server.data_dir
    for name in ("kiln.db", "secrets.key", "objects"):
        assert (data / name).exists(), f"{name} missing: the attempts below would prove nothing"


@sandboxed
def test_a_build_cannot_read_the_data_dir(host, hcb):
    data = host.server.data_dir
    spec = buildspec(build=[
        attempt("LIST", f"ls {data}/kiln.db"),
        attempt("STORE", f"head -c1 {data}/kiln.db"),
        attempt("KEY", f"head -c1 {data}/secrets.key"),
        attempt("OBJECTS", f"ls {data}/objects/."),
        # Its own build directory is mounted there; nothing else may be.
        attempt("BUILDS", f"test $(ls -A {data}/builds | wc -l) -ne 1"),
        # Through /proc: the server's own view of the filesystem.
        attempt("PROC_ROOT", "cat /proc/*/root" + f"{data}/secrets.key"),
        # No process holding the store open is in view.
        attempt("PROC_FD", "sh -c 'ls -l /proc/[0-9]*/fd/ 2>/dev/null | grep -q -e kiln.db -e secrets.key'"),
    ], exported=["LIST", "STORE", "KEY", "OBJECTS", "BUILDS", "PROC_ROOT", "PROC_FD"])
    done = run_build(hcb, projectName=create_project(hcb, uniq("escape-data"), source=no_source(spec))["name"])
    assert done["buildStatus"] == "SUCCEEDED", done["phases"]
    assert exported(done) == {"LIST": "no", "STORE": "no", "KEY": "no", "OBJECTS": "no", "BUILDS": "no",
                              "PROC_ROOT": "no", "PROC_FD": "no"}


@sandboxed
def test_a_build_cannot_write_outside_its_workspace(host, hcb):
    data = host.server.data_dir
    marker = f"escape-{uuid.uuid4().hex[:8]}"
    targets = [host.creds.parent / marker, Path("/etc") / marker, Path("/usr/local") / marker]
    spec = buildspec(build=[
        *(attempt(f"W{i}", f"touch {t}") for i, t in enumerate(targets)),
        # The data dir is an empty scratch tmpfs in the sandbox: the write lands there, not on disk.
        f"touch {data / marker} || true",
        attempt("BIN", f"sh -c ': >> {kiln_bin()}'"),
        attempt("CREDS", f"sh -c ': >> {host.creds}'"),
        attempt("WORKSPACE", "touch in-workspace"),
    ], exported=[*(f"W{i}" for i in range(len(targets))), "BIN", "CREDS", "WORKSPACE"])
    done = run_build(hcb, projectName=create_project(hcb, uniq("escape-write"), source=no_source(spec))["name"])
    assert done["buildStatus"] == "SUCCEEDED", done["phases"]
    got = exported(done)
    assert got.pop("WORKSPACE") == "yes", "the workspace itself must stay writable"
    assert set(got.values()) == {"no"}, got
    for t in [*targets, data / marker]:
        assert not t.exists(), t


@sandboxed
def test_a_build_cannot_see_the_server_credentials(host, hcb, hlogs):
    pid = host.server.proc.pid
    spec = buildspec(build=[
        "env | sort",
        # Every process the build can see, the server's pid as the host numbers it included.
        "for f in /proc/[0-9]*/environ; do tr '\\0' '\\n' < $f; done 2>/dev/null || true",
        f"tr '\\0' '\\n' < /proc/{pid}/environ 2>/dev/null || true",
        f"cat {host.creds} 2>/dev/null || true",
        attempt("CREDS", f"cat {host.creds}"),
        attempt("ENVIRON", f"grep -q KILN_SECRET_ACCESS_KEY /proc/{pid}/environ"),
        attempt("ANY_ENVIRON", "cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | grep -q KILN_SECRET"),
    ], exported=["CREDS", "ENVIRON", "ANY_ENVIRON"])
    done = run_build(hcb, projectName=create_project(hcb, uniq("escape-creds"), source=no_source(spec))["name"])
    assert done["buildStatus"] == "SUCCEEDED", done["phases"]
    text = log_text(hlogs, done)
    assert "env | sort" in text, "the log must hold what the build printed"
    for secret in (ENV_KEY[1], FILE_KEY[1]):
        assert secret not in text
    assert exported(done) == {"CREDS": "no", "ENVIRON": "no", "ANY_ENVIRON": "no"}


@sandboxed
def test_a_build_cannot_reach_the_agents_descriptors(host, hcb, hlogs):
    """The agent running the commands holds the build's spool file, in the data dir, where the
    build's output is written: a build that opened it through /proc/<agent>/fd could rewrite the
    log it wrote earlier."""
    spec = buildspec(build=[
        "echo spooled line",
        attempt("SEE_SPOOL", "sh -c 'ls -l /proc/[0-9]*/fd/ 2>/dev/null | grep -q /logs/'"),
        # The command's shell is the agent's child.
        attempt("PARENT_IS_AGENT", "grep -q agent /proc/$PPID/cmdline"),
        attempt("OPEN_FD", "( : >> /proc/$PPID/fd/1 )"),
        attempt("READLINK", "readlink /proc/$PPID/fd/1"),
    ], exported=["SEE_SPOOL", "PARENT_IS_AGENT", "OPEN_FD", "READLINK"])
    done = run_build(hcb, projectName=create_project(hcb, uniq("escape-fds"), source=no_source(spec))["name"])
    assert done["buildStatus"] == "SUCCEEDED", done["phases"]
    assert exported(done) == {"SEE_SPOOL": "no", "PARENT_IS_AGENT": "yes", "OPEN_FD": "no", "READLINK": "no"}
    assert "spooled line\n" in [e["message"] for e in log_events(hlogs, done)]


@sandboxed
def test_a_build_cannot_forge_its_agents_events(host, hcb, hlogs):
    """Events are the agent's word on the build (its log, phase results, its end): a build that
    wrote into the pipe they go out on could forge them. The sandbox's own process 1 keeps its
    stdout open, so that pipe is not the sandbox's stdout."""
    forged = '{"event":"log","at_ms":1,"line":"FORGED"}'
    # Every descriptor of every process in view; the build's own stdout only logs the text as it is.
    spec = buildspec(build=[f"for f in /proc/[0-9]*/fd/*; do echo '{forged}' > $f; done 2>/dev/null; true"])
    done = run_build(hcb, projectName=create_project(hcb, uniq("escape-forge"), source=no_source(spec))["name"])
    assert done["buildStatus"] == "SUCCEEDED", done["phases"]
    assert "FORGED\n" not in [e["message"] for e in log_events(hlogs, done)]


@sandboxed
def test_a_build_cannot_read_another_builds_workspace(host, hcb):
    """Build A writes a file and waits while B, running at the same time, goes looking for it."""
    release = host.creds.parent / f"release-{uuid.uuid4().hex[:8]}"
    a_spec = buildspec(build=["echo private > private-file",
                              f"until [ -e {release} ]; do sleep 0.1; done"])
    a = hcb.start_build(projectName=create_project(hcb, uniq("escape-a"), source=no_source(a_spec))["name"])["build"]
    builds = host.server.data_dir / "builds"
    try:
        private = wait_until(lambda: next(builds.glob("*/src/private-file"), None), 30, "build A's file")
        spec = buildspec(build=[
            attempt("READ", f"cat {private}"),
            attempt("LIST", f"ls {private.parent}/."),
            attempt("WRITE", f"touch {private.parent}/from-b"),
            attempt("SIBLING", "ls ../../*/src/private-file"),
        ], exported=["READ", "LIST", "WRITE", "SIBLING"])
        b = run_build(hcb, projectName=create_project(hcb, uniq("escape-b"), source=no_source(spec))["name"])
    finally:
        release.touch()
    assert b["buildStatus"] == "SUCCEEDED", b["phases"]
    assert exported(b) == {"READ": "no", "LIST": "no", "WRITE": "no", "SIBLING": "no"}
    assert not (private.parent / "from-b").exists()
    wait_until(lambda: get_build(hcb, a["id"])["buildStatus"] != "IN_PROGRESS", 30, "build A to finish")


# Limits: kiln_buildspec::MAX_BUILDSPEC_BYTES, kiln_buildspec::MAX_COMMANDS, kiln_agent's MAX_LINE_BYTES.
MAX_BUILDSPEC_BYTES = 256 * 1024
MAX_COMMANDS = 1000
MAX_LINE_BYTES = 256 * 1024


def yaml_file_error(done: dict) -> str:
    assert done["buildStatus"] == "FAILED", done["phases"]
    contexts = [c for p in done["phases"] for c in p.get("contexts", []) if c.get("statusCode")]
    assert [c["statusCode"] for c in contexts] == ["YAML_FILE_ERROR"], contexts
    return contexts[0]["message"]


def test_an_inline_buildspec_over_the_limit_is_a_yaml_file_error(cb):
    spec = buildspec(build=["true"])
    spec += "#" * (MAX_BUILDSPEC_BYTES + 1 - len(spec))
    done = run_build(cb, projectName=create_project(cb, uniq("limit-inline"), source=no_source(spec))["name"])
    message = yaml_file_error(done)
    assert f"{MAX_BUILDSPEC_BYTES + 1} bytes, the limit is {MAX_BUILDSPEC_BYTES} bytes" in message


@pytest.fixture(scope="module")
def hostile_repo(tmp_path_factory, kiln):
    """A repository with an oversized buildspec and one that is a symlink to the server's data."""
    repo = Repo(tmp_path_factory.mktemp("hostile") / "repo")
    repo.commit({"big.yml": buildspec(build=["true"]) + "#" * (4 * MAX_BUILDSPEC_BYTES),
                 "ok.yml": buildspec(build=["true"])})
    (repo.path / "stolen.yml").symlink_to(kiln.server.data_dir / "secrets.key")
    (repo.path / "etc.yml").symlink_to("/etc/hostname")
    git(repo.path, "add", "stolen.yml", "etc.yml")
    git(repo.path, "commit", "-q", "-m", "symlinks")
    return repo


def start_from_repo(cb, repo, spec_path: str) -> dict:
    project = create_project(cb, uniq("limit-file"), source={"type": "CODECOMMIT", "location": repo.url,
                                                             "buildspec": spec_path})
    return run_build(cb, projectName=project["name"])


def test_a_buildspec_file_over_the_limit_is_refused_unread(cb, hostile_repo):
    message = yaml_file_error(start_from_repo(cb, hostile_repo, "big.yml"))
    assert f"the limit is {MAX_BUILDSPEC_BYTES} bytes" in message


def test_a_buildspec_symlink_cannot_lead_out_of_the_source(cb, hostile_repo):
    assert start_from_repo(cb, hostile_repo, "ok.yml")["buildStatus"] == "SUCCEEDED"
    for path in ("stolen.yml", "etc.yml"):
        message = yaml_file_error(start_from_repo(cb, hostile_repo, path))
        assert "leads out of the source directory" in message, message


def test_too_many_commands_is_a_yaml_file_error(cb):
    spec = buildspec(build=["true"] * (MAX_COMMANDS // 2), post_build=["true"] * (MAX_COMMANDS // 2 + 1))
    message = yaml_file_error(run_build(cb, projectName=create_project(cb, uniq("limit-cmds"),
                                                                       source=no_source(spec))["name"]))
    assert f"at most {MAX_COMMANDS}" in message, message


def test_a_long_log_line_is_split_not_lost(cb, logs):
    size = 2 * MAX_LINE_BYTES + 100
    spec = buildspec(build=[f"head -c {size} /dev/zero | tr '\\0' x"])
    done = run_build(cb, projectName=create_project(cb, uniq("limit-line"), source=no_source(spec))["name"])
    assert done["buildStatus"] == "SUCCEEDED", done["phases"]
    pieces = [e["message"].rstrip("\n") for e in log_events(logs, done) if set(e["message"].strip()) == {"x"}]
    assert all(len(p) <= MAX_LINE_BYTES for p in pieces), [len(p) for p in pieces]
    assert sum(len(p) for p in pieces) == size

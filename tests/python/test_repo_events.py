"""CodeCommit-style repository events from real git: a push to a bare repository with the hook
`kiln hook install` wrote, or a change seen by polling a remote (`--watch-repo`), becomes a
"CodeCommit Repository State Change" event on Kiln's bus; an EventBridge rule created with boto3
(a CodeBuild target whose InputTransformer sets sourceVersion from detail.commitId) builds
exactly the pushed commit. `--codecommit-trigger-url` receives the same changes in the
CodeCommit trigger format (Records[].codecommit.references[])."""

from __future__ import annotations

import json
import queue
import re
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kilntest import clients
from kilntest.builds import create_project, exported, uniq, wait_build, wait_until
from kilntest.clients import ACCOUNT, REGION
from kilntest.gitrepo import EXPORTING_BUILDSPEC, Repo, git, git_env
from kilntest.server import kiln_bin

DETAIL_TYPE = "CodeCommit Repository State Change"
EVENTS_ROLE = f"arn:aws:iam::{ACCOUNT}:role/kiln-events"


def codecommit_url(name: str) -> str:
    return f"https://git-codecommit.{REGION}.amazonaws.com/v1/repos/{name}"


def repo_arn(name: str) -> str:
    return f"arn:aws:codecommit:{REGION}:{ACCOUNT}:{name}"


def bare_repo(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    git(path.parent, "init", "-q", "--bare", "-b", "main", str(path))
    return path


def clone_with_buildspec(path: Path, remote: Path, content: str) -> Repo:
    """A working repository whose origin is `remote`, with one commit on main."""
    work = Repo(path)
    git(work.path, "remote", "add", "origin", str(remote))
    work.commit({"buildspec.yml": EXPORTING_BUILDSPEC, "version.txt": content}, "initial")
    return work


def push(work: Repo, *refspecs: str, user: str = "pusher") -> str:
    """`git push origin <refspecs>` as `user`; returns what the remote (the hook) printed."""
    proc = subprocess.run(["git", "push", "-q", "origin", *refspecs], cwd=work.path, env={**git_env(), "USER": user},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stderr


def kiln_cli(*args: str, cwd: Path | None = None, stdin: str = "", env: dict | None = None,
             timeout: float = 60) -> subprocess.CompletedProcess:
    """Runs the kiln binary with no keys or endpoint from the runner's environment."""
    base = {k: v for k, v in git_env().items() if not k.startswith(("AWS_", "KILN_"))}
    return subprocess.run([str(kiln_bin()), *args], cwd=cwd, input=stdin, capture_output=True, text=True,
                          env={**base, **(env or {})}, timeout=timeout)


def build_on_push_rule(events, project: dict, repository: str, branch: str = "main") -> str:
    """The documented setup: a rule on the repository's branch, with a CodeBuild target that
    builds the pushed commit."""
    rule = uniq("on-push")
    events.put_rule(Name=rule, EventPattern=json.dumps({
        "source": ["aws.codecommit"],
        "detail-type": [DETAIL_TYPE],
        "resources": [repo_arn(repository)],
        "detail": {"event": ["referenceCreated", "referenceUpdated"], "referenceType": ["branch"],
                   "referenceName": [branch]},
    }))
    answer = events.put_targets(Rule=rule, Targets=[{
        "Id": "build",
        "Arn": project["arn"],
        "RoleArn": EVENTS_ROLE,
        "InputTransformer": {
            "InputPathsMap": {"commit": "$.detail.commitId"},
            "InputTemplate": '{"sourceVersion": <commit>}',
        },
    }])
    assert answer["FailedEntryCount"] == 0, answer
    return rule


def builds_of(cb, project: str, count: int, timeout: float = 60) -> list[dict]:
    """Waits until the project has `count` builds, then until they are complete (oldest first)."""
    ids = wait_until(lambda: (lambda found: found if len(found) >= count else None)(
        cb.list_builds_for_project(projectName=project, sortOrder="ASCENDING")["ids"]), timeout,
        f"{count} build(s) of {project}")
    return [wait_build(cb, i, timeout) for i in ids]


def assert_built(build: dict, sha: str, content: str) -> None:
    assert build["buildStatus"] == "SUCCEEDED", build.get("phases")
    assert build["sourceVersion"] == sha
    assert build["resolvedSourceVersion"] == sha
    assert exported(build) == {"CONTENT": content, "HEAD_SHA": sha}


@pytest.fixture(scope="module")
def events(kiln):
    return clients.json_client(kiln.endpoint, "events")


# ------------------------------------------------------------------------ the hook


def test_push_to_a_hooked_bare_repository_builds_the_pushed_commit(kiln, cb, events, tmp_path):
    name = uniq("HookedRepo")
    bare = bare_repo(tmp_path / f"{name}.git")
    installed = kiln_cli("hook", "install", str(bare), "--endpoint", kiln.endpoint)
    assert installed.returncode == 0, installed.stderr
    hook = bare / "hooks" / "post-receive"
    assert f"installed {hook}" in installed.stdout and name in installed.stdout
    assert hook.stat().st_mode & 0o111, "the hook must be executable"

    kiln.map_url(codecommit_url(name), f"file://{bare}")
    project = create_project(cb, uniq("on-push"), source={"type": "CODECOMMIT", "location": codecommit_url(name)})
    build_on_push_rule(events, project, name)

    work = clone_with_buildspec(tmp_path / "work", bare, "one")
    first = work.head()
    remote_says = push(work, "main")
    assert re.search(r"remote: kiln: referenceCreated refs/heads/main published to .* \(event \S+\)", remote_says), \
        remote_says
    # A branch the rule does not name publishes its event but starts nothing.
    work.checkout("topic", create_from="main")
    work.commit({"version.txt": "topic"})
    assert "referenceCreated refs/heads/topic published" in push(work, "topic")
    work.checkout("main")
    second = work.commit({"version.txt": "two"})
    assert "referenceUpdated refs/heads/main published" in push(work, "main")

    built = builds_of(cb, project["name"], 2)
    assert_built(built[0], first, "one")
    assert_built(built[1], second, "two")
    assert len(cb.list_builds_for_project(projectName=project["name"])["ids"]) == 2


def test_hook_install_refuses_a_foreign_hook_and_replaces_its_own(tmp_path):
    bare = bare_repo(tmp_path / "Repo.git")
    for _ in range(2):
        assert kiln_cli("hook", "install", str(bare)).returncode == 0
    hook = bare / "hooks" / "post-receive"
    assert hook.read_text().count("hook post-receive") == 1
    hook.write_text("#!/bin/sh\necho mine\n")
    refused = kiln_cli("hook", "install", str(bare))
    assert refused.returncode != 0
    assert "Kiln did not write it" in refused.stderr and "--force" in refused.stderr
    assert hook.read_text() == "#!/bin/sh\necho mine\n"
    assert kiln_cli("hook", "install", str(bare), "--force").returncode == 0
    assert "kiln" in hook.read_text()

    assert kiln_cli("hook", "install", str(tmp_path / "missing")).returncode != 0
    bad_name = bare_repo(tmp_path / "bad name.git")
    refused = kiln_cli("hook", "install", str(bad_name))
    assert refused.returncode != 0 and "not a valid repository name" in refused.stderr
    assert kiln_cli("hook", "install", str(bad_name), "--repository-name", "GoodName").returncode == 0


def test_hook_reports_bad_input_and_an_unreachable_kiln(tmp_path):
    bare = bare_repo(tmp_path / "Repo.git")
    sha = "1" * 40
    bad = kiln_cli("hook", "post-receive", cwd=bare, stdin=f"{sha} refs/heads/main\n")
    assert bad.returncode != 0
    assert "line 1: expected `<old-id> <new-id> <ref>`" in bad.stderr, bad.stderr

    # Nothing listens on a port just freed: the hook says so and ends, it does not hang.
    with ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler) as probe:
        dead = f"http://127.0.0.1:{probe.server_address[1]}"
    down = kiln_cli("hook", "post-receive", "--endpoint", dead, "--timeout-seconds", "5", cwd=bare,
                    stdin=f"{'0' * 40} {sha} refs/heads/main\n", timeout=30)
    assert down.returncode != 0
    assert f"could not publish 1 repository event(s) for Repo to Kiln at {dead}" in down.stderr, down.stderr
    assert "the push itself succeeded" in down.stderr

    # A Kiln that accepts the connection but never answers: the hook gives up after its timeout.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        started = time.monotonic()
        hung = kiln_cli("hook", "post-receive", "--endpoint", f"http://127.0.0.1:{silent.getsockname()[1]}",
                        "--timeout-seconds", "1", cwd=bare, stdin=f"{'0' * 40} {sha} refs/heads/main\n", timeout=30)
        assert time.monotonic() - started < 15
    assert hung.returncode != 0
    assert "no answer within 1.0s" in hung.stderr, hung.stderr

    # Refs that are neither branches nor tags make no events, so nothing is sent.
    quiet = kiln_cli("hook", "post-receive", "--endpoint", dead, cwd=bare,
                     stdin=f"{'0' * 40} {sha} refs/notes/commits\n")
    assert quiet.returncode == 0, quiet.stderr


def test_hook_signs_its_requests_with_kilns_keys(start_server, tmp_path):
    key = ("AKIDHOOK", "hook-secret")
    kiln = start_server("signed", env={"KILN_ACCESS_KEY_ID": key[0], "KILN_SECRET_ACCESS_KEY": key[1]})
    bare = bare_repo(tmp_path / "Signed.git")
    line = f"{'0' * 40} {'1' * 40} refs/heads/main\n"

    unsigned = kiln_cli("hook", "post-receive", "--endpoint", kiln.endpoint, cwd=bare, stdin=line)
    assert unsigned.returncode != 0
    assert "could not publish 1 repository event(s) for Signed" in unsigned.stderr
    assert "MissingAuthenticationToken" in unsigned.stderr, unsigned.stderr

    signed = kiln_cli("hook", "post-receive", "--endpoint", kiln.endpoint, cwd=bare, stdin=line,
                      env={"KILN_ACCESS_KEY_ID": key[0], "KILN_SECRET_ACCESS_KEY": key[1]})
    assert signed.returncode == 0, signed.stderr
    assert "referenceCreated refs/heads/main published" in signed.stderr


# ------------------------------------------------------------------------ polling


def wait_for_log(server, *texts: str, timeout: float = 30) -> None:
    """Waits until one line of the server's log holds all of `texts`."""
    def seen():
        lines = server.log_path.read_text(errors="replace").splitlines()
        return any(all(t in line for t in texts) for line in lines)
    wait_until(seen, timeout, f"{texts!r} in the server log")


def test_polling_a_remote_builds_the_pushed_commit(start_server, tmp_path):
    name = uniq("PolledRepo")
    bare = bare_repo(tmp_path / f"{name}.git")
    work = clone_with_buildspec(tmp_path / "work", bare, "before")
    push(work, "main")
    kiln = start_server("polling", args=["--watch-repo", f"{name}=file://{bare}", "--watch-interval-seconds", "0.2"])
    # The first poll records what is there and publishes nothing.
    wait_for_log(kiln.server, f"watching repository {name} ")
    cb = kiln.codebuild()
    events = clients.json_client(kiln.endpoint, "events")
    kiln.map_url(codecommit_url(name), f"file://{bare}")
    project = create_project(cb, uniq("polled"), source={"type": "CODECOMMIT", "location": codecommit_url(name)})
    build_on_push_rule(events, project, name)

    pushed = work.commit({"version.txt": "after"})
    push(work, "main")
    [build] = builds_of(cb, project["name"], 1)
    assert_built(build, pushed, "after")


def test_watch_repo_specs_are_checked_at_start(start_server):
    with pytest.raises(RuntimeError, match="expected NAME=URL"):
        start_server("bad-watch", args=["--watch-repo", "no-url-here"])


# ------------------------------------------------------------------------ trigger records


class Receiver:
    """A local HTTP endpoint standing in for a trigger's Lambda: every POSTed JSON body lands
    in a queue."""

    def __init__(self):
        bodies: queue.Queue = queue.Queue()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("content-length", 0))
                bodies.put((self.path, self.headers.get("content-type"), json.loads(self.rfile.read(length))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.bodies = bodies
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/codecommit-trigger"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def references(self, count: int, timeout: float = 30) -> tuple[list[dict], list[dict]]:
        """Waits for records until they list `count` references; returns (records, references)."""
        records, references = [], []
        while len(references) < count:
            path, ctype, body = self.bodies.get(timeout=timeout)
            assert (path, ctype) == ("/codecommit-trigger", "application/json")
            records += body["Records"]
            references += [r for rec in body["Records"] for r in rec["codecommit"]["references"]]
        return records, references

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def test_changes_are_delivered_in_the_codecommit_trigger_format(start_server, receiver, tmp_path):
    name = uniq("TriggerRepo")
    bare = bare_repo(tmp_path / f"{name}.git")
    work = clone_with_buildspec(tmp_path / "work", bare, "one")
    push(work, "main")
    work.checkout("doomed", create_from="main")
    doomed = work.commit({"version.txt": "doomed"})
    push(work, "doomed")
    kiln = start_server("trigger", args=["--watch-repo", f"{name}=file://{bare}", "--watch-interval-seconds", "0.2",
                                         "--codecommit-trigger-url", receiver.url])
    wait_for_log(kiln.server, f"watching repository {name} ")

    work.checkout("main")
    updated = work.commit({"version.txt": "two"})
    work.tag("v1.0", message="release")  # annotated: the reference names the commit it peels to
    push(work, "main", "v1.0", ":doomed")
    records, references = receiver.references(3)

    assert sorted(references, key=lambda r: r["ref"]) == [
        {"commit": doomed, "ref": "refs/heads/doomed", "deleted": True},
        {"commit": updated, "ref": "refs/heads/main"},
        {"commit": updated, "ref": "refs/tags/v1.0", "created": True},
    ]
    for record in records:
        assert record["eventSource"] == "aws:codecommit"
        assert record["eventName"] == "ReferenceChanges"
        assert record["eventVersion"] == "1.0"
        assert record["eventSourceARN"] == repo_arn(name)
        assert record["eventSourceARN"].split(":")[5] == name, "the idiom Lambdas use to name the repository"
        assert record["awsRegion"] == REGION
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000", record["eventTime"]), record
        assert re.fullmatch(r"[0-9a-f-]{36}", record["eventId"]) and re.fullmatch(r"[0-9a-f-]{36}",
                                                                                 record["eventTriggerConfigId"])
        assert record["eventTriggerName"] and record["userIdentityARN"].startswith(f"arn:aws:iam::{ACCOUNT}:")


def test_hook_pushes_reach_the_trigger_url_too(start_server, receiver, tmp_path):
    kiln = start_server("hook-trigger", args=["--codecommit-trigger-url", receiver.url])
    name = uniq("HookTriggerRepo")
    bare = bare_repo(tmp_path / f"{name}.git")
    assert kiln_cli("hook", "install", str(bare), "--endpoint", kiln.endpoint).returncode == 0
    work = clone_with_buildspec(tmp_path / "work", bare, "one")
    first = work.head()
    work.tag("v0.1")
    push(work, "main", "v0.1", user="alice")

    records, references = receiver.references(2)
    assert sorted(references, key=lambda r: r["ref"]) == [
        {"commit": first, "ref": "refs/heads/main", "created": True},
        {"commit": first, "ref": "refs/tags/v0.1", "created": True},
    ]
    assert len(records) == 1, "one push, one record"
    assert records[0]["eventSourceARN"] == repo_arn(name)
    assert records[0]["userIdentityARN"] == f"arn:aws:iam::{ACCOUNT}:user/alice"

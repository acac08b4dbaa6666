"""CloudWatch Logs beyond GetLogEvents: DescribeLogGroups (a group per project whose builds have
logs), DescribeLogStreams (a stream per build), FilterLogEvents (streams interleaved by time,
term filter patterns, paging) through boto3 and the aws cli, and what `aws logs tail --follow`
(awscli v2) does with them, replayed through boto3 and run for real with Debian's awscli v2.
CloudWatch Logs speaks AWS JSON 1.1 only, so there is no CBOR case."""

import os
import signal
import subprocess
import threading
from collections import defaultdict
from datetime import datetime, timezone

import pytest
from botocore.exceptions import ClientError

from kilntest.builds import buildspec, create_project, get_build, log_events, no_source, run_build, uniq, wait_until
from kilntest.cli import AwsCliV2
from kilntest.procs import marker, pids, sleeper


def project_with_builds(cb, prefix: str, commands_per_build: list[list[str]]) -> tuple[dict, list[dict]]:
    """A project and one finished build per command list (each build's spec differs)."""
    project = create_project(cb, uniq(prefix), source=no_source(buildspec(build=["true"])))
    done = []
    for commands in commands_per_build:
        done.append(run_build(cb, projectName=project["name"], buildspecOverride=buildspec(build=commands)))
    assert all(b["buildStatus"] == "SUCCEEDED" for b in done), [b["buildStatus"] for b in done]
    return project, done


def error_code(excinfo) -> str:
    return error_code_of(excinfo.value)


def error_code_of(error: ClientError) -> str:
    return error.response["Error"]["Code"]


def all_filtered(logs, **params) -> list[dict]:
    return [e for page in logs.get_paginator("filter_log_events").paginate(**params) for e in page["events"]]


@pytest.fixture(scope="module")
def two_projects(cb):
    # `${X}` keeps the searched words out of the echoed command lines CodeBuild logs too.
    first, first_builds = project_with_builds(cb, "lgapi-a", [['X=OR; echo "alpha ERR${X} disk full"',
                                                               'X=N; echo "alpha WAR${X} slow"']])
    second, second_builds = project_with_builds(cb, "lgapi-b", [['X=OR; echo "beta ERR${X} timeout"'],
                                                                ['X=ne; echo "beta info do${X}"']])
    return {"first": (first, first_builds), "second": (second, second_builds)}


def test_describe_log_groups_lists_projects_with_logs(cb, logs, two_projects):
    quiet = create_project(cb, uniq("lgapi-quiet"))
    (first, _), (second, _) = two_projects["first"], two_projects["second"]
    names = {f"/aws/codebuild/{p['name']}" for p in (first, second)}
    groups = [g for page in logs.get_paginator("describe_log_groups").paginate(PaginationConfig={"PageSize": 1})
              for g in page["logGroups"]]
    by_name = {g["logGroupName"]: g for g in groups}
    assert names <= by_name.keys()
    assert f"/aws/codebuild/{quiet['name']}" not in by_name, "a project without builds has no log group"
    assert [g["logGroupName"] for g in groups] == sorted(g["logGroupName"] for g in groups)
    group = by_name[f"/aws/codebuild/{first['name']}"]
    assert group["arn"] == f"arn:aws:logs:us-east-1:000000000000:log-group:/aws/codebuild/{first['name']}:*"
    assert group["logGroupArn"] == group["arn"][:-2]
    assert group["storedBytes"] == 0
    assert group["creationTime"] > 0

    by_prefix = logs.describe_log_groups(logGroupNamePrefix=f"/aws/codebuild/{first['name']}")["logGroups"]
    assert [g["logGroupName"] for g in by_prefix] == [f"/aws/codebuild/{first['name']}"]
    # The pattern is a case-insensitive substring.
    by_pattern = logs.describe_log_groups(logGroupNamePattern=second["name"].upper())["logGroups"]
    assert [g["logGroupName"] for g in by_pattern] == [f"/aws/codebuild/{second['name']}"]
    with pytest.raises(ClientError) as both:
        logs.describe_log_groups(logGroupNamePrefix="/aws", logGroupNamePattern="x")
    assert error_code(both) == "InvalidParameterException"


def test_describe_log_streams_lists_builds(cb, logs):
    project, builds = project_with_builds(cb, "lgapi-streams", [["echo one"], ["echo two"], ["echo three"]])
    group = f"/aws/codebuild/{project['name']}"
    uuids = [b["logs"]["streamName"] for b in builds]

    by_name = [s for page in logs.get_paginator("describe_log_streams").paginate(
        logGroupName=group, PaginationConfig={"PageSize": 1}) for s in page["logStreams"]]
    assert [s["logStreamName"] for s in by_name] == sorted(uuids)
    for stream in by_name:
        assert stream["firstEventTimestamp"] <= stream["lastEventTimestamp"] <= stream["lastIngestionTime"]
        assert stream["storedBytes"] == 0
        assert stream["arn"].endswith(f":log-group:{group}:log-stream:{stream['logStreamName']}")
    last = logs.get_log_events(logGroupName=group, logStreamName=uuids[0], limit=1)["events"][0]
    first_stream = next(s for s in by_name if s["logStreamName"] == uuids[0])
    assert first_stream["lastEventTimestamp"] == last["timestamp"]

    newest_first = [s for page in logs.get_paginator("describe_log_streams").paginate(
        logGroupName=group, orderBy="LastEventTime", descending=True, PaginationConfig={"PageSize": 2})
        for s in page["logStreams"]]
    assert [s["logStreamName"] for s in newest_first] == uuids[::-1]
    descending = logs.describe_log_streams(logGroupName=group, descending=True)["logStreams"]
    assert [s["logStreamName"] for s in descending] == sorted(uuids, reverse=True)
    prefixed = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=uuids[1][:8])["logStreams"]
    assert uuids[1] in [s["logStreamName"] for s in prefixed]
    assert all(s["logStreamName"].startswith(uuids[1][:8]) for s in prefixed)
    arn = f"arn:aws:logs:us-east-1:000000000000:log-group:{group}:*"
    assert logs.describe_log_streams(logGroupIdentifier=arn)["logStreams"] == by_name

    with pytest.raises(ClientError) as missing:
        logs.describe_log_streams(logGroupName=f"/aws/codebuild/{uniq('lgapi-nope')}")
    assert error_code(missing) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as conflicting:
        logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime", logStreamNamePrefix="a")
    assert error_code(conflicting) == "InvalidParameterException"


def stream_events(logs, group: str, stream: str) -> list[dict]:
    return log_events(logs, {"logs": {"groupName": group, "streamName": stream}})


def test_filter_log_events_interleaves_matches_and_pages(logs, two_projects):
    project, builds = two_projects["second"]
    group = f"/aws/codebuild/{project['name']}"
    streams = [b["logs"]["streamName"] for b in builds]
    every = [{**e, "logStreamName": s} for s in streams for e in stream_events(logs, group, s)]

    everything = all_filtered(logs, logGroupName=group)
    assert sorted((e["logStreamName"], e["timestamp"], e["message"]) for e in everything) == \
        sorted((e["logStreamName"], e["timestamp"], e["message"]) for e in every)
    assert [e["timestamp"] for e in everything] == sorted(e["timestamp"] for e in everything), "interleaved by time"
    assert len({e["eventId"] for e in everything}) == len(everything)
    paged = all_filtered(logs, logGroupName=group, PaginationConfig={"PageSize": 3})
    assert paged == everything

    def messages(**params):
        return [e["message"] for e in all_filtered(logs, logGroupName=group, **params)]

    assert messages(filterPattern="ERROR") == ["beta ERROR timeout\n"]
    assert messages(filterPattern='"ERROR timeout"') == ["beta ERROR timeout\n"]
    assert messages(filterPattern='"ERROR done"') == []
    assert sorted(messages(filterPattern="?ERROR ?done")) == ["beta ERROR timeout\n", "beta info done\n"]
    not_error = messages(filterPattern="beta -ERROR")
    assert "beta info done\n" in not_error and "beta ERROR timeout\n" not in not_error
    assert not_error == [e["message"] for e in everything if "beta" in e["message"] and "ERROR" not in e["message"]]
    assert messages(filterPattern="error") == [], "terms are case-sensitive"
    second_only = messages(filterPattern="beta", logStreamNames=[streams[1]])
    assert "beta info done\n" in second_only
    assert second_only == [e["message"] for e in everything
                           if e["logStreamName"] == streams[1] and "beta" in e["message"]]
    assert set(messages(logStreamNamePrefix=streams[0])) == {e["message"] for e in every
                                                             if e["logStreamName"] == streams[0]}

    hit = next(e for e in everything if e["message"] == "beta ERROR timeout\n")
    assert hit["logStreamName"] == streams[0]
    after = messages(startTime=hit["timestamp"] + 1)
    assert "beta ERROR timeout\n" not in after and "beta info done\n" in after
    before = messages(endTime=hit["timestamp"] + 1)
    assert "beta ERROR timeout\n" in before and "beta info done\n" not in before

    page = logs.filter_log_events(logGroupName=group, logStreamNames=streams)
    assert {s["logStreamName"] for s in page["searchedLogStreams"]} == set(streams)
    assert "nextToken" not in page


def test_filter_log_events_refuses_what_it_cannot_do(kiln, logs, two_projects):
    project, builds = two_projects["first"]
    group = f"/aws/codebuild/{project['name']}"
    for pattern, word in [('{ $.level = "ERROR" }', "JSON"), ("[ip, user, status=404]", "space-delimited"),
                          ('"unclosed', "quoted")]:
        with pytest.raises(ClientError) as refused:
            logs.filter_log_events(logGroupName=group, filterPattern=pattern)
        assert error_code(refused) == "InvalidParameterException", pattern
        assert word in refused.value.response["Error"]["Message"], refused.value.response["Error"]
    with pytest.raises(ClientError) as both:
        logs.filter_log_events(logGroupName=group, logStreamNames=["a"], logStreamNamePrefix="a")
    assert error_code(both) == "InvalidParameterException"
    with pytest.raises(ClientError) as missing:
        logs.filter_log_events(logGroupName="/aws/lambda/nothing-here")
    assert error_code(missing) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as token:
        logs.filter_log_events(logGroupName=group, nextToken="garbage")
    assert error_code(token) == "InvalidParameterException"
    # StartLiveTail goes to a `stream-` host prefix, which a local endpoint does not have.
    live_client = kiln.logs(inject_host_prefix=False)
    with pytest.raises(ClientError) as live:
        live_client.start_live_tail(logGroupIdentifiers=[f"arn:aws:logs:us-east-1:000000000000:log-group:{group}"])
    assert error_code(live) == "UnsupportedOperationException"
    assert "StartLiveTail" in live.value.response["Error"]["Message"]


def test_aws_cli_describe_and_filter(aws, two_projects):
    project, builds = two_projects["first"]
    group = f"/aws/codebuild/{project['name']}"
    groups = aws("logs", "describe-log-groups", "--log-group-name-prefix", group).json["logGroups"]
    assert [g["logGroupName"] for g in groups] == [group]
    streams = aws("logs", "describe-log-streams", "--log-group-name", group).json["logStreams"]
    assert [s["logStreamName"] for s in streams] == [builds[0]["logs"]["streamName"]]
    # The cli follows nextToken itself; a page size of 1 makes it do so for every event.
    events = aws("logs", "filter-log-events", "--log-group-name", group, "--filter-pattern", "?ERROR ?WARN",
                 "--page-size", "1").json["events"]
    assert [e["message"] for e in events] == ["alpha ERROR disk full\n", "alpha WARN slow\n"]


class Tail:
    """What awscli v2's `aws logs tail GROUP --follow` does (customizations/logs/tail.py,
    FollowLogEventsGenerator): FilterLogEvents with interleaved=True and startTime; follow
    nextToken while there is one; then poll again from the newest timestamp seen, dropping
    events whose eventId was already printed for that timestamp."""

    def __init__(self, logs, group: str, start_ms: int):
        self.logs = logs
        self.kwargs = {"logGroupName": group, "interleaved": True, "startTime": start_ms}
        self.seen_per_timestamp: dict[int, set] = defaultdict(set)
        self.printed: list[dict] = []
        self.calls = 0

    def poll(self) -> None:
        """One pass: pages until no nextToken, then the startTime reset tail does before sleeping."""
        while True:
            response = self.logs.filter_log_events(**self.kwargs)
            self.calls += 1
            for event in response["events"]:
                if event["eventId"] not in self.seen_per_timestamp[event["timestamp"]]:
                    self.seen_per_timestamp[event["timestamp"]].add(event["eventId"])
                    self.printed.append(event)
            if self.seen_per_timestamp:
                newest = max(self.seen_per_timestamp)
                self.seen_per_timestamp = defaultdict(set, {newest: self.seen_per_timestamp[newest]})
            if "nextToken" in response:
                self.kwargs["nextToken"] = response["nextToken"]
                continue
            if self.seen_per_timestamp:
                self.kwargs["startTime"] = max(self.seen_per_timestamp)
            self.kwargs.pop("nextToken", None)
            return

    def text(self) -> str:
        return "".join(e["message"] for e in self.printed)


def test_what_aws_logs_tail_follow_does(cb, logs):
    mark = marker()
    # post_build runs however the interrupted build phase ends.
    spec = buildspec(build=['echo "tail-before"', sleeper(mark)], post_build=['echo "tail-after"'])
    project = create_project(cb, uniq("lgapi-tail"), source=no_source(spec))
    build = cb.start_build(projectName=project["name"])["build"]
    group = f"/aws/codebuild/{project['name']}"
    tail = Tail(logs, group, start_ms=int(build["startTime"].timestamp() * 1000) - 1000)

    def tail_shows(line):
        # The group appears with the build's first line; until then tail would be told it is missing.
        try:
            tail.poll()
        except ClientError as e:
            assert e.response["Error"]["Code"] == "ResourceNotFoundException", e
            return False
        return line in tail.text()

    wait_until(lambda: tail_shows("tail-before\n"), 30, "tail to show the first line")
    wait_until(lambda: pids(mark), 30, "the build to sleep")
    before = len(tail.printed)
    tail.poll()
    assert len(tail.printed) == before, "polling again from the newest timestamp repeats nothing"
    assert "tail-after" not in tail.text()

    for pid in pids(mark):
        os.kill(pid, signal.SIGTERM)
    finished = wait_until(lambda: (b := get_build(cb, build["id"]))["buildComplete"] and b, 60, "the build to end")
    tail.poll()
    everything = log_events(logs, finished)
    # Every line exactly once: what a user of tail sees.
    assert len({e["eventId"] for e in tail.printed}) == len(tail.printed)
    assert sorted(e["message"] for e in tail.printed) == sorted(e["message"] for e in everything)
    assert tail.text().index("tail-before\n") < tail.text().index("tail-after\n")


def awscli_v2(aws) -> AwsCliV2:
    """Debian's awscli v2 (tests/python/run.sh installs it); its absence fails the test unless
    KILN_SKIP_AWSCLI_V2=1."""
    missing = AwsCliV2.missing()
    if missing:
        if os.environ.get("KILN_SKIP_AWSCLI_V2") == "1":
            pytest.skip(f"KILN_SKIP_AWSCLI_V2=1: {missing}")
        pytest.fail(f"{missing}: run tests/python/run.sh (it installs Debian's awscli package) "
                    "or set KILN_SKIP_AWSCLI_V2=1 to skip this test")
    cli = AwsCliV2(aws)
    version = cli("--version").stdout
    assert version.startswith("aws-cli/2."), f"not awscli v2: {version!r}"
    return cli


class Lines:
    """A process's output lines, read by a thread so that the test can wait for them with a
    deadline instead of blocking on the pipe."""

    def __init__(self, stream):
        self.lines: list[str] = []
        self.closed = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self.closed = True
            self._changed.notify_all()

    def wait_for(self, predicate, timeout: float, what: str) -> list[str]:
        """The lines so far, once `predicate(lines)` holds; fails at the deadline or at EOF."""
        with self._changed:
            self._changed.wait_for(lambda: predicate(self.lines) or self.closed, timeout)
            if not predicate(self.lines):
                state = "the output ended" if self.closed else f"timed out after {timeout}s"
                raise AssertionError(f"{state} waiting for {what}; got {self.lines}")
            return list(self.lines)

    def finish(self, timeout: float) -> list[str]:
        """Every line, once the process has closed its stdout."""
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the output did not end"
        return list(self.lines)


def tail_line(event: dict, stream: str | None = None) -> str:
    """An event as awscli v2's tail prints it (customizations/logs/tail.py): `--format detailed`
    when `stream` is given, `--format short` otherwise; trailing whitespace becomes one newline."""
    at = datetime.fromtimestamp(event["timestamp"] / 1000.0, timezone.utc)
    if stream is None:
        line = f"{at.strftime('%Y-%m-%dT%H:%M:%S')} {event['message']}"
    else:
        line = f"{at.isoformat(timespec='microseconds')} {stream} {event['message']}"
    return line.rstrip() + "\n"


def message_lines(lines: list[str], message: str) -> list[int]:
    """Where the `--format detailed` lines (timestamp, stream, message) carrying `message` are."""
    return [i for i, line in enumerate(lines) if line.split(" ", 2)[2:] == [message + "\n"]]


def stop(proc: subprocess.Popen) -> int:
    """Terminates a process and reaps it; its exit status."""
    proc.terminate()
    try:
        return proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def test_aws_logs_tail_follow_with_awscli_v2(cb, logs, aws, tmp_path):
    cli = awscli_v2(aws)
    mark = marker()
    # `${X}` keeps the words out of the echoed command lines, so each is on exactly one line.
    first, second = "v2tail-before", "v2tail-after"
    spec = buildspec(build=['X=fore; echo "v2tail-be${X}"', sleeper(mark)],
                     post_build=['X=ter; echo "v2tail-af${X}"'])
    project = create_project(cb, uniq("lgapi-v2tail"), source=no_source(spec))
    build_id = cb.start_build(projectName=project["name"])["build"]["id"]
    group = f"/aws/codebuild/{project['name']}"

    def logged() -> list[str]:
        build = get_build(cb, build_id)
        if "streamName" not in build.get("logs", {}):
            return []
        try:
            return [e["message"] for e in log_events(logs, build)]
        except ClientError as e:
            assert error_code_of(e) == "ResourceNotFoundException", e
            return []

    # tail refuses a group that does not exist yet; the group comes with the first line.
    wait_until(lambda: f"{first}\n" in logged(), 30, "the first line in the log")
    wait_until(lambda: pids(mark), 30, "the build to sleep")

    stderr_path = tmp_path / "tail.stderr"
    with stderr_path.open("w") as stderr:
        tail = cli.popen("logs", "tail", group, "--follow", "--since", "5m", "--format", "detailed",
                         "--color", "off", stderr=stderr)
    try:
        out = Lines(tail.stdout)
        # awscli polls every 5 s; the deadlines leave room for a few polls on a busy machine.
        shown = out.wait_for(lambda lines: message_lines(lines, first), 30, "tail to show the first line")
        assert not get_build(cb, build_id)["buildComplete"], "tail showed the first line while the build ran"
        assert pids(mark), "the build still sleeps"
        assert message_lines(shown, second) == [] and f"{second}\n" not in logged()

        for pid in pids(mark):
            os.kill(pid, signal.SIGTERM)
        out.wait_for(lambda lines: message_lines(lines, second), 30, "tail to show the second line")
        finished = wait_until(lambda: (b := get_build(cb, build_id))["buildComplete"] and b, 60, "the build to end")
        everything = log_events(logs, finished)
        stream = finished["logs"]["streamName"]
        expected = "".join(tail_line(e, stream) for e in everything)
        out.wait_for(lambda lines: len(lines) >= expected.count("\n"), 30, "tail to show the whole log")
        assert tail.poll() is None, "tail --follow runs until stopped"
    finally:
        status = stop(tail)
    complaints = stderr_path.read_text()
    assert status == -signal.SIGTERM, (status, complaints)
    followed = out.finish(10)
    before, after = message_lines(followed, first), message_lines(followed, second)
    assert len(before) == 1 and len(after) == 1 and before[0] < after[0], followed
    # Every event of the build exactly once, in the log's order, and nothing else.
    assert "".join(followed) == expected, complaints

    # Without --follow tail pages through FilterLogEvents once and exits.
    once = cli("logs", "tail", group, "--format", "short", "--color", "off", timeout=60)
    assert once.stdout == "".join(tail_line(e) for e in everything), once.stderr

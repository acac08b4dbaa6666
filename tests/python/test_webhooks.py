"""CodeBuild webhooks on Kiln (issue #4, item 1): CreateWebhook's payload URL and secret, and
real-shaped GitHub, GitLab and Bitbucket deliveries posted to it with `requests`.

One local repository stands in for github.com, gitlab.com and bitbucket.org (the server's git
maps their URLs onto it). Its buildspec exports the content of version.txt, the commit git sees,
and the CODEBUILD_WEBHOOK_* variables, so each build proves what it built and what it was told.
Payloads are the triggers crate's fixtures (crates/triggers/tests/fixtures) with the refs and
commits of the local repository put in."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import threading
import uuid

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from kilntest.builds import create_project, exported, uniq, wait_builds
from kilntest.gitrepo import Repo
from kilntest.server import REPO_ROOT

FIXTURES = REPO_ROOT / "crates" / "triggers" / "tests" / "fixtures"

SPEC = """\
version: 0.2
env:
  exported-variables: [CONTENT, HEAD_SHA, W_EVENT, W_TRIGGER, W_HEAD_REF, W_BASE_REF, W_ACTOR, W_PREV, W_MERGE,
                       SOURCE_VERSION, INITIATOR]
phases:
  build:
    commands:
      - CONTENT=$(cat version.txt)
      - HEAD_SHA=$(git rev-parse HEAD)
      - W_EVENT="$CODEBUILD_WEBHOOK_EVENT"
      - W_TRIGGER="$CODEBUILD_WEBHOOK_TRIGGER"
      - W_HEAD_REF="$CODEBUILD_WEBHOOK_HEAD_REF"
      - W_BASE_REF="$CODEBUILD_WEBHOOK_BASE_REF"
      - W_ACTOR="$CODEBUILD_WEBHOOK_ACTOR_ACCOUNT_ID"
      - W_PREV="$CODEBUILD_WEBHOOK_PREV_COMMIT"
      - W_MERGE="$CODEBUILD_WEBHOOK_MERGE_COMMIT"
      - SOURCE_VERSION="$CODEBUILD_SOURCE_VERSION"
      - INITIATOR="$CODEBUILD_INITIATOR"
"""

HOSTS = {"GITHUB": "https://github.com", "GITLAB": "https://gitlab.com", "BITBUCKET": "https://bitbucket.org"}


class Hosted:
    """The repository and its commits: main-1, main-2 on main; feature-1 on feature/x, also
    GitHub's refs/pull/7/head; tag v1.0 on main-1."""

    def __init__(self, repo: Repo):
        self.repo = repo
        self.sha: dict[str, str] = {}


@pytest.fixture(scope="module")
def hosted(tmp_path_factory):
    repo = Repo(tmp_path_factory.mktemp("webhooks") / "repo")
    h = Hosted(repo)
    h.sha["main-1"] = repo.commit({"buildspec.yml": SPEC, "version.txt": "main-1"})
    repo.checkout("feature/x", create_from="main")
    h.sha["feature-1"] = repo.commit({"version.txt": "feature-1"}, message="Parse faster")
    repo.checkout("main")
    h.sha["main-2"] = repo.commit({"version.txt": "main-2"}, message="Document the parser [CodeBuild]")
    repo.tag("v1.0", h.sha["main-1"])
    repo.update_ref("refs/pull/7/head", h.sha["feature-1"])
    return h


def project_for(kiln, hosted, source_type: str, prefix: str, cb=None) -> str:
    """A project whose source is a provider URL that the server's git maps onto the repository."""
    url = f"{HOSTS[source_type]}/kiln-tests/{uniq(prefix)}.git"
    kiln.map_url(url, hosted.repo.url)
    cb = cb or kiln.codebuild()
    return create_project(cb, uniq(prefix), source={"type": source_type, "location": url})["name"]


def fixture(path: str, **changes) -> dict:
    """A fixture payload with values replaced: `changes` keys are dotted paths, `__` for `.`."""
    doc = json.loads((FIXTURES / path).read_text())
    for dotted, value in changes.items():
        keys = dotted.split("__")
        target = doc
        for key in keys[:-1]:
            target = target[key]
        assert keys[-1] in target, f"{path} has no {dotted}"
        target[keys[-1]] = copy.deepcopy(value)
    return doc


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(url: str, payload, headers: dict, *, secret: str | None = None, sign_header: str | None = None,
         delivery: str | None = None, delivery_header: str | None = None) -> requests.Response:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", **headers}
    if secret is not None and sign_header:
        headers[sign_header] = signature(secret, body)
    if delivery_header:
        headers[delivery_header] = delivery or str(uuid.uuid4())
    return requests.post(url, data=body, headers=headers, timeout=30)


def github(webhook: dict, event: str, payload, *, delivery: str | None = None, secret: str | None = None):
    return post(webhook["payloadUrl"], payload,
                {"X-GitHub-Event": event, "User-Agent": "GitHub-Hookshot/5a0d2c1", "X-GitHub-Hook-ID": "4242"},
                secret=secret or webhook["secret"], sign_header="X-Hub-Signature-256",
                delivery=delivery, delivery_header="X-GitHub-Delivery")


def started(response: requests.Response) -> str:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["outcome"] == "STARTED", body
    return body["buildId"]


def project_builds(cb, name: str) -> list[str]:
    return cb.list_builds_for_project(projectName=name)["ids"]


def deliveries(kiln, name: str) -> list[dict]:
    r = requests.get(f"{kiln.endpoint}/webhooks/deliveries", params={"project": name}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["deliveries"]


def create_webhook(cb, name: str, groups=None, **extra) -> dict:
    params = {"projectName": name, **extra}
    if groups is not None:
        params["filterGroups"] = groups
    return cb.create_webhook(**params)["webhook"]


def event(pattern: str) -> dict:
    return {"type": "EVENT", "pattern": pattern}


def head_ref(pattern: str, exclude: bool = False) -> dict:
    return {"type": "HEAD_REF", "pattern": pattern, "excludeMatchedPattern": exclude}


# ---- GitHub ----

def test_github_push_builds_the_pushed_commit_once(kiln, hosted):
    cb = kiln.codebuild()
    name = project_for(kiln, hosted, "GITHUB", "gh-push")
    webhook = create_webhook(cb, name, [[event("PUSH"), head_ref("^refs/heads/main$")]])
    assert webhook["payloadUrl"].startswith(f"{kiln.endpoint}/webhooks?t=")
    assert webhook["payloadUrl"].endswith("&v=1")
    push = fixture("github/push.json", ref="refs/heads/main", before=hosted.sha["main-1"], after=hosted.sha["main-2"])

    delivery = str(uuid.uuid4())
    build_id = started(github(webhook, "push", push, delivery=delivery))
    assert project_builds(cb, name) == [build_id]
    # GitHub's "Redeliver": same delivery id, same payload. Answered, recorded, not built again.
    again = github(webhook, "push", push, delivery=delivery)
    assert again.status_code == 200, again.text
    assert again.json()["outcome"] == "DUPLICATE"
    # A push to another branch is filtered out.
    other = fixture("github/push.json", ref="refs/heads/feature/x", after=hosted.sha["feature-1"])
    skipped = github(webhook, "push", other)
    assert skipped.status_code == 200
    assert skipped.json()["outcome"] == "IGNORED"
    assert skipped.json()["reason"] == "no filter group matched"
    assert project_builds(cb, name) == [build_id]

    build = wait_builds(cb, [build_id])[build_id]
    assert build["buildStatus"] == "SUCCEEDED", build["phases"]
    assert build["sourceVersion"] == hosted.sha["main-2"]
    assert build["resolvedSourceVersion"] == hosted.sha["main-2"]
    assert build["initiator"] == "GitHub-Hookshot/5a0d2c1"
    assert exported(build) == {
        "CONTENT": "main-2", "HEAD_SHA": hosted.sha["main-2"],
        "W_EVENT": "PUSH", "W_TRIGGER": "branch/main", "W_HEAD_REF": "refs/heads/main", "W_BASE_REF": "",
        "W_ACTOR": "583231", "W_PREV": hosted.sha["main-1"], "W_MERGE": "",
        "SOURCE_VERSION": hosted.sha["main-2"], "INITIATOR": "GitHub-Hookshot/5a0d2c1",
    }
    record = deliveries(kiln, name)
    assert [d["outcome"] for d in record] == ["IGNORED", "DUPLICATE", "STARTED"]
    assert record[2]["buildId"] == build_id
    assert record[2]["providerDeliveryId"] == delivery
    assert record[1]["duplicateOf"] == record[2]["id"]
    assert record[2]["event"] == "PUSH"
    assert record[2]["payloadSha256"] == hashlib.sha256(json.dumps(push).encode()).hexdigest()


def test_github_pull_requests_build_pr_refs(kiln, hosted):
    cb = kiln.codebuild()
    name = project_for(kiln, hosted, "GITHUB", "gh-pr")
    webhook = create_webhook(cb, name, [[event("PULL_REQUEST_CREATED, PULL_REQUEST_UPDATED, PULL_REQUEST_MERGED"),
                                         {"type": "BASE_REF", "pattern": "^refs/heads/main$"}]])

    def pr(action: str, merged: bool = False, **extra):
        payload = fixture("github/pull_request.json", action=action, number=7,
                          pull_request__head__ref="feature/x", pull_request__head__sha=hosted.sha["feature-1"],
                          pull_request__merged=merged,
                          pull_request__merge_commit_sha=hosted.sha["main-2"] if merged else None)
        payload.update(extra)
        return github(webhook, "pull_request", payload)

    opened = started(pr("opened"))
    synchronized = started(pr("synchronize", before=hosted.sha["main-1"], after=hosted.sha["feature-1"]))
    closed = pr("closed")
    assert (closed.status_code, closed.json()["outcome"]) == (200, "IGNORED")
    labeled = pr("labeled")
    assert (labeled.status_code, labeled.json()["reason"]) == (200, 'pull request action "labeled" does not start builds')
    merged = started(pr("closed", merged=True))
    assert sorted(project_builds(cb, name)) == sorted([opened, synchronized, merged])

    builds = wait_builds(cb, [opened, synchronized, merged])
    for build_id, event_name in [(opened, "PULL_REQUEST_CREATED"), (synchronized, "PULL_REQUEST_UPDATED"),
                                 (merged, "PULL_REQUEST_MERGED")]:
        build = builds[build_id]
        assert build["buildStatus"] == "SUCCEEDED", build["phases"]
        assert build["sourceVersion"] == "pr/7"
        assert build["resolvedSourceVersion"] == hosted.sha["feature-1"]
        vars_ = exported(build)
        assert vars_["CONTENT"] == "feature-1"
        assert (vars_["W_EVENT"], vars_["W_TRIGGER"]) == (event_name, "pr/7")
        assert (vars_["W_HEAD_REF"], vars_["W_BASE_REF"]) == ("refs/heads/feature/x", "refs/heads/main")
        assert vars_["W_ACTOR"] == "1001"
        assert vars_["SOURCE_VERSION"] == "pr/7"
    assert exported(builds[synchronized])["W_PREV"] == hosted.sha["main-1"]
    assert exported(builds[merged])["W_MERGE"] == hosted.sha["main-2"]
    assert exported(builds[opened])["W_MERGE"] == ""


def test_github_releases_build_their_tag(kiln, hosted):
    cb = kiln.codebuild()
    name = project_for(kiln, hosted, "GITHUB", "gh-release")
    webhook = create_webhook(cb, name, [[event("RELEASED"), {"type": "TAG_NAME", "pattern": r"^v1\."}]])
    released = started(github(webhook, "release", fixture("github/release.json", release__tag_name="v1.0")))
    pre = github(webhook, "release", fixture("github/release.json", action="prereleased", release__tag_name="v1.0"))
    assert pre.json()["outcome"] == "IGNORED"
    published = github(webhook, "release", fixture("github/release.json", action="published"))
    assert published.json()["reason"] == 'release action "published" does not start builds'
    ping = github(webhook, "ping", fixture("github/ping.json"))
    assert (ping.status_code, ping.json()["outcome"]) == (200, "IGNORED")

    build = wait_builds(cb, [released])[released]
    assert build["buildStatus"] == "SUCCEEDED", build["phases"]
    assert build["sourceVersion"] == "refs/tags/v1.0"
    assert build["resolvedSourceVersion"] == hosted.sha["main-1"]
    vars_ = exported(build)
    assert (vars_["CONTENT"], vars_["W_EVENT"], vars_["W_TRIGGER"]) == ("main-1", "RELEASED", "tag/v1.0")
    assert project_builds(cb, name) == [released]


def test_unsigned_and_forged_deliveries_are_refused_with_401_and_recorded(kiln, hosted):
    cb = kiln.codebuild()
    name = project_for(kiln, hosted, "GITHUB", "gh-forged")
    webhook = create_webhook(cb, name, [[event("PUSH")]])
    push = fixture("github/push.json", after=hosted.sha["main-2"])
    forged = github(webhook, "push", push, secret="not-the-secret")
    assert forged.status_code == 401
    assert forged.json()["reason"] == "the X-Hub-Signature-256 header does not match the webhook's secret"
    unsigned = post(webhook["payloadUrl"], push, {"X-GitHub-Event": "push"})
    assert unsigned.status_code == 401
    assert "X-Hub-Signature-256 header is missing" in unsigned.json()["reason"]
    # The signature covers the exact bytes: a re-encoded body fails.
    body = json.dumps(push).encode()
    tampered = post(webhook["payloadUrl"], json.dumps(push, indent=1).encode(),
                    {"X-GitHub-Event": "push", "X-Hub-Signature-256": signature(webhook["secret"], body)})
    assert tampered.status_code == 401
    assert project_builds(cb, name) == []
    assert [d["outcome"] for d in deliveries(kiln, name)] == ["REJECTED"] * 3
    assert "rejected (401)" in kiln.server.stderr_tail(200)


def test_a_rotated_secret_replaces_the_old_one(kiln, hosted):
    cb = kiln.codebuild()
    name = project_for(kiln, hosted, "GITHUB", "gh-rotate")
    old = create_webhook(cb, name, [[event("PUSH")]])
    new = cb.update_webhook(projectName=name, rotateSecret=True)["webhook"]
    assert new["secret"] and new["secret"] != old["secret"]
    assert new["payloadUrl"] == old["payloadUrl"]
    push = fixture("github/push.json", after=hosted.sha["main-2"])
    assert github(old, "push", push).status_code == 401
    build_id = started(github(new, "push", push))
    assert project_builds(cb, name) == [build_id]


def test_concurrent_redeliveries_start_one_build(kiln, hosted):
    cb = kiln.codebuild()
    name = project_for(kiln, hosted, "GITHUB", "gh-race")
    webhook = create_webhook(cb, name, [[event("PUSH")]])
    push = fixture("github/push.json", after=hosted.sha["main-2"])
    delivery = str(uuid.uuid4())
    responses: list[requests.Response] = []
    barrier = threading.Barrier(6)

    def send():
        barrier.wait()
        responses.append(github(webhook, "push", push, delivery=delivery))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    outcomes = sorted(r.json()["outcome"] for r in responses)
    assert outcomes == ["DUPLICATE"] * 5 + ["STARTED"]
    assert len(project_builds(cb, name)) == 1


# ---- GitLab ----

def gitlab(webhook: dict, event_name: str, payload, *, token: str | None = None, delivery: str | None = None):
    headers = {"X-Gitlab-Event": event_name, "User-Agent": "GitLab/17.5.0",
               "X-Gitlab-Token": token if token is not None else webhook["secret"]}
    return post(webhook["payloadUrl"], payload, headers, delivery=delivery, delivery_header="X-Gitlab-Event-UUID")


def test_gitlab_push_and_merge_request(kiln, hosted):
    cb = kiln.codebuild()
    name = project_for(kiln, hosted, "GITLAB", "gl")
    webhook = create_webhook(cb, name, [[event("PUSH, PULL_REQUEST_CREATED, PULL_REQUEST_MERGED")]])
    assert webhook["secret"]
    push = fixture("gitlab/push.json", before=hosted.sha["main-1"], after=hosted.sha["main-2"],
                   checkout_sha=hosted.sha["main-2"])
    assert gitlab(webhook, "Push Hook", push, token="wrong").status_code == 401
    pushed = started(gitlab(webhook, "Push Hook", push))
    mr = fixture("gitlab/merge_request.json", object_attributes__source_branch="feature/x",
                 object_attributes__last_commit__id=hosted.sha["feature-1"])
    opened = started(gitlab(webhook, "Merge Request Hook", mr))
    closed = fixture("gitlab/merge_request.json", object_attributes__action="close",
                     object_attributes__last_commit__id=hosted.sha["feature-1"])
    assert gitlab(webhook, "Merge Request Hook", closed).json()["outcome"] == "IGNORED"

    builds = wait_builds(cb, [pushed, opened])
    push_build, mr_build = builds[pushed], builds[opened]
    assert push_build["buildStatus"] == "SUCCEEDED", push_build["phases"]
    assert push_build["sourceVersion"] == hosted.sha["main-2"]
    assert push_build["initiator"] == "GitLab/17.5.0"
    assert exported(push_build)["W_ACTOR"] == "4"
    assert exported(push_build)["W_TRIGGER"] == "branch/main"
    # GitLab merge requests build their head commit (CodeBuild has no pr/N for GitLab).
    assert mr_build["buildStatus"] == "SUCCEEDED", mr_build["phases"]
    assert mr_build["sourceVersion"] == hosted.sha["feature-1"]
    assert mr_build["resolvedSourceVersion"] == hosted.sha["feature-1"]
    vars_ = exported(mr_build)
    assert (vars_["CONTENT"], vars_["W_EVENT"], vars_["W_TRIGGER"]) == ("feature-1", "PULL_REQUEST_CREATED", "pr/1")
    assert (vars_["W_HEAD_REF"], vars_["W_BASE_REF"]) == ("refs/heads/feature/x", "refs/heads/main")


# ---- Bitbucket ----

def bitbucket(webhook: dict, key: str, payload, delivery: str | None = None):
    headers = {"X-Event-Key": key, "User-Agent": "Bitbucket-Webhooks/2.0"}
    return post(webhook["payloadUrl"], payload, headers, delivery=delivery, delivery_header="X-Request-UUID")


def test_bitbucket_push_and_pull_request(kiln, hosted):
    cb = kiln.codebuild()
    name = project_for(kiln, hosted, "BITBUCKET", "bb")
    webhook = create_webhook(cb, name, [[event("PUSH"), head_ref("^refs/tags/", exclude=True)],
                                        [event("PULL_REQUEST_CREATED, PULL_REQUEST_UPDATED")]])
    assert "secret" not in webhook, "Bitbucket webhooks have no secret"
    push = fixture("bitbucket/push.json")
    push["push"]["changes"][0]["new"]["target"]["hash"] = hosted.sha["main-2"]
    push["push"]["changes"][0]["old"]["target"]["hash"] = hosted.sha["main-1"]
    pushed = started(bitbucket(webhook, "repo:push", push))
    tag = copy.deepcopy(push)
    tag["push"]["changes"][0]["new"].update({"type": "tag", "name": "v1.0"})
    assert bitbucket(webhook, "repo:push", tag).json()["outcome"] == "IGNORED"
    # Bitbucket sends 12-character commit hashes in pull request payloads.
    pr = fixture("bitbucket/pullrequest.json", pullrequest__source__branch__name="feature/x")
    pr["pullrequest"]["source"]["commit"]["hash"] = hosted.sha["feature-1"][:12]
    opened = started(bitbucket(webhook, "pullrequest:created", pr))
    assert bitbucket(webhook, "pullrequest:rejected", pr).json()["outcome"] == "IGNORED"

    builds = wait_builds(cb, [pushed, opened])
    assert builds[pushed]["buildStatus"] == "SUCCEEDED", builds[pushed]["phases"]
    assert builds[pushed]["resolvedSourceVersion"] == hosted.sha["main-2"]
    assert builds[pushed]["initiator"] == "Bitbucket-Webhooks/2.0"
    assert exported(builds[pushed])["W_ACTOR"] == "557058:c0b0c0d0-e0f0-4a0b-8c0d-0e0f1a2b3c4d"
    assert exported(builds[pushed])["W_PREV"] == hosted.sha["main-1"]
    pr_build = builds[opened]
    assert pr_build["buildStatus"] == "SUCCEEDED", pr_build["phases"]
    assert pr_build["sourceVersion"] == hosted.sha["feature-1"][:12]
    assert pr_build["resolvedSourceVersion"] == hosted.sha["feature-1"]
    assert exported(pr_build)["W_TRIGGER"] == "pr/12"


# ---- bad input at the payload URL ----

def test_bad_deliveries_get_clear_errors(kiln, hosted):
    cb = kiln.codebuild()
    name = project_for(kiln, hosted, "GITHUB", "gh-bad")
    webhook = create_webhook(cb, name, [[event("PUSH")]])
    url = webhook["payloadUrl"]

    malformed = github(webhook, "push", b'{"ref": "refs/heads/main", ')
    assert malformed.status_code == 400
    assert malformed.json()["reason"].startswith("the payload is not JSON: ")
    missing = github(webhook, "push", {"ref": "refs/heads/main"})
    assert (missing.status_code, missing.json()["reason"]) == (400, "the payload has no after")
    unknown = github(webhook, "issues", {"action": "opened"})
    assert unknown.status_code == 400
    assert unknown.json()["reason"].startswith('X-GitHub-Event "issues" is not an event Kiln starts builds from')
    no_event = post(url, {"ref": "x"}, {"X-Hub-Signature-256": signature(webhook["secret"], b'{"ref": "x"}')})
    assert no_event.status_code == 400
    assert no_event.json()["reason"] == "the X-GitHub-Event header is missing: Kiln cannot tell which event this is"

    no_token = requests.post(f"{kiln.endpoint}/webhooks", data=b"{}", timeout=30)
    assert no_token.status_code == 404
    assert "no t parameter" in no_token.json()["message"]
    bad_token = requests.post(f"{kiln.endpoint}/webhooks?t=0123&v=1", data=b"{}", timeout=30)
    assert bad_token.status_code == 404
    assert "no webhook has this payload URL" in bad_token.json()["message"]
    assert requests.get(url, timeout=30).status_code == 405
    missing_project = requests.get(f"{kiln.endpoint}/webhooks/deliveries", params={"project": uniq("nope")}, timeout=30)
    assert missing_project.status_code == 404
    assert requests.get(f"{kiln.endpoint}/webhooks/deliveries", timeout=30).status_code == 400

    assert project_builds(cb, name) == []
    assert [d["outcome"] for d in deliveries(kiln, name)] == ["REJECTED"] * 4


def test_deleting_the_webhook_or_project_retires_its_payload_url(kiln, hosted):
    cb = kiln.codebuild()
    name = project_for(kiln, hosted, "GITHUB", "gh-delete")
    webhook = create_webhook(cb, name, [[event("PUSH")]])
    cb.delete_webhook(projectName=name)
    assert github(webhook, "push", fixture("github/push.json")).status_code == 404
    assert "webhook" not in cb.batch_get_projects(names=[name])["projects"][0]
    again = create_webhook(cb, name, [[event("PUSH")]])
    assert again["payloadUrl"] != webhook["payloadUrl"]
    cb.delete_project(name=name)
    assert github(again, "push", fixture("github/push.json")).status_code == 404


# ---- the operations' bad input ----

def error_of(call, **params) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call(**params)
    err = info.value.response["Error"]
    return err["Code"], err["Message"]


def test_webhook_operations_reject_bad_input(kiln, hosted, any_cb):
    cb = any_cb
    gh = project_for(kiln, hosted, "GITHUB", "gh-api")
    cc = create_project(cb, uniq("cc-api"), source={"type": "CODECOMMIT", "location": hosted.repo.url})["name"]
    s3 = create_project(cb, uniq("s3-api"), source={"type": "S3", "location": "bucket/source.zip"})["name"]
    none = create_project(cb, uniq("none-api"))["name"]

    for project in (cc, s3, none):
        code, msg = error_of(cb.create_webhook, projectName=project)
        assert code == "InvalidInputException"
        assert "does not support webhooks" in msg
    assert error_of(cb.create_webhook, projectName=uniq("missing"))[0] == "ResourceNotFoundException"
    code, msg = error_of(cb.create_webhook, projectName=gh, filterGroups=[[head_ref("^refs/heads/main$")]])
    assert (code, msg) == ("InvalidInputException",
                           "Invalid input: filterGroups[0] has no EVENT filter: every filter group needs one")
    code, msg = error_of(cb.create_webhook, projectName=gh, filterGroups=[[event("PUSH, MERGED")]])
    assert msg.startswith('Invalid input: filterGroups[0][0]: "MERGED" is not a webhook event type')
    code, msg = error_of(cb.create_webhook, projectName=gh, filterGroups=[[event("PUSH"), head_ref("(?<=x)y")]])
    assert msg.startswith('Invalid input: filterGroups[0][1]: HEAD_REF pattern "(?<=x)y" is not a valid regular')
    assert error_of(cb.create_webhook, projectName=gh, buildType="BUILD_BATCH")[0] == "InvalidInputException"

    code, msg = error_of(cb.update_webhook, projectName=gh, branchFilter="^main$")
    assert code == "ResourceNotFoundException"
    assert "Webhook does not exist for project" in msg
    assert error_of(cb.delete_webhook, projectName=gh)[0] == "ResourceNotFoundException"

    webhook = create_webhook(cb, gh, [[event("PUSH")]])
    assert webhook["filterGroups"] == [[{"type": "EVENT", "pattern": "PUSH", "excludeMatchedPattern": False}]]
    assert webhook["buildType"] == "BUILD"
    assert error_of(cb.create_webhook, projectName=gh)[0] == "ResourceAlreadyExistsException"
    code, _ = error_of(cb.update_webhook, projectName=gh, filterGroups=[[event("PUSH"), head_ref("[")]])
    assert code == "InvalidInputException"
    shown = cb.batch_get_projects(names=[gh])["projects"][0]["webhook"]
    assert shown["payloadUrl"] == webhook["payloadUrl"]
    assert shown["filterGroups"] == webhook["filterGroups"], "a refused update changed the webhook"
    assert "secret" not in shown
    cb.delete_webhook(projectName=gh)


def test_public_url_names_the_payload_url(start_server, hosted):
    by_flag = start_server("public-url-flag", args=["--public-url", "https://ci.example.com/kiln/"])
    webhook = create_webhook(by_flag.codebuild(), project_for(by_flag, hosted, "GITHUB", "gh-public"), [[event("PUSH")]])
    assert webhook["payloadUrl"].startswith("https://ci.example.com/kiln/webhooks?t=")
    by_env = start_server("public-url-env", env={"KILN_PUBLIC_URL": "https://hooks.example.org"})
    webhook = create_webhook(by_env.codebuild(), project_for(by_env, hosted, "GITLAB", "gl-public"), [[event("PUSH")]])
    assert webhook["payloadUrl"].startswith("https://hooks.example.org/webhooks?t=")
    # The path of the payload URL is what this server answers.
    token_query = webhook["payloadUrl"].split("?", 1)[1]
    ping = requests.post(f"{by_env.endpoint}/webhooks?{token_query}", data=b"{}",
                         headers={"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": webhook["secret"]}, timeout=30)
    assert ping.status_code == 400
    assert ping.json()["reason"] == "the payload has no ref"


def test_with_keys_deliveries_need_no_sigv4_but_their_record_does(start_server, hosted):
    key = ("AKIDWEBHOOKS", "webhooks-secret")
    keyed = start_server("keyed", env={"KILN_ACCESS_KEY_ID": key[0], "KILN_SECRET_ACCESS_KEY": key[1]})
    cb = keyed.codebuild(key=key)
    name = project_for(keyed, hosted, "GITHUB", "gh-keyed", cb=cb)
    webhook = create_webhook(cb, name, [[event("PUSH")]])
    # Providers cannot sign with AWS keys: the token and the webhook secret are the credentials.
    build_id = started(github(webhook, "push", fixture("github/push.json", after=hosted.sha["main-2"])))
    assert project_builds(cb, name) == [build_id]

    url = f"{keyed.endpoint}/webhooks/deliveries?project={name}"
    assert requests.get(url, timeout=30).status_code == 400
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(*key), "codebuild", "us-east-1").add_auth(request)
    signed = requests.get(url, headers=dict(request.headers), timeout=30)
    assert signed.status_code == 200, signed.text
    assert [d["outcome"] for d in signed.json()["deliveries"]] == ["STARTED"]


def test_aws_cli_create_update_delete_webhook(kiln, hosted, aws):
    """The aws cli's own create-webhook and update-webhook examples."""
    name = project_for(kiln, hosted, "GITHUB", "gh-cli")
    groups = json.dumps([
        [event("PULL_REQUEST_CREATED, PULL_REQUEST_UPDATED, PULL_REQUEST_REOPENED"),
         head_ref("^refs/heads/myBranch$", exclude=True),
         {"type": "BASE_REF", "pattern": "^refs/heads/master$", "excludeMatchedPattern": True}],
        [event("PUSH"), head_ref("^refs/heads/myBranch$", exclude=True)],
    ])
    created = aws("codebuild", "create-webhook", "--project-name", name, "--filter-groups", groups).json["webhook"]
    assert created["payloadUrl"].startswith(f"{kiln.endpoint}/webhooks?t=")
    assert len(created["filterGroups"]) == 2
    updated = aws("codebuild", "update-webhook", "--project-name", name, "--rotate-secret",
                  "--filter-groups", groups).json["webhook"]
    assert updated["secret"] != created["secret"]
    assert updated["lastModifiedSecret"] >= created["lastModifiedSecret"]
    aws("codebuild", "delete-webhook", "--project-name", name)
    failed = aws("codebuild", "delete-webhook", "--project-name", name, check=False)
    assert failed.returncode != 0
    assert "ResourceNotFoundException" in failed.stderr

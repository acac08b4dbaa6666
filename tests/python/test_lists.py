"""Listing and the other project/build operations: ListProjects (sort and order),
ListBuilds, ListBuildsForProject (sortOrder, nextToken over more than 100 builds),
BatchGetBuilds/BatchGetProjects with their not-found lists, BatchDeleteBuilds, RetryBuild,
UpdateProject and DeleteProject.

The list tests run on a server of their own, so that its lists hold only what they made."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from kilntest.builds import (buildspec, create_project, exported, get_build, log_text, no_source, run_build,
                             uniq, wait_build, wait_builds, wait_until)
from kilntest.contract import CBOR, JSON
from kilntest.harness import start_kiln
from kilntest.procs import marker, pids, sleeper


@pytest.fixture(scope="module")
def lists(tmp_path_factory):
    # A queue deep enough for the 105 builds of the paging test, all started at once.
    k = start_kiln(tmp_path_factory.mktemp("lists"), "lists", concurrency=4, args=["--max-queued-builds", "200"])
    yield k
    k.server.stop()


def error_code(e) -> str:
    return e.value.response["Error"]["Code"]


def after_a_millisecond_tick():
    """Creation times are in milliseconds: make sure the next one is a different one."""
    start = time.time()
    while time.time() - start < 0.003:
        pass


def test_list_projects_sort_and_order(lists):
    cb = lists.codebuild()
    for name in ["lp-bravo", "lp-charlie", "lp-alpha"]:
        create_project(cb, name)
        after_a_millisecond_tick()
    cb.update_project(name="lp-bravo", description="touched last")

    def names(**kw):
        return [n for n in cb.list_projects(**kw)["projects"] if n.startswith("lp-")]

    assert names() == ["lp-alpha", "lp-bravo", "lp-charlie"]  # NAME, ASCENDING by default
    assert names(sortBy="NAME", sortOrder="DESCENDING") == ["lp-charlie", "lp-bravo", "lp-alpha"]
    assert names(sortBy="CREATED_TIME", sortOrder="ASCENDING") == ["lp-bravo", "lp-charlie", "lp-alpha"]
    assert names(sortBy="CREATED_TIME", sortOrder="DESCENDING") == ["lp-alpha", "lp-charlie", "lp-bravo"]
    assert names(sortBy="LAST_MODIFIED_TIME", sortOrder="DESCENDING")[0] == "lp-bravo"
    assert "nextToken" not in cb.list_projects()


def test_list_builds_for_project_pages_over_100_builds(lists):
    cb = lists.codebuild()
    project = create_project(cb, "lp-many", source=no_source(buildspec(build=["true"])))
    other = create_project(cb, "lp-other")
    started = [cb.start_build(projectName=project["name"])["build"] for _ in range(105)]
    foreign = cb.start_build(projectName=other["name"])["build"]
    assert [b["buildNumber"] for b in started] == list(range(1, 106))
    ids = [b["id"] for b in started]
    assert len(set(ids)) == 105

    def all_pages(client, **kw):
        pages, token = [], None
        for _ in range(10):
            params = dict(kw, **({"nextToken": token} if token else {}))
            page = client.list_builds_for_project(projectName=project["name"], **params)
            pages.append(page["ids"])
            token = page.get("nextToken")
            if not token:
                return pages
        raise AssertionError("ListBuildsForProject never stopped paging")

    for client in (cb, lists.codebuild(CBOR)):
        newest_first = all_pages(client)
        assert [len(p) for p in newest_first] == [100, 5]
        assert [i for p in newest_first for i in p] == ids[::-1]
        oldest_first = all_pages(client, sortOrder="ASCENDING")
        assert [i for p in oldest_first for i in p] == ids
        assert [i for p in all_pages(client, sortOrder="DESCENDING") for i in p] == ids[::-1]

    # ListBuilds spans every project, newest first, with the same paging. (Builds started
    # within one millisecond may list either way round, so only distant ones are compared.)
    def list_all(**kw):
        found, token = [], None
        for _ in range(20):
            page = cb.list_builds(**kw, **({"nextToken": token} if token else {}))
            found += page["ids"]
            token = page.get("nextToken")
            if not token:
                return found
        raise AssertionError("ListBuilds never stopped paging")

    newest_first = list_all()
    assert len(newest_first) == len(set(newest_first))
    assert set(ids) | {foreign["id"]} <= set(newest_first)
    assert newest_first.index(foreign["id"]) < newest_first.index(ids[0])
    assert newest_first.index(ids[-1]) < newest_first.index(ids[0])
    oldest_first = list_all(sortOrder="ASCENDING")
    assert sorted(oldest_first) == sorted(newest_first)
    assert oldest_first.index(ids[0]) < oldest_first.index(ids[-1])

    with pytest.raises(ClientError) as e:
        cb.list_builds_for_project(projectName=project["name"], nextToken="not-a-token")
    assert error_code(e) == "InvalidInputException"
    with pytest.raises(ClientError) as e:
        cb.list_builds_for_project(projectName="lp-no-such-project")
    assert error_code(e) == "ResourceNotFoundException"
    wait_builds(cb, ids + [foreign["id"]], timeout=120)


@pytest.mark.parametrize("protocol", [JSON, CBOR])
def test_batch_get_builds_reports_what_it_cannot_find(kiln, protocol):
    cb = kiln.codebuild(protocol)
    project = create_project(cb, uniq("bgb"))
    build = run_build(cb, projectName=project["name"])
    missing = f"{project['name']}:00000000-0000-0000-0000-000000000000"
    found = cb.batch_get_builds(ids=[build["id"], missing, build["arn"]])
    assert [b["id"] for b in found["builds"]] == [build["id"]]
    assert found["buildsNotFound"] == [missing]
    assert cb.batch_get_builds(ids=[missing])["builds"] == []


def test_batch_get_projects_reports_what_it_cannot_find(cb):
    project = create_project(cb, uniq("bgp"))
    found = cb.batch_get_projects(names=[project["name"], "bgp-missing", project["arn"]])
    assert [p["name"] for p in found["projects"]] == [project["name"]]
    assert found["projectsNotFound"] == ["bgp-missing"]


def test_batch_delete_builds(cb):
    project = create_project(cb, uniq("bdb"))
    done = run_build(cb, projectName=project["name"])
    mark = marker()
    running = cb.start_build(projectName=project["name"],
                             buildspecOverride=buildspec(build=[sleeper(mark)]))["build"]
    missing = f"{project['name']}:00000000-0000-0000-0000-000000000000"
    result = cb.batch_delete_builds(ids=[done["id"], running["id"], missing])
    assert result["buildsDeleted"] == [done["id"]]
    not_deleted = {b["id"]: b["statusCode"] for b in result["buildsNotDeleted"]}
    assert set(not_deleted) == {running["id"], missing}
    assert cb.batch_get_builds(ids=[done["id"]])["buildsNotFound"] == [done["id"]]
    assert done["id"] not in cb.list_builds_for_project(projectName=project["name"])["ids"]
    # Build numbers are never reused.
    assert cb.start_build(projectName=project["name"])["build"]["buildNumber"] == 3
    cb.stop_build(id=running["id"])
    assert wait_build(cb, running["id"], timeout=30)["buildStatus"] == "STOPPED"
    wait_until(lambda: not pids(mark), 15, "the stopped build's processes to end")


def test_retry_build_runs_the_same_settings_again(any_cb):
    cb = any_cb
    spec = buildspec(build=["OUT=$X-$CODEBUILD_BUILD_NUMBER"], exported=["OUT"])
    project = create_project(cb, uniq("retry"))
    first = run_build(cb, projectName=project["name"], buildspecOverride=spec,
                      environmentVariablesOverride=[{"name": "X", "value": "from-override"}],
                      sourceVersion="anything", timeoutInMinutesOverride=11)
    assert exported(first) == {"OUT": "from-override-1"}
    retried = cb.retry_build(id=first["id"])["build"]
    assert retried["id"] != first["id"]
    assert retried["buildNumber"] == 2
    assert retried["currentPhase"] == "QUEUED"
    assert retried["sourceVersion"] == "anything"
    assert retried["timeoutInMinutes"] == 11
    done = wait_build(cb, retried["id"])
    assert exported(done) == {"OUT": "from-override-2"}
    with pytest.raises(ClientError) as e:
        cb.retry_build(id=f"{project['name']}:00000000-0000-0000-0000-000000000000")
    assert error_code(e) == "ResourceNotFoundException"


def test_update_project(cb):
    project = create_project(cb, uniq("upd"), description="before")
    updated = cb.update_project(
        name=project["name"], description="after",
        source=no_source(buildspec(build=["WHICH=updated"], exported=["WHICH"])),
        timeoutInMinutes=20)["project"]
    assert updated["description"] == "after"
    assert updated["timeoutInMinutes"] == 20
    assert updated["created"] == project["created"]
    assert updated["lastModified"] >= project["lastModified"]
    assert updated["environment"] == project["environment"]
    assert exported(run_build(cb, projectName=project["name"])) == {"WHICH": "updated"}
    stored = cb.batch_get_projects(names=[project["name"]])["projects"][0]
    assert stored == updated
    with pytest.raises(ClientError) as e:
        cb.update_project(name=uniq("upd-missing"), description="x")
    assert error_code(e) == "ResourceNotFoundException"


def test_delete_project(any_cb):
    cb = any_cb
    project = create_project(cb, uniq("del"))
    cb.delete_project(name=project["name"])
    assert cb.batch_get_projects(names=[project["name"]])["projectsNotFound"] == [project["name"]]
    with pytest.raises(ClientError) as e:
        cb.start_build(projectName=project["name"])
    assert error_code(e) == "ResourceNotFoundException"
    assert project["arn"] in e.value.response["Error"]["Message"]
    cb.delete_project(name=project["name"])  # CodeBuild declares no error for this
    # The name is free again.
    assert create_project(cb, project["name"])["name"] == project["name"]


def test_create_project_twice(any_cb):
    cb = any_cb
    project = create_project(cb, uniq("dup"))
    with pytest.raises(ClientError) as e:
        create_project(cb, project["name"])
    assert error_code(e) == "ResourceAlreadyExistsException"
    assert e.value.response["Error"]["Message"] == f"Project already exists: {project['arn']}"


def test_get_build_reads_by_arn_too(cb):
    project = create_project(cb, uniq("arn"))
    build = run_build(cb, projectName=project["name"])
    assert get_build(cb, build["arn"])["id"] == build["id"]


def test_concurrent_start_builds_get_distinct_numbers(kiln):
    cb = kiln.codebuild()
    project = create_project(cb, uniq("numbers"), source=no_source(buildspec(build=["true"])))

    def start(_):
        return cb.start_build(projectName=project["name"])["build"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        builds = list(pool.map(start, range(16)))
    assert sorted(b["buildNumber"] for b in builds) == list(range(1, 17))
    assert len({b["id"] for b in builds}) == 16
    wait_builds(cb, [b["id"] for b in builds], timeout=120)


def test_builds_outlive_their_project(cb, logs):
    project = create_project(cb, uniq("outlive"))
    build = run_build(cb, projectName=project["name"])
    cb.delete_project(name=project["name"])
    assert get_build(cb, build["id"])["buildStatus"] == "SUCCEEDED"
    assert build["id"] in cb.list_builds()["ids"]
    assert "hello" in log_text(logs, build)


def test_list_projects_pages(lists):
    cb = lists.codebuild()
    names = [f"page-{i:03d}" for i in range(105)]
    for name in names:
        create_project(cb, name)
    pages, token = [], None
    while True:
        page = cb.list_projects(sortBy="NAME", **({"nextToken": token} if token else {}))
        pages.append(page["projects"])
        token = page.get("nextToken")
        if not token:
            break
    assert len(pages[0]) == 100
    everything = [n for p in pages for n in p]
    assert everything == sorted(everything)
    assert [n for n in everything if n.startswith("page-")] == names


def test_retry_build_idempotency_token(cb):
    project = create_project(cb, uniq("retry-token"))
    first = run_build(cb, projectName=project["name"])
    token = uniq("t")
    a = cb.retry_build(id=first["id"], idempotencyToken=token)["build"]
    b = cb.retry_build(id=first["id"], idempotencyToken=token)["build"]
    assert a["id"] == b["id"]
    wait_build(cb, a["id"])

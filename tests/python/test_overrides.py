"""StartBuild's overrides: source type and location, clone depth, buildspec (inline and path),
environment variables (override > project > buildspec), timeouts, idempotency tokens, and the
environment settings the build records."""

import pytest
from botocore.exceptions import ClientError

from kilntest.builds import buildspec, create_project, exported, no_source, run_build, uniq, wait_builds
from kilntest.gitrepo import EXPORTING_BUILDSPEC, Repo, git

OTHER_BUILDSPEC = buildspec(build=["WHICH=ci/other.yml"], exported=["WHICH"])


@pytest.fixture(scope="module")
def repos(tmp_path_factory):
    base = tmp_path_factory.mktemp("overrides")
    a = Repo(base / "a")
    a.commit({"buildspec.yml": EXPORTING_BUILDSPEC, "version.txt": "a-1"})
    a.commit({"version.txt": "a-2", "ci/other.yml": OTHER_BUILDSPEC})
    a.commit({"version.txt": "a-3"})
    b = Repo(base / "b")
    b.commit({"buildspec.yml": EXPORTING_BUILDSPEC, "version.txt": "b-1"})
    return a, b


def test_source_type_and_location_override(cb, repos):
    a, b = repos
    project = create_project(cb, uniq("ovr-src"), source={"type": "CODECOMMIT", "location": str(a.path)})
    done = run_build(cb, projectName=project["name"], sourceTypeOverride="GITHUB",
                     sourceLocationOverride=b.url)
    assert done["buildStatus"] == "SUCCEEDED", done["phases"]
    assert done["source"]["type"] == "GITHUB"
    assert done["source"]["location"] == b.url
    assert done["resolvedSourceVersion"] == b.head()
    assert exported(done)["CONTENT"] == "b-1"
    # The project itself is unchanged.
    assert cb.batch_get_projects(names=[project["name"]])["projects"][0]["source"]["location"] == str(a.path)


def test_source_type_override_to_no_source(cb, repos):
    a, _ = repos
    project = create_project(cb, uniq("ovr-nosrc"), source={"type": "CODECOMMIT", "location": str(a.path)})
    done = run_build(cb, projectName=project["name"], sourceTypeOverride="NO_SOURCE",
                     buildspecOverride=buildspec(build=["X=$(ls | wc -l)"], exported=["X"]))
    assert done["buildStatus"] == "SUCCEEDED", done["phases"]
    assert exported(done) == {"X": "0"}
    assert "resolvedSourceVersion" not in done


SHALLOW_SPEC = buildspec(build=["SHALLOW=$(git rev-parse --is-shallow-repository)",
                                "COMMITS=$(git rev-list --count HEAD)"],
                         exported=["SHALLOW", "COMMITS"])


def test_git_clone_depth_override(cb, repos):
    a, _ = repos
    project = create_project(cb, uniq("ovr-depth"),
                             source={"type": "CODECOMMIT", "location": a.url, "gitCloneDepth": 0})
    shallow = cb.start_build(projectName=project["name"], gitCloneDepthOverride=1, buildspecOverride=SHALLOW_SPEC)
    two = cb.start_build(projectName=project["name"], gitCloneDepthOverride=2, buildspecOverride=SHALLOW_SPEC)
    full = cb.start_build(projectName=project["name"], buildspecOverride=SHALLOW_SPEC)
    ids = [shallow["build"]["id"], two["build"]["id"], full["build"]["id"]]
    done = wait_builds(cb, ids)
    shallow, two, full = (done[i] for i in ids)
    for b in (shallow, two, full):
        assert b["buildStatus"] == "SUCCEEDED", b["phases"]
    assert shallow["source"]["gitCloneDepth"] == 1
    assert exported(shallow) == {"SHALLOW": "true", "COMMITS": "1"}
    assert exported(two) == {"SHALLOW": "true", "COMMITS": "2"}
    # gitCloneDepth 0 is CodeBuild's "full clone".
    assert exported(full) == {"SHALLOW": "false", "COMMITS": "3"}


def test_buildspec_override_inline_and_path(cb, repos):
    a, _ = repos
    project = create_project(cb, uniq("ovr-spec"), source={"type": "CODECOMMIT", "location": a.url})
    inline = cb.start_build(projectName=project["name"],
                            buildspecOverride=buildspec(build=["WHICH=inline"], exported=["WHICH"]))
    path = cb.start_build(projectName=project["name"], buildspecOverride="ci/other.yml")
    default = cb.start_build(projectName=project["name"])
    missing = cb.start_build(projectName=project["name"], buildspecOverride="ci/missing.yml")
    ids = [b["build"]["id"] for b in (inline, path, default, missing)]
    done = wait_builds(cb, ids)
    inline, path, default, missing = (done[i] for i in ids)
    assert exported(inline) == {"WHICH": "inline"}
    assert exported(path) == {"WHICH": "ci/other.yml"}
    assert exported(default)["CONTENT"] == "a-3"
    assert path["source"]["buildspec"] == "ci/other.yml"
    assert missing["buildStatus"] == "FAILED"
    [ctx] = [p for p in missing["phases"] if p["phaseType"] == "DOWNLOAD_SOURCE"][0]["contexts"]
    assert ctx["statusCode"] == "YAML_FILE_ERROR"
    assert "ci/missing.yml" in ctx["message"]


def test_environment_variable_precedence(cb):
    spec = buildspec(variables={"A": "buildspec", "B": "buildspec", "C": "buildspec"},
                     build=["D=$A-$B-$C"], exported=["A", "B", "C", "D"])
    environment = {
        "type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_SMALL",
        "environmentVariables": [{"name": "B", "value": "project"}, {"name": "C", "value": "project"}],
    }
    project = create_project(cb, uniq("ovr-env"), source=no_source(spec), environment=environment)
    done = run_build(cb, projectName=project["name"],
                     environmentVariablesOverride=[{"name": "C", "value": "override"},
                                                   {"name": "E", "value": "only-override"}])
    assert done["buildStatus"] == "SUCCEEDED", done["phases"]
    assert exported(done) == {"A": "buildspec", "B": "project", "C": "override",
                              "D": "buildspec-project-override"}
    recorded = {v["name"]: (v["value"], v["type"]) for v in done["environment"]["environmentVariables"]}
    assert recorded == {"B": ("project", "PLAINTEXT"), "C": ("override", "PLAINTEXT"),
                        "E": ("only-override", "PLAINTEXT")}


def test_timeout_overrides_are_recorded(cb):
    project = create_project(cb, uniq("ovr-timeouts"), timeoutInMinutes=30, queuedTimeoutInMinutes=60)
    build = cb.start_build(projectName=project["name"], timeoutInMinutesOverride=7,
                           queuedTimeoutInMinutesOverride=9)["build"]
    assert build["timeoutInMinutes"] == 7
    assert build["queuedTimeoutInMinutes"] == 9
    plain = cb.start_build(projectName=project["name"])["build"]
    assert plain["timeoutInMinutes"] == 30
    assert plain["queuedTimeoutInMinutes"] == 60
    wait_builds(cb, [build["id"], plain["id"]])


def test_environment_overrides_are_recorded(cb):
    project = create_project(cb, uniq("ovr-image"),
                             source=no_source(buildspec(build=["IMG=$CODEBUILD_BUILD_IMAGE"], exported=["IMG"])))
    done = run_build(cb, projectName=project["name"], imageOverride="aws/codebuild/amazonlinux2-x86_64-standard:5.0",
                     computeTypeOverride="BUILD_GENERAL1_LARGE", privilegedModeOverride=True)
    assert done["environment"]["image"] == "aws/codebuild/amazonlinux2-x86_64-standard:5.0"
    assert done["environment"]["computeType"] == "BUILD_GENERAL1_LARGE"
    assert done["environment"]["privilegedMode"] is True
    assert exported(done) == {"IMG": "aws/codebuild/amazonlinux2-x86_64-standard:5.0"}
    project_now = cb.batch_get_projects(names=[project["name"]])["projects"][0]
    assert project_now["environment"]["computeType"] == "BUILD_GENERAL1_SMALL"
    assert project_now["environment"]["privilegedMode"] is False


def test_idempotency_token(any_cb):
    cb = any_cb
    project = create_project(cb, uniq("ovr-idem"))
    token = uniq("token")
    first = cb.start_build(projectName=project["name"], idempotencyToken=token, sourceVersion="x")["build"]
    again = cb.start_build(projectName=project["name"], idempotencyToken=token, sourceVersion="x")["build"]
    assert again["id"] == first["id"]
    assert again["buildNumber"] == first["buildNumber"] == 1
    with pytest.raises(ClientError) as e:
        cb.start_build(projectName=project["name"], idempotencyToken=token, sourceVersion="y")
    assert e.value.response["Error"]["Code"] == "InvalidInputException"
    assert "idempotencyToken" in e.value.response["Error"]["Message"]
    other = cb.start_build(projectName=project["name"], idempotencyToken=uniq("token"), sourceVersion="x")["build"]
    assert other["id"] != first["id"]
    assert other["buildNumber"] == 2
    wait_builds(cb, [first["id"], other["id"]])


def test_git_submodules(cb, tmp_path):
    lib = Repo(tmp_path / "lib")
    lib.commit({"lib.txt": "from the submodule"})
    app = Repo(tmp_path / "app")
    app.commit({"buildspec.yml": buildspec(build=["LIB=$(cat lib/lib.txt 2>/dev/null || echo missing)"],
                                           exported=["LIB"])})
    git(app.path, "-c", "protocol.file.allow=always", "submodule", "add", "-q", lib.url, "lib")
    git(app.path, "commit", "-q", "-m", "add lib")
    project = create_project(cb, uniq("ovr-submodules"), source={"type": "GITHUB", "location": app.url})
    without = cb.start_build(projectName=project["name"])["build"]["id"]
    with_ = cb.start_build(projectName=project["name"],
                           gitSubmodulesConfigOverride={"fetchSubmodules": True})["build"]["id"]
    done = wait_builds(cb, [without, with_])
    assert done[with_]["buildStatus"] == "SUCCEEDED", done[with_]["phases"]
    assert exported(done[with_]) == {"LIB": "from the submodule"}
    assert done[with_]["source"]["gitSubmodulesConfig"] == {"fetchSubmodules": True}
    assert exported(done[without]) == {"LIB": "missing"}

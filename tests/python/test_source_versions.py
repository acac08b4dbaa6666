"""StartBuild's sourceVersion in every documented form builds exactly the commit it names.

One repository, default branch `trunk` (so "the default branch" cannot be guessed as main or
master), with branches, a lightweight and an annotated tag, a commit reachable only from an old
position of a branch, and a GitHub pull-request ref. All builds start at once and are checked
one per test. Each build exports version.txt and `git rev-parse HEAD`."""

import pytest

from kilntest.builds import create_project, phase, phase_types, uniq, wait_build
from kilntest.gitrepo import EXPORTING_BUILDSPEC, Repo, git

GITHUB_URL = "https://github.com/kiln-tests/versions-{}.git"


class Versions:
    """The repository, its projects, and the builds started for each case."""

    def __init__(self, repo: Repo):
        self.repo = repo
        self.sha: dict[str, str] = {}
        self.builds: dict[str, dict] = {}


@pytest.fixture(scope="module")
def versions(kiln, tmp_path_factory):
    repo = Repo(tmp_path_factory.mktemp("versions") / "repo", default_branch="trunk")
    v = Versions(repo)
    v.sha["trunk-1"] = repo.commit({"buildspec.yml": EXPORTING_BUILDSPEC, "version.txt": "trunk-1"})
    v.sha["trunk-2"] = repo.commit({"version.txt": "trunk-2"})
    repo.checkout("dev", create_from="trunk")
    v.sha["dev-1"] = repo.commit({"version.txt": "dev-1"})
    repo.checkout("feature/slashed", create_from="trunk")
    v.sha["feature-1"] = repo.commit({"version.txt": "feature-1"})
    repo.checkout("pr-source", create_from="trunk")
    v.sha["pr-7"] = repo.commit({"version.txt": "pr-7"})
    repo.checkout("trunk")
    v.sha["trunk-3"] = repo.commit({"version.txt": "trunk-3"})
    repo.tag("v1.0", v.sha["trunk-1"])
    repo.tag("v2.0-annotated", v.sha["dev-1"], message="release 2")
    # A pull request exists only as refs/pull/7/head, as on GitHub: no branch holds it.
    repo.update_ref("refs/pull/7/head", v.sha["pr-7"])
    git(repo.path, "branch", "-D", "pr-source")
    assert repo.rev_parse("v2.0-annotated") != v.sha["dev-1"], "the annotated tag must be a tag object"

    cb = kiln.codebuild()
    # Three ways to name the repository: a local path, a file:// URL, and a GitHub URL that
    # the server's git configuration maps onto the local repository.
    codecommit = create_project(cb, uniq("versions-cc"), source={"type": "CODECOMMIT", "location": str(repo.path)})
    github_url = GITHUB_URL.format(uniq("r"))
    kiln.map_url(github_url, repo.url)
    github = create_project(cb, uniq("versions-gh"), source={"type": "GITHUB", "location": github_url})
    shallow = create_project(cb, uniq("versions-shallow"),
                             source={"type": "CODECOMMIT", "location": repo.url, "gitCloneDepth": 1})
    pinned = create_project(cb, uniq("versions-pinned"), source={"type": "GITLAB", "location": repo.url},
                            sourceVersion="dev")

    def start(case, project, version=None):
        params = {"projectName": project["name"]}
        if version is not None:
            params["sourceVersion"] = version
        v.builds[case] = cb.start_build(**params)["build"]

    start("branch name", codecommit, "dev")
    start("refs/heads/ form", codecommit, "refs/heads/dev")
    start("branch with a slash", codecommit, "feature/slashed")
    start("lightweight tag", codecommit, "v1.0")
    start("annotated tag", codecommit, "v2.0-annotated")
    start("refs/tags/ form", codecommit, "refs/tags/v1.0")
    start("full sha (not a branch head)", codecommit, v.sha["trunk-2"])
    start("short sha", codecommit, v.sha["dev-1"][:8])
    start("ref^{sha}", codecommit, f"refs/heads/trunk^{{{v.sha['trunk-2']}}}")
    start("pr/N on GitHub", github, "pr/7")
    start("refs/pull/N/head on GitHub", github, "refs/pull/7/head")
    start("default branch head", codecommit)
    start("project sourceVersion", pinned)
    start("build sourceVersion beats the project's", pinned, "v1.0")
    start("old sha below a depth-1 clone", shallow, v.sha["trunk-1"])
    start("old sha on its branch below a depth-1 clone", shallow, f"refs/heads/trunk^{{{v.sha['trunk-1']}}}")
    start("branch with a depth-1 clone", shallow, "dev")
    start("unknown branch", codecommit, "no-such-branch")
    start("unknown sha", codecommit, "0123456789abcdef0123456789abcdef01234567")
    return v


CASES = {
    # case: the content (and so the commit) it must build
    "branch name": "dev-1",
    "refs/heads/ form": "dev-1",
    "branch with a slash": "feature-1",
    "lightweight tag": "trunk-1",
    "annotated tag": "dev-1",
    "refs/tags/ form": "trunk-1",
    "full sha (not a branch head)": "trunk-2",
    "short sha": "dev-1",
    "ref^{sha}": "trunk-2",
    "pr/N on GitHub": "pr-7",
    "refs/pull/N/head on GitHub": "pr-7",
    "default branch head": "trunk-3",
    "project sourceVersion": "dev-1",
    "build sourceVersion beats the project's": "trunk-1",
    "old sha below a depth-1 clone": "trunk-1",
    "old sha on its branch below a depth-1 clone": "trunk-1",
    "branch with a depth-1 clone": "dev-1",
}


@pytest.mark.parametrize("case", list(CASES))
def test_source_version_builds_the_named_commit(kiln, versions, case):
    cb = kiln.codebuild()
    started = versions.builds[case]
    done = wait_build(cb, started["id"])
    content = CASES[case]
    expected = versions.sha[content]
    assert done["buildStatus"] == "SUCCEEDED", done["phases"]
    assert done["resolvedSourceVersion"] == expected
    exported = {v["name"]: v["value"] for v in done["exportedEnvironmentVariables"]}
    assert exported == {"CONTENT": content, "HEAD_SHA": expected}
    # The build keeps the version as asked (or the project's), not the resolved commit.
    assert done.get("sourceVersion") == started.get("sourceVersion")


def test_build_source_version_is_recorded_as_given(versions):
    assert versions.builds["branch name"]["sourceVersion"] == "dev"
    assert versions.builds["project sourceVersion"]["sourceVersion"] == "dev"
    assert versions.builds["build sourceVersion beats the project's"]["sourceVersion"] == "v1.0"
    assert "sourceVersion" not in versions.builds["default branch head"]


@pytest.mark.parametrize("case,ref", [("unknown branch", "no-such-branch"),
                                      ("unknown sha", "0123456789abcdef0123456789abcdef01234567")])
def test_unknown_ref_fails_in_download_source(kiln, versions, case, ref):
    done = wait_build(kiln.codebuild(), versions.builds[case]["id"])
    assert done["buildStatus"] == "FAILED"
    assert phase_types(done) == ["SUBMITTED", "QUEUED", "PROVISIONING", "DOWNLOAD_SOURCE", "FINALIZING",
                                 "COMPLETED"]
    download = phase(done, "DOWNLOAD_SOURCE")
    assert download["phaseStatus"] == "FAILED"
    [context] = download["contexts"]
    assert context["statusCode"] == "CLIENT_ERROR"
    assert ref in context["message"], context
    assert "resolvedSourceVersion" not in done
    assert phase(done, "FINALIZING")["phaseStatus"] == "SUCCEEDED"

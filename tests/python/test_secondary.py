"""Secondary sources and secondary artifacts (issue #3, items 1 and 4): checked out beside the
primary at their own versions with CODEBUILD_SRC_DIR_<id> and friends, uploaded per
artifactIdentifier, fetched back with boto3's S3 client."""

import io
import zipfile

import pytest
from botocore.exceptions import ClientError

from kilntest import s3 as s3test
from kilntest.builds import create_project, exported, log_text, no_source, phase, run_build, uniq
from kilntest.gitrepo import Repo

PRIMARY_SPEC = """\
version: 0.2
env:
  exported-variables: [MAIN, LIB, TOOLS, LIB_DIR, LIB_VERSION, LIB_URL, TOOLS_VERSION, LIB_HEAD]
phases:
  build:
    commands:
      - MAIN=$(cat version.txt)
      - LIB=$(cat "$CODEBUILD_SRC_DIR_lib/version.txt")
      - TOOLS=$(cat "$CODEBUILD_SRC_DIR_tools_2/version.txt")
      - LIB_DIR=$CODEBUILD_SRC_DIR_lib
      - LIB_VERSION=$CODEBUILD_SOURCE_VERSION_lib
      - LIB_URL=$CODEBUILD_SOURCE_REPO_URL_lib
      - TOOLS_VERSION=$CODEBUILD_SOURCE_VERSION_tools_2
      - LIB_HEAD=$(git -C "$CODEBUILD_SRC_DIR_lib" rev-parse HEAD)
"""


@pytest.fixture(scope="module")
def repos(tmp_path_factory):
    root = tmp_path_factory.mktemp("secondary")
    main = Repo(root / "main")
    main.commit({"buildspec.yml": PRIMARY_SPEC, "version.txt": "main-1"})
    lib = Repo(root / "lib")
    shas = {"lib-1": lib.commit({"version.txt": "lib-1"})}
    lib.checkout("release", create_from="main")
    shas["lib-release"] = lib.commit({"version.txt": "lib-release"})
    lib.checkout("main")
    shas["lib-2"] = lib.commit({"version.txt": "lib-2"})
    tools = Repo(root / "tools")
    shas["tools-1"] = tools.commit({"version.txt": "tools-1"})
    return main, lib, tools, shas


def secondary(repo, ident):
    return {"type": "CODECOMMIT", "location": repo.url, "sourceIdentifier": ident}


def test_secondary_sources_check_out_beside_the_primary(cb, repos):
    main, lib, tools, shas = repos
    project = create_project(
        cb, uniq("secondary"), source={"type": "CODECOMMIT", "location": main.url},
        secondarySources=[secondary(lib, "lib"), secondary(tools, "tools_2")],
        secondarySourceVersions=[{"sourceIdentifier": "lib", "sourceVersion": "release"}])
    # The project's version of lib (branch release); tools at its default branch.
    build = run_build(cb, projectName=project["name"])
    assert build["buildStatus"] == "SUCCEEDED", build["phases"]
    v = exported(build)
    assert (v["MAIN"], v["LIB"], v["TOOLS"]) == ("main-1", "lib-release", "tools-1")
    assert v["LIB_HEAD"] == shas["lib-release"]
    assert v["LIB_VERSION"] == "release"
    assert v["LIB_URL"] == lib.url
    assert v["TOOLS_VERSION"] == shas["tools-1"]
    assert v["LIB_DIR"].endswith("/sources/lib")
    versions = {s["sourceIdentifier"]: s["sourceVersion"] for s in build["secondarySourceVersions"]}
    assert versions == {"lib": shas["lib-release"], "tools_2": shas["tools-1"]}
    assert [s["sourceIdentifier"] for s in build["secondarySources"]] == ["lib", "tools_2"]

    # StartBuild's secondarySourcesVersionOverride wins over the project's versions.
    build = run_build(cb, projectName=project["name"],
                      secondarySourcesVersionOverride=[{"sourceIdentifier": "lib", "sourceVersion": shas["lib-1"]}])
    assert build["buildStatus"] == "SUCCEEDED", build["phases"]
    assert exported(build)["LIB"] == "lib-1"

    # secondarySourcesOverride replaces the list: only `tools_2` now, so $CODEBUILD_SRC_DIR_lib is unset.
    build = run_build(cb, projectName=project["name"], secondarySourcesOverride=[secondary(tools, "tools_2")],
                      secondarySourcesVersionOverride=[])
    assert build["buildStatus"] == "FAILED"
    assert "CODEBUILD_SRC_DIR_lib" in phase(build, "BUILD")["contexts"][0]["message"]
    assert [s["sourceIdentifier"] for s in build["secondarySources"]] == ["tools_2"]


def test_a_missing_secondary_source_fails_download_source_naming_it(cb, repos, logs):
    main, _, _, _ = repos
    project = create_project(cb, uniq("secondary-missing"), source={"type": "CODECOMMIT", "location": main.url},
                             secondarySources=[{"type": "CODECOMMIT", "location": "file:///nonexistent/repo",
                                                "sourceIdentifier": "gone"}])
    build = run_build(cb, projectName=project["name"])
    assert build["buildStatus"] == "FAILED"
    download = phase(build, "DOWNLOAD_SOURCE")
    assert download["phaseStatus"] == "FAILED"
    assert download["contexts"][0]["statusCode"] == "CLIENT_ERROR"
    assert "secondary source gone" in download["contexts"][0]["message"]


BAD_SECONDARIES = {
    "no identifier": ({"secondarySources": [{"type": "GITHUB", "location": "https://github.com/a/b"}]},
                      "secondarySources[0].sourceIdentifier must be set"),
    "bad identifier": ({"secondarySources": [{"type": "GITHUB", "location": "https://github.com/a/b",
                                              "sourceIdentifier": "has-dash"}]}, "letters, digits or underscores"),
    "duplicate identifier": ({"secondarySources": [
        {"type": "GITHUB", "location": "https://github.com/a/b", "sourceIdentifier": "x"},
        {"type": "GITHUB", "location": "https://github.com/a/c", "sourceIdentifier": "x"}]}, "more than one source"),
    "version for unknown source": ({"secondarySourceVersions": [{"sourceIdentifier": "nope", "sourceVersion": "main"}]},
                                   "does not name a secondary source"),
    "artifact without identifier": ({"secondaryArtifacts": [{"type": "S3", "location": "b"}]},
                                    "secondaryArtifacts[0].artifactIdentifier must be set"),
    "thirteen artifacts": ({"secondaryArtifacts": [{"type": "NO_ARTIFACTS", "artifactIdentifier": f"a{i}"}
                                                   for i in range(13)]}, "less than or equal to 12"),
}


@pytest.mark.parametrize("case", BAD_SECONDARIES, ids=list(BAD_SECONDARIES))
def test_bad_secondary_settings_are_refused(cb, case):
    extra, words = BAD_SECONDARIES[case]
    with pytest.raises(ClientError) as e:
        create_project(cb, uniq("bad-secondary"), source=no_source("version: 0.2\nphases:\n  build:\n    commands: [true]\n"),
                       **extra)
    assert e.value.response["Error"]["Code"] == "InvalidInputException"
    assert words in e.value.response["Error"]["Message"]


ARTIFACT_SPEC = """\
version: 0.2
phases:
  build:
    commands:
      - mkdir -p web docs && echo page > web/index.html && echo guide > docs/guide.md
      - ln -s index.html web/home.html
artifacts:
  files: ['**/*']
  name: main-$CODEBUILD_BUILD_NUMBER.zip
  s3-prefix: releases
  secondary-artifacts:
    site:
      base-directory: web
      files: ['**/*']
      enable-symlinks: yes
      name: site-$(echo built).zip
    manual:
      files: [docs/*]
      discard-paths: yes
"""


def test_secondary_artifacts_s3_prefix_names_and_symlinks(kiln, cb, logs):
    s3 = s3test.client(kiln.endpoint)
    bucket = uniq("secondary-art").lower()
    s3.create_bucket(Bucket=bucket)
    project = create_project(
        cb, uniq("secondary-artifacts"), source=no_source(ARTIFACT_SPEC),
        artifacts={"type": "S3", "location": bucket, "path": "ignored-with-prefix", "namespaceType": "BUILD_ID",
                   "name": "main.zip", "packaging": "ZIP", "overrideArtifactName": True},
        secondaryArtifacts=[
            {"type": "S3", "location": bucket, "artifactIdentifier": "site", "packaging": "ZIP",
             "name": "site.zip", "overrideArtifactName": True},
            {"type": "S3", "location": bucket, "artifactIdentifier": "manual", "path": "docs", "name": "manual"},
        ])
    build = run_build(cb, projectName=project["name"])
    assert build["buildStatus"] == "SUCCEEDED", (build["phases"], log_text(logs, build))
    uuid = build["id"].split(":", 1)[1]
    number = build["buildNumber"]

    # Primary: s3-prefix with namespace BUILD_ID → <prefix>/<build id>/<name>; the name was shell-expanded.
    main_key = f"releases/{uuid}/main-{number}.zip"
    assert build["artifacts"]["location"] == f"arn:aws:s3:::{bucket}/{main_key}"
    body = s3.get_object(Bucket=bucket, Key=main_key)["Body"].read()
    assert "web/index.html" in zipfile.ZipFile(io.BytesIO(body)).namelist()

    by_id = {a["artifactIdentifier"]: a for a in build["secondaryArtifacts"]}
    assert set(by_id) == {"site", "manual"}
    assert by_id["site"]["location"] == f"arn:aws:s3:::{bucket}/site-built.zip"
    site = zipfile.ZipFile(io.BytesIO(s3.get_object(Bucket=bucket, Key="site-built.zip")["Body"].read()))
    link = site.getinfo("home.html")
    # enable-symlinks: the link is stored as a link (unix mode S_IFLNK), its content the target.
    assert (link.external_attr >> 16) & 0o170000 == 0o120000
    assert site.read("home.html") == b"index.html"
    assert site.read("index.html") == b"page\n"

    assert by_id["manual"]["location"] == f"arn:aws:s3:::{bucket}/docs/manual"
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="docs/")["Contents"])
    assert keys == ["docs/manual/guide.md"]


def test_a_secondary_artifact_missing_from_the_buildspec_fails_upload(kiln, cb):
    s3 = s3test.client(kiln.endpoint)
    bucket = uniq("secondary-missing").lower()
    s3.create_bucket(Bucket=bucket)
    spec = "version: 0.2\nphases:\n  build:\n    commands: [echo x > a.txt]\nartifacts:\n  files: [a.txt]\n"
    project = create_project(cb, uniq("secondary-art-missing"), source=no_source(spec),
                             secondaryArtifacts=[{"type": "S3", "location": bucket, "artifactIdentifier": "extra"}])
    build = run_build(cb, projectName=project["name"])
    assert build["buildStatus"] == "FAILED"
    upload = phase(build, "UPLOAD_ARTIFACTS")
    assert upload["contexts"][0]["statusCode"] == "CLIENT_ERROR"
    assert "secondary artifact extra is not defined" in upload["contexts"][0]["message"]

"""Artifacts as CodeBuild makes them, fetched back the way users fetch them: boto3's S3 client
against Kiln's own endpoint (issue #3, item 1 — primary artifacts)."""

import hashlib
import io
import zipfile

from kilntest import s3 as s3test
from kilntest.builds import create_project, no_source, phase, run_build, uniq

BUILDSPEC = """version: 0.2
phases:
  build:
    commands:
      - mkdir -p dist/bin && echo "tool $CODEBUILD_BUILD_NUMBER" > dist/bin/tool && echo notes > dist/NOTES.md
      - echo scratch > dist/scratch.tmp
artifacts:
  base-directory: dist
  files:
    - '**/*'
  exclude-paths:
    - '*.tmp'
"""


def test_zip_artifact_round_trip_through_s3(kiln, cb):
    s3 = s3test.client(kiln.endpoint)
    bucket = uniq("artifacts").lower()
    s3.create_bucket(Bucket=bucket)
    project = create_project(cb, uniq("zip-artifact"), source=no_source(BUILDSPEC),
                             artifacts={"type": "S3", "location": bucket, "path": "releases",
                                        "namespaceType": "BUILD_ID", "name": "tool.zip", "packaging": "ZIP"})
    build = run_build(cb, projectName=project["name"])
    assert build["buildStatus"] == "SUCCEEDED", build["phases"]
    uuid = build["id"].split(":", 1)[1]
    key = f"releases/{uuid}/tool.zip"
    assert build["artifacts"]["location"] == f"arn:aws:s3:::{bucket}/{key}"

    obj = s3.get_object(Bucket=bucket, Key=key)
    body = obj["Body"].read()
    assert hashlib.sha256(body).hexdigest() == build["artifacts"]["sha256sum"]
    assert hashlib.md5(body).hexdigest() == build["artifacts"]["md5sum"]
    assert obj["Metadata"]["codebuild-buildarn"] == build["arn"]
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert sorted(archive.namelist()) == ["NOTES.md", "bin/tool"]
    assert archive.read("bin/tool") == f"tool {build['buildNumber']}\n".encode()


def test_artifact_override_and_no_matching_paths(kiln, cb):
    s3 = s3test.client(kiln.endpoint)
    bucket = uniq("override").lower()
    s3.create_bucket(Bucket=bucket)
    project = create_project(cb, uniq("override-artifact"), source=no_source(BUILDSPEC))
    # artifactsOverride on StartBuild: separate files under a prefix.
    build = run_build(cb, projectName=project["name"],
                      artifactsOverride={"type": "S3", "location": bucket, "name": "unzipped"})
    assert build["buildStatus"] == "SUCCEEDED", build["phases"]
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == ["unzipped/NOTES.md", "unzipped/bin/tool"]
    assert "sha256sum" not in build["artifacts"]

    nothing = "version: 0.2\nphases:\n  build:\n    commands: [true]\nartifacts:\n  files: [nothing/**/*]\n"
    project = create_project(cb, uniq("no-match"), source=no_source(nothing),
                             artifacts={"type": "S3", "location": bucket})
    build = run_build(cb, projectName=project["name"])
    assert build["buildStatus"] == "FAILED"
    upload = phase(build, "UPLOAD_ARTIFACTS")
    assert upload["phaseStatus"] == "FAILED"
    assert upload["contexts"] == [{"statusCode": "CLIENT_ERROR", "message": "no matching artifact paths found"}]

"""S3 sources (issue #3, item 3): a ZIP in Kiln's S3, built at an exact object version."""

import io
import zipfile

from kilntest import s3 as s3test
from kilntest.builds import create_project, exported, phase, run_build, uniq

BUILDSPEC = """version: 0.2
env:
  exported-variables: [MESSAGE, REPO, VERSION]
phases:
  build:
    commands:
      - MESSAGE=$(cat message.txt)
      - REPO=$CODEBUILD_SOURCE_REPO_URL
      - VERSION=$CODEBUILD_SOURCE_VERSION
"""


def source_zip(message: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("buildspec.yml", BUILDSPEC)
        z.writestr("message.txt", message)
    return buf.getvalue()


def test_s3_source_builds_the_requested_object_version(kiln, cb):
    s3 = s3test.client(kiln.endpoint)
    bucket = uniq("sources").lower()
    s3.create_bucket(Bucket=bucket)
    first = s3.put_object(Bucket=bucket, Key="app/src.zip", Body=source_zip("one"))["VersionId"]
    s3.put_object(Bucket=bucket, Key="app/src.zip", Body=source_zip("two"))
    project = create_project(cb, uniq("s3-source"), source={"type": "S3", "location": f"{bucket}/app/src.zip"})

    latest = run_build(cb, projectName=project["name"])
    assert latest["buildStatus"] == "SUCCEEDED", latest["phases"]
    assert exported(latest)["MESSAGE"] == "two"
    assert exported(latest)["REPO"] == f"s3://{bucket}/app/src.zip"
    assert "resolvedSourceVersion" not in latest  # not applicable to S3, as in CodeBuild

    pinned = run_build(cb, projectName=project["name"], sourceVersion=first)
    assert pinned["buildStatus"] == "SUCCEEDED", pinned["phases"]
    assert exported(pinned) == {"MESSAGE": "one", "REPO": f"s3://{bucket}/app/src.zip", "VERSION": first}


def test_missing_s3_source_fails_download_source(kiln, cb):
    s3 = s3test.client(kiln.endpoint)
    bucket = uniq("nosrc").lower()
    s3.create_bucket(Bucket=bucket)
    project = create_project(cb, uniq("s3-missing"), source={"type": "S3", "location": f"{bucket}/absent.zip"})
    build = run_build(cb, projectName=project["name"])
    assert build["buildStatus"] == "FAILED"
    download = phase(build, "DOWNLOAD_SOURCE")
    assert download["phaseStatus"] == "FAILED"
    assert download["contexts"][0]["statusCode"] == "CLIENT_ERROR"
    assert f"s3://{bucket}/absent.zip" in download["contexts"][0]["message"]

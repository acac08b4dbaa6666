"""An S3-compatible object store (issue #3, item 2): a Kiln server started with
--object-store-endpoint keeps artifacts, caches and S3 sources there, and its own S3 API serves
that store. The external store here is a second Kiln server's S3 endpoint, reached over HTTP
with SigV4 like any S3 service."""

import io
import zipfile

from kilntest import s3 as s3test
from kilntest.builds import create_project, exported, log_text, no_source, run_build, uniq

SPEC = """\
version: 0.2
env:
  exported-variables: [FROM_SOURCE, SEEN_STORE_KEY]
phases:
  build:
    commands:
      - FROM_SOURCE=$(cat hello.txt)
      - SEEN_STORE_KEY="${KILN_OBJECT_STORE_SECRET_ACCESS_KEY:-unset}"
      - mkdir -p out && echo "built from $FROM_SOURCE" > out/result.txt
artifacts:
  base-directory: out
  files: ['**/*']
"""


def zipped(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


def test_builds_use_the_configured_s3_endpoint(start_server):
    store = start_server("store")
    builder = start_server("builder", args=["--object-store-endpoint", store.endpoint],
                           env={"KILN_OBJECT_STORE_ACCESS_KEY_ID": "AKIDSTORE",
                                "KILN_OBJECT_STORE_SECRET_ACCESS_KEY": "store-secret-key"})
    direct = s3test.client(store.endpoint)
    bucket = uniq("external").lower()
    direct.create_bucket(Bucket=bucket)
    direct.put_object(Bucket=bucket, Key="src/app.zip", Body=zipped({"hello.txt": "hi from s3",
                                                                     "buildspec.yml": SPEC}))

    cb = builder.codebuild()
    project = create_project(cb, uniq("external-store"), source={"type": "S3", "location": f"{bucket}/src/app.zip"},
                             artifacts={"type": "S3", "location": bucket, "name": "out.zip", "packaging": "ZIP"})
    build = run_build(cb, projectName=project["name"])
    assert build["buildStatus"] == "SUCCEEDED", log_text(builder.logs(), build)
    # The store's keys stay with the agent: the build's commands never see them.
    assert exported(build) == {"FROM_SOURCE": "hi from s3", "SEEN_STORE_KEY": "unset"}

    # The artifact landed in the external store...
    body = direct.get_object(Bucket=bucket, Key="out.zip")["Body"].read()
    assert zipfile.ZipFile(io.BytesIO(body)).read("result.txt") == b"built from hi from s3\n"
    # ...and the builder's own S3 API serves that same store.
    via_builder = s3test.client(builder.endpoint)
    assert via_builder.get_object(Bucket=bucket, Key="out.zip")["Body"].read() == body


def test_an_unreachable_object_store_fails_the_build_naming_it(start_server):
    builder = start_server("lonely", args=["--object-store-endpoint", "http://127.0.0.1:9"],
                           env={"KILN_OBJECT_STORE_ACCESS_KEY_ID": "AKID", "KILN_OBJECT_STORE_SECRET_ACCESS_KEY": "k"})
    cb = builder.codebuild()
    spec = "version: 0.2\nphases:\n  build:\n    commands: [echo x > a.txt]\nartifacts:\n  files: [a.txt]\n"
    project = create_project(cb, uniq("unreachable-store"), source=no_source(spec),
                             artifacts={"type": "S3", "location": "nowhere"})
    build = run_build(cb, projectName=project["name"])
    assert build["buildStatus"] == "FAILED"
    upload = [p for p in build["phases"] if p["phaseType"] == "UPLOAD_ARTIFACTS"][0]
    assert upload["contexts"][0]["statusCode"] == "CLIENT_ERROR"
    assert "127.0.0.1:9" in upload["contexts"][0]["message"]

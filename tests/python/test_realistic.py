"""A realistic buildspec, run unchanged (issue #3, "How it is checked"): a small Python project
in a git repository that installs its (cached) dependencies, tests itself with JUnit output,
reads a SecureString parameter and a JSON key of a secret, and uploads a ZIP artifact. The
artifact is fetched back with boto3's S3 client and checked against the build's checksums, the
report's test cases are read with DescribeTestCases, and the log proves the secrets masked.
A second build of the project finds the dependencies in the S3 cache."""

import hashlib
import io
import json
import zipfile

from kilntest import clients
from kilntest import s3 as s3test
from kilntest.builds import create_project, exported, log_text, run_build, uniq
from kilntest.gitrepo import Repo

CALC = '''\
def add(a, b):
    return a + b


def divide(a, b):
    if b == 0:
        raise ZeroDivisionError("divide by zero")
    return a / b
'''

TESTS = '''\
import unittest

import calc


class CalcTest(unittest.TestCase):
    def test_add(self):
        self.assertEqual(calc.add(2, 3), 5)

    def test_divide(self):
        self.assertEqual(calc.divide(9, 3), 3)

    @unittest.skip("no complex numbers yet")
    def test_complex(self):
        pass
'''

# The JUnit XML writer a project without third-party test runners carries.
RUN_TESTS = '''\
import sys
import time
import unittest
from xml.sax.saxutils import quoteattr


class Recorder(unittest.TextTestResult):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cases = []

    def startTest(self, test):
        self.started = time.monotonic()
        super().startTest(test)

    def record(self, test, outcome, text=""):
        self.cases.append((test, outcome, text, time.monotonic() - self.started))

    def addSuccess(self, test):
        super().addSuccess(test)
        self.record(test, None)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.record(test, "failure", self.failures[-1][1])

    def addError(self, test, err):
        super().addError(test, err)
        self.record(test, "error", self.errors[-1][1])

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.record(test, "skipped", reason)


suite = unittest.defaultTestLoader.discover("tests")
result = unittest.TextTestRunner(resultclass=Recorder, verbosity=2).run(suite)
with open(sys.argv[1], "w") as out:
    out.write('<testsuite name="calc" tests="%d">\\n' % len(result.cases))
    for test, outcome, text, seconds in result.cases:
        cls, name = test.id().rsplit(".", 1)
        out.write('  <testcase classname=%s name=%s time="%.6f">' % (quoteattr(cls), quoteattr(name), seconds))
        if outcome:
            out.write('<%s message=%s/>' % (outcome, quoteattr(text.strip().splitlines()[-1])))
        out.write("</testcase>\\n")
    out.write("</testsuite>\\n")
sys.exit(0 if result.wasSuccessful() else 1)
'''

BUILDSPEC = """\
version: 0.2
env:
  variables:
    PYTHONDONTWRITEBYTECODE: "1"
  parameter-store:
    DB_PASSWORD: {parameter}
  secrets-manager:
    API_TOKEN: {secret}:token
  exported-variables: [DEPS]
phases:
  install:
    commands:
      - |
        if [ -f .deps/lock.json ]; then
          DEPS=cached
        else
          mkdir -p .deps
          python3 -c 'import json, sys; json.dump({{"python": sys.version.split()[0]}}, open(".deps/lock.json", "w"))'
          DEPS=installed
        fi
      - echo "dependencies $DEPS"
  pre_build:
    commands:
      - echo "connecting as app with $DB_PASSWORD, token $API_TOKEN"
  build:
    commands:
      - mkdir -p reports dist
      - python3 run_tests.py reports/junit.xml
      - cp -r calc dist/ && git rev-parse HEAD > dist/COMMIT
reports:
  unit-tests:
    files: [junit.xml]
    base-directory: reports
artifacts:
  base-directory: dist
  files: ['**/*']
  name: calc-$CODEBUILD_BUILD_NUMBER.zip
cache:
  paths:
    - .deps/**/*
"""

PUBLIC_URL = "https://git-codecommit.us-east-1.amazonaws.com/v1/repos/calc"


def test_a_realistic_python_project(kiln, cb, logs, tmp_path):
    name = uniq("calc")
    ssm = clients.json_client(kiln.endpoint, "ssm")
    sm = clients.json_client(kiln.endpoint, "secretsmanager")
    s3 = s3test.client(kiln.endpoint)
    parameter, secret = f"/{name}/db-password", f"{name}/api"
    password, token = "pa55-w0rd-for-the-db", "tok-9f8e7d6c5b4a"
    ssm.put_parameter(Name=parameter, Value=password, Type="SecureString")
    sm.create_secret(Name=secret, SecretString=json.dumps({"token": token, "user": "calc"}))
    bucket = name.lower()
    s3.create_bucket(Bucket=bucket)

    repo = Repo(tmp_path / "calc")
    sha = repo.commit({"buildspec.yml": BUILDSPEC.format(parameter=parameter, secret=secret),
                       "calc/__init__.py": CALC, "tests/__init__.py": "", "tests/test_calc.py": TESTS,
                       "run_tests.py": RUN_TESTS})
    kiln.map_url(f"{PUBLIC_URL}-{name}", repo.url)
    project = create_project(
        cb, name, source={"type": "CODECOMMIT", "location": f"{PUBLIC_URL}-{name}"},
        artifacts={"type": "S3", "location": bucket, "path": "releases", "namespaceType": "BUILD_ID",
                   "name": "calc.zip", "packaging": "ZIP", "overrideArtifactName": True},
        cache={"type": "S3", "location": f"{bucket}/cache"})

    build = run_build(cb, projectName=name, sourceVersion="main")
    text = log_text(logs, build)
    assert build["buildStatus"] == "SUCCEEDED", text
    assert build["resolvedSourceVersion"] == sha
    assert exported(build)["DEPS"] == "installed"

    # The secrets reached the commands and the log shows *** for them.
    assert "connecting as app with ***, token ***" in text
    assert password not in text and token not in text

    # The artifact, fetched with boto3 from Kiln's S3, is the ZIP the build describes.
    uuid = build["id"].split(":", 1)[1]
    key = f"releases/{uuid}/calc-{build['buildNumber']}.zip"
    assert build["artifacts"]["location"] == f"arn:aws:s3:::{bucket}/{key}"
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert hashlib.sha256(body).hexdigest() == build["artifacts"]["sha256sum"]
    assert hashlib.md5(body).hexdigest() == build["artifacts"]["md5sum"]
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert sorted(archive.namelist()) == ["COMMIT", "calc/__init__.py"]
    assert archive.read("COMMIT").decode().strip() == sha

    # The JUnit report: two passed, one skipped.
    [report_arn] = build["reportArns"]
    report = cb.batch_get_reports(reportArns=[report_arn])["reports"][0]
    assert report["reportGroupArn"].endswith(f":report-group/{name}-unit-tests")
    assert report["status"] == "SUCCEEDED"
    assert report["testSummary"]["total"] == 3
    assert report["testSummary"]["statusCounts"]["SUCCEEDED"] == 2
    assert report["testSummary"]["statusCounts"]["SKIPPED"] == 1
    cases = {c["name"]: c for c in cb.describe_test_cases(reportArn=report_arn)["testCases"]}
    assert set(cases) == {"test_add", "test_divide", "test_complex"}
    assert cases["test_complex"]["status"] == "SKIPPED"
    assert cases["test_add"]["prefix"] == "test_calc.CalcTest"

    # The next build finds its dependencies in the S3 cache.
    again = run_build(cb, projectName=name, sourceVersion="main")
    assert again["buildStatus"] == "SUCCEEDED", log_text(logs, again)
    assert exported(again)["DEPS"] == "cached"

"""Buildspec `reports` (issue #3, item 8): a build's JUnit, Cucumber and TestNG files become
report groups `<project>-<name>` and reports on the build, answered by BatchGetReports and
DescribeTestCases; a malformed file makes its report INCOMPLETE, never fails the build."""

import json

from kilntest.builds import create_project, log_text, no_source, run_build, uniq

JUNIT = """<?xml version="1.0" encoding="UTF-8"?>
<testsuites>
  <testsuite name="calc" tests="3">
    <testcase classname="calc.AddTest" name="adds" time="0.25"/>
    <testcase classname="calc.AddTest" name="overflows" time="0.5">
      <failure message="expected 0 got 1">assertion at add.py:12</failure>
    </testcase>
    <testcase classname="calc.DivTest" name="by zero" time="0"><skipped/></testcase>
  </testsuite>
</testsuites>
"""

CUCUMBER = json.dumps([{
    "name": "Checkout", "elements": [
        {"name": "pays by card", "type": "scenario",
         "steps": [{"result": {"status": "passed", "duration": 1000}}, {"result": {"status": "passed", "duration": 2000}}]},
        {"name": "pays by voucher", "type": "scenario",
         "steps": [{"result": {"status": "failed", "duration": 5, "error_message": "voucher expired"}}]},
    ]}])

TESTNG = """<?xml version="1.0" encoding="UTF-8"?>
<testng-results>
  <suite name="suite">
    <test name="unit">
      <class name="shop.CartTest">
        <test-method status="PASS" name="setUp" is-config="true" duration-ms="1"/>
        <test-method status="PASS" name="addsItem" duration-ms="12"/>
      </class>
    </test>
  </suite>
</testng-results>
"""


REPORTS = """
reports:
  unit:
    files: ['**/*.xml']
    base-directory: out/junit
  features:
    files: [out/cucumber/cucumber.json]
    file-format: CucumberJson
  ng:
    files: ['*.xml']
    base-directory: out/testng
    file-format: TESTNGXML
  broken:
    files: [out/bad/broken.xml]
  nothing:
    files: [no/such/*.xml]
"""


def buildspec() -> str:
    """Writes each fixture with a quoted here-document (so its quotes stay intact), then reports."""
    files = [("out/junit/results.xml", JUNIT), ("out/cucumber/cucumber.json", CUCUMBER),
             ("out/testng/testng-results.xml", TESTNG), ("out/bad/broken.xml", "<testsuite><testcase")]
    commands = ["mkdir -p out/junit out/cucumber out/testng out/bad"]
    commands += [f"cat > {path} <<'EOF'\n{text}\nEOF" for path, text in files]
    body = "\n".join("      - |\n" + "\n".join("        " + line for line in c.splitlines()) for c in commands)
    return "version: 0.2\nphases:\n  build:\n    commands:\n" + body + REPORTS


def test_build_reports_are_parsed_stored_and_answered(cb, logs):
    project = create_project(cb, uniq("reports"), source=no_source(buildspec()))
    name = project["name"]
    build = run_build(cb, projectName=name)
    text = log_text(logs, build)
    assert build["buildStatus"] == "SUCCEEDED", text
    assert "Skipping report nothing: no report files found" in text

    arns = build["reportArns"]
    uuid = build["id"].split(":", 1)[1]
    groups = {f"{name}-{g}" for g in ("unit", "features", "ng", "broken")}
    assert {a.split("/", 1)[1].rsplit(":", 1)[0] for a in arns} == groups
    assert all(a.endswith(f":{uuid}") for a in arns)

    reports = {r["reportGroupArn"].rsplit("/", 1)[1].removeprefix(name + "-"): r
               for r in cb.batch_get_reports(reportArns=arns)["reports"]}
    unit = reports["unit"]
    assert unit["status"] == "FAILED"  # one test failed
    assert unit["executionId"] == build["arn"]
    assert unit["testSummary"]["total"] == 3
    assert unit["testSummary"]["statusCounts"] == {"SUCCEEDED": 1, "FAILED": 1, "SKIPPED": 1, "ERROR": 0, "UNKNOWN": 0}
    assert unit["testSummary"]["durationInNanoSeconds"] == 750_000_000
    assert reports["features"]["status"] == "FAILED"
    assert reports["ng"]["status"] == "SUCCEEDED"
    assert reports["ng"]["testSummary"]["total"] == 1
    assert reports["broken"]["status"] == "INCOMPLETE"

    cases = cb.describe_test_cases(reportArn=unit["arn"])["testCases"]
    by_name = {c["name"]: c for c in cases}
    assert set(by_name) == {"adds", "overflows", "by zero"}
    assert by_name["overflows"]["status"] == "FAILED"
    assert by_name["overflows"]["prefix"] == "calc.AddTest"
    assert "expected 0 got 1" in by_name["overflows"]["message"]
    assert by_name["adds"]["durationInNanoSeconds"] == 250_000_000
    failed = cb.describe_test_cases(reportArn=unit["arn"], filter={"status": "FAILED"})["testCases"]
    assert [c["name"] for c in failed] == ["overflows"]
    voucher = [c for c in cb.describe_test_cases(reportArn=reports["features"]["arn"])["testCases"]
               if c["status"] == "FAILED"]
    assert [c["name"] for c in voucher] == ["pays by voucher"]

    listed = set(cb.list_report_groups()["reportGroups"])
    assert {r["reportGroupArn"] for r in reports.values()} <= listed

    # A second build of the project reuses the groups and adds reports to them.
    again = run_build(cb, projectName=name)
    in_group = cb.list_reports_for_report_group(reportGroupArn=unit["reportGroupArn"])["reports"]
    assert set(in_group) >= {unit["arn"]} and len(in_group) == 2
    assert len(again["reportArns"]) == 4

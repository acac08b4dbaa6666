"""on-failure RETRY forms (issue #3, item 7): a failed phase runs again, up to the count, when its
output matches the pattern; when the retries are spent the build ends as with ABORT."""

from kilntest.builds import create_project, exported, log_text, no_source, phase, phase_types, run_build, uniq

FLAKY = "N=$(cat attempts 2>/dev/null || echo 0); N=$((N+1)); echo $N > attempts; echo \"attempt $N: network glitch\"; test $N -ge 3"


def spec(on_failure: str, command: str = FLAKY) -> str:
    return f"""version: 0.2
env:
  exported-variables: [ATTEMPTS]
phases:
  build:
    on-failure: {on_failure}
    commands:
      - '{command}'
    finally:
      - ATTEMPTS=$(cat attempts)
  post_build:
    commands:
      - echo post
"""


def test_retry_until_the_phase_succeeds(cb, logs):
    project = create_project(cb, uniq("retry-ok"), source=no_source(spec("RETRY-2")))
    build = run_build(cb, projectName=project["name"])
    assert build["buildStatus"] == "SUCCEEDED", build["phases"]
    assert exported(build)["ATTEMPTS"] == "3"
    assert phase(build, "BUILD")["phaseStatus"] == "SUCCEEDED"
    text = log_text(logs, build)
    assert "Phase BUILD failed; retrying it (1 of 2)" in text and "(2 of 2)" in text


def test_spent_retries_end_the_build(cb):
    project = create_project(cb, uniq("retry-spent"), source=no_source(spec("RETRY-1")))
    build = run_build(cb, projectName=project["name"])
    assert build["buildStatus"] == "FAILED"
    assert exported(build)["ATTEMPTS"] == "2"
    assert "POST_BUILD" not in phase_types(build)


def test_pattern_decides_whether_to_retry(cb):
    matching = create_project(cb, uniq("retry-match"), source=no_source(spec("RETRY-5-network glitch")))
    build = run_build(cb, projectName=matching["name"])
    assert build["buildStatus"] == "SUCCEEDED", build["phases"]
    assert exported(build)["ATTEMPTS"] == "3"

    other = create_project(cb, uniq("retry-other"), source=no_source(spec("RETRY-5-timeout")))
    build = run_build(cb, projectName=other["name"])
    assert build["buildStatus"] == "FAILED"
    assert exported(build)["ATTEMPTS"] == "1"

"""buildspec `run-as` (global and per phase), issue #3 item 7: commands run as the named Linux
user of the build environment; an unknown user fails the phase naming it."""

from kilntest.builds import create_project, exported, log_text, no_source, phase, run_build, uniq

SPEC = """\
version: 0.2
run-as: nobody
env:
  exported-variables: [INSTALL_USER, BUILD_USER, BUILD_UID, READ_BACK, POST_USER]
phases:
  install:
    run-as: root
    commands:
      - INSTALL_USER=$(id -un)
  build:
    commands:
      - BUILD_USER=$(id -un)
      - BUILD_UID=$(id -u)
      - echo "written by $(whoami)" > note.txt
  post_build:
    run-as: root
    commands:
      - READ_BACK=$(cat note.txt)
      - POST_USER=$(id -un)
"""


def test_run_as_switches_the_user_per_phase(cb, logs):
    project = create_project(cb, uniq("run-as"), source=no_source(SPEC))
    build = run_build(cb, projectName=project["name"])
    assert build["buildStatus"] == "SUCCEEDED", log_text(logs, build)
    v = exported(build)
    assert v["INSTALL_USER"] == "root"
    assert (v["BUILD_USER"], v["BUILD_UID"]) == ("nobody", "65534")
    # A later phase, as another user, reads what the run-as user wrote.
    assert v["READ_BACK"] == "written by nobody"
    assert v["POST_USER"] == "root"


def test_an_unknown_run_as_user_fails_the_phase_naming_it(cb, logs):
    spec = "version: 0.2\nrun-as: no-such-user\nphases:\n  build:\n    commands: [echo never]\n"
    project = create_project(cb, uniq("run-as-unknown"), source=no_source(spec))
    build = run_build(cb, projectName=project["name"])
    assert build["buildStatus"] == "FAILED"
    context = phase(build, "BUILD")["contexts"][0]
    assert context["statusCode"] == "COMMAND_EXECUTION_ERROR"
    assert "run-as user no-such-user does not exist" in context["message"]
    assert "never" not in log_text(logs, build).replace("echo never", "")


def test_a_malformed_run_as_is_a_yaml_error(cb):
    spec = "version: 0.2\nrun-as: [a, b]\nphases:\n  build:\n    commands: [true]\n"
    project = create_project(cb, uniq("run-as-bad"), source=no_source(spec))
    build = run_build(cb, projectName=project["name"])
    download = phase(build, "DOWNLOAD_SOURCE")
    assert download["phaseStatus"] == "FAILED"
    assert download["contexts"][0]["statusCode"] == "YAML_FILE_ERROR"
    assert "run-as" in download["contexts"][0]["message"]

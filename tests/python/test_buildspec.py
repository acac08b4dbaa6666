"""Buildspec 0.2 as CodeBuild runs it: shell state carried between commands and phases, failure
transitions, finally blocks, on-failure, exported variables, the CODEBUILD_* variables, and a
malformed buildspec failing DOWNLOAD_SOURCE."""

import pytest

from kilntest.builds import (buildspec, create_project, exported, log_text, millis, no_source, phase,
                             phase_types, run_build, uniq)
from kilntest.clients import ACCOUNT, REGION
from kilntest.gitrepo import Repo

HEAD = ["SUBMITTED", "QUEUED", "PROVISIONING", "DOWNLOAD_SOURCE"]
COMMAND_PHASES = ["INSTALL", "PRE_BUILD", "BUILD", "POST_BUILD"]
TAIL = ["UPLOAD_ARTIFACTS", "FINALIZING", "COMPLETED"]


def run_spec(cb, spec: str, **start) -> dict:
    project = create_project(cb, uniq("spec"), source=no_source(spec))
    return run_build(cb, projectName=project["name"], **start)


def failed_context(build, phase_type):
    p = phase(build, phase_type)
    assert p["phaseStatus"] == "FAILED", p
    [ctx] = p["contexts"]
    return ctx


def test_cd_and_variables_carry_over_commands_and_phases(any_cb):
    spec = buildspec(
        install=["mkdir -p deep/er", "cd deep", "PLAIN=not-exported", "export EXPORTED=exported"],
        pre_build=["cd er", "COUNT=1"],
        build=["COUNT=$((COUNT + 1))", "WHERE=$(pwd)", "SEEN=\"$PLAIN/$EXPORTED\""],
        post_build=["COUNT=$((COUNT + 1))", "CHILD=$(sh -c 'echo ${EXPORTED:-unset}/${PLAIN:-unset}')"],
        exported=["PLAIN", "EXPORTED", "COUNT", "WHERE", "SEEN", "CHILD"],
    )
    done = run_spec(any_cb, spec)
    assert done["buildStatus"] == "SUCCEEDED", done["phases"]
    vars_ = exported(done)
    assert vars_["WHERE"].endswith("/deep/er"), vars_
    assert vars_["PLAIN"] == "not-exported"
    assert vars_["EXPORTED"] == "exported"
    assert vars_["COUNT"] == "3"
    assert vars_["SEEN"] == "not-exported/exported"
    # Only exported variables reach child processes, as in one shell.
    assert vars_["CHILD"] == "exported/unset"


def test_post_build_runs_after_a_failed_build(any_cb, logs):
    spec = buildspec(
        build=["BEFORE=$CODEBUILD_BUILD_SUCCEEDING", "echo about to fail", "false", "echo never-printed-7f3a"],
        post_build=["AFTER=$CODEBUILD_BUILD_SUCCEEDING", "echo post_build ran"],
        exported=["BEFORE", "AFTER"],
    )
    done = run_spec(any_cb, spec)
    assert done["buildStatus"] == "FAILED"
    assert phase_types(done) == HEAD + COMMAND_PHASES + TAIL
    ctx = failed_context(done, "BUILD")
    assert ctx["statusCode"] == "COMMAND_EXECUTION_ERROR"
    assert ctx["message"] == "Error while executing command: false. Reason: exit status 1"
    assert phase(done, "POST_BUILD")["phaseStatus"] == "SUCCEEDED"
    assert phase(done, "UPLOAD_ARTIFACTS")["phaseStatus"] == "SUCCEEDED"
    assert exported(done) == {"BEFORE": "1", "AFTER": "0"}
    text = log_text(logs, done)
    assert "post_build ran" in text
    assert "never-printed-7f3a" not in text.replace("echo never-printed-7f3a", "")
    assert "Command did not exit successfully false exit status 1" in text


@pytest.mark.parametrize("failing", ["INSTALL", "PRE_BUILD"])
def test_install_or_pre_build_failure_skips_to_finalizing(cb, failing):
    commands = {p: [f"echo in {p}"] for p in ("install", "pre_build", "build", "post_build")}
    commands[failing.lower()] = ["sh -c 'exit 3'"]
    spec = buildspec(**commands)
    done = run_spec(cb, spec)
    assert done["buildStatus"] == "FAILED"
    ran = COMMAND_PHASES[: COMMAND_PHASES.index(failing) + 1]
    assert phase_types(done) == HEAD + ran + ["FINALIZING", "COMPLETED"]
    ctx = failed_context(done, failing)
    assert ctx == {"statusCode": "COMMAND_EXECUTION_ERROR",
                   "message": "Error while executing command: sh -c 'exit 3'. Reason: exit status 3"}
    assert phase(done, "FINALIZING")["phaseStatus"] == "SUCCEEDED"


def test_finally_runs_after_a_failing_command(cb, logs):
    spec = buildspec(
        build=["echo first", "false", "echo skipped-9c1d"],
        phase_options={"build": {"finally": ["FIN=ran", "echo finally ran"]}},
        exported=["FIN"],
    )
    done = run_spec(cb, spec)
    assert done["buildStatus"] == "FAILED"
    assert phase(done, "BUILD")["phaseStatus"] == "FAILED"
    assert exported(done) == {"FIN": "ran"}
    text = log_text(logs, done)
    assert "finally ran" in text
    assert "\nskipped-9c1d" not in text


def test_a_failing_finally_fails_the_phase(cb):
    spec = buildspec(build=["true"], phase_options={"build": {"finally": ["sh -c 'exit 4'"]}})
    done = run_spec(cb, spec)
    assert done["buildStatus"] == "FAILED"
    assert failed_context(done, "BUILD")["message"].endswith("exit status 4")


def test_on_failure_continue(cb):
    spec = buildspec(
        pre_build=["false"],
        build=["B=ran-$CODEBUILD_BUILD_SUCCEEDING"],
        phase_options={"pre_build": {"on-failure": "CONTINUE"}},
        exported=["B"],
    )
    done = run_spec(cb, spec)
    assert done["buildStatus"] == "FAILED"
    assert phase_types(done) == HEAD + COMMAND_PHASES + TAIL
    assert phase(done, "PRE_BUILD")["phaseStatus"] == "FAILED"
    assert phase(done, "BUILD")["phaseStatus"] == "SUCCEEDED"
    assert exported(done) == {"B": "ran-0"}


def test_on_failure_abort_in_build_skips_post_build(cb):
    spec = buildspec(build=["false"], post_build=["echo post"], phase_options={"build": {"on-failure": "ABORT"}})
    done = run_spec(cb, spec)
    assert done["buildStatus"] == "FAILED"
    assert "POST_BUILD" not in phase_types(done)
    assert phase_types(done)[-2:] == ["FINALIZING", "COMPLETED"]


def test_exported_variables_take_their_final_values(cb):
    spec = buildspec(
        variables={"FROM_ENV": "declared"},
        install=["STEP=install"],
        build=["STEP=build"],
        post_build=["STEP=post_build"],
        exported=["STEP", "FROM_ENV"],
    )
    done = run_spec(cb, spec)
    assert done["buildStatus"] == "SUCCEEDED"
    assert done["exportedEnvironmentVariables"] == [
        {"name": "STEP", "value": "post_build"}, {"name": "FROM_ENV", "value": "declared"}]


CODEBUILD_VARS = ["CODEBUILD_BUILD_ID", "CODEBUILD_BUILD_ARN", "CODEBUILD_BUILD_NUMBER", "CODEBUILD_SRC_DIR",
                  "CODEBUILD_SOURCE_VERSION", "CODEBUILD_RESOLVED_SOURCE_VERSION", "CODEBUILD_INITIATOR",
                  "CODEBUILD_START_TIME", "CODEBUILD_PROJECT_ARN", "CODEBUILD_LOG_PATH",
                  "CODEBUILD_BUILD_SUCCEEDING", "CODEBUILD_BUILD_IMAGE", "CODEBUILD_SOURCE_REPO_URL",
                  "AWS_REGION", "AWS_DEFAULT_REGION"]


def copy_out(names):
    """Commands that copy each variable to `V_<name>`: AWS_* and CODEBUILD_* cannot be exported."""
    return [f"V_{n}=${{{n}-unset}}" for n in names]


def test_codebuild_variables(cb, tmp_path):
    repo = Repo(tmp_path / "vars")
    spec = buildspec(install=["FIRST_PWD=$(pwd)"], build=copy_out(CODEBUILD_VARS),
                     exported=["FIRST_PWD"] + [f"V_{n}" for n in CODEBUILD_VARS])
    sha = repo.commit({"buildspec.yml": spec, "version.txt": "vars"})
    project = create_project(cb, uniq("spec-vars"), source={"type": "CODECOMMIT", "location": repo.url})
    done = run_build(cb, projectName=project["name"], sourceVersion="main")
    assert done["buildStatus"] == "SUCCEEDED", done["phases"]
    v = {k.removeprefix("V_"): value for k, value in exported(done).items()}
    assert v["CODEBUILD_BUILD_ID"] == done["id"]
    assert v["CODEBUILD_BUILD_ARN"] == done["arn"]
    assert v["CODEBUILD_BUILD_NUMBER"] == str(done["buildNumber"]) == "1"
    assert v["CODEBUILD_SRC_DIR"] == v["FIRST_PWD"], "commands start in CODEBUILD_SRC_DIR"
    assert v["CODEBUILD_SOURCE_VERSION"] == "main"
    assert v["CODEBUILD_RESOLVED_SOURCE_VERSION"] == sha == done["resolvedSourceVersion"]
    assert v["CODEBUILD_INITIATOR"] == done["initiator"]
    assert v["CODEBUILD_START_TIME"] == str(millis(done["startTime"]))
    assert v["CODEBUILD_PROJECT_ARN"] == project["arn"]
    assert project["arn"] == f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/{project['name']}"
    assert v["CODEBUILD_LOG_PATH"] == done["logs"]["streamName"]
    assert v["CODEBUILD_BUILD_SUCCEEDING"] == "1"
    assert v["CODEBUILD_BUILD_IMAGE"] == done["environment"]["image"]
    assert v["CODEBUILD_SOURCE_REPO_URL"] == repo.url
    assert v["AWS_REGION"] == v["AWS_DEFAULT_REGION"] == REGION


def test_codebuild_variables_cannot_be_overridden(cb):
    spec = buildspec(variables={"CODEBUILD_BUILD_ID": "mine"},
                     build=copy_out(["CODEBUILD_BUILD_ID", "CODEBUILD_BUILD_NUMBER"]),
                     exported=["V_CODEBUILD_BUILD_ID", "V_CODEBUILD_BUILD_NUMBER"])
    done = run_spec(cb, spec, environmentVariablesOverride=[{"name": "CODEBUILD_BUILD_NUMBER", "value": "99"}])
    assert done["buildStatus"] == "SUCCEEDED", done["phases"]
    assert exported(done) == {"V_CODEBUILD_BUILD_ID": done["id"], "V_CODEBUILD_BUILD_NUMBER": "1"}


def test_reserved_names_cannot_be_exported(cb):
    done = run_spec(cb, buildspec(build=["true"], exported=["AWS_REGION"]))
    ctx = failed_context(done, "DOWNLOAD_SOURCE")
    assert ctx["statusCode"] == "YAML_FILE_ERROR"
    assert "AWS_REGION" in ctx["message"]


@pytest.mark.parametrize("text,line", [
    ("version: 0.2\nphases:\n  build:\n    commands: [make, test\n", 4),
    ("version: 0.2\nphases:\n  build:\n    commands:\n      - echo FATAL: no quotes\n", 5),
    ("version: 0.2\nenv:\n  variables:\n    A: 1\n    A: 2\nphases:\n  build:\n    commands: [true]\n", 5),
])
def test_malformed_buildspec_fails_download_source(cb, text, line):
    done = run_spec(cb, text)
    assert done["buildStatus"] == "FAILED"
    assert phase_types(done) == HEAD + ["FINALIZING", "COMPLETED"]
    ctx = failed_context(done, "DOWNLOAD_SOURCE")
    assert ctx["statusCode"] == "YAML_FILE_ERROR"
    assert f"line {line}" in ctx["message"], ctx


def test_buildspec_version_is_required(cb):
    done = run_spec(cb, "phases:\n  build:\n    commands: [\"true\"]\n")
    ctx = failed_context(done, "DOWNLOAD_SOURCE")
    assert ctx["statusCode"] == "YAML_FILE_ERROR"
    assert "version" in ctx["message"]


def test_no_source_with_inline_buildspec(cbor_cb, logs):
    done = run_spec(cbor_cb, buildspec(build=["echo hello from an inline buildspec"]))
    assert done["buildStatus"] == "SUCCEEDED"
    assert done["source"]["type"] == "NO_SOURCE"
    assert "resolvedSourceVersion" not in done
    assert phase_types(done) == HEAD + COMMAND_PHASES + TAIL
    assert "\nhello from an inline buildspec\n" in log_text(logs, done)


def test_bash_shell(cb):
    spec = buildspec(shell="bash", build=["ARR=(a b c); N=${#ARR[@]}", "B=$BASH_VERSION"], exported=["N", "B"])
    done = run_spec(cb, spec)
    assert done["buildStatus"] == "SUCCEEDED", done["phases"]
    assert exported(done)["N"] == "3"
    assert exported(done)["B"] != ""


def test_version_0_1_runs_each_command_in_a_fresh_shell(cb, logs):
    spec = buildspec(version="0.1", build=["mkdir -p sub", "cd sub", "X=1", "echo \"pwd=$(pwd) x=$X\""])
    done = run_spec(cb, spec)
    assert done["buildStatus"] == "SUCCEEDED", done["phases"]
    [line] = [ln for ln in log_text(logs, done).splitlines() if ln.startswith("pwd=")]
    assert line.endswith("/src x="), line


def test_unresolvable_secret_variables_fail_naming_them(cb):
    # Resolution itself is covered in test_secrets.py; here: what CodeBuild records when the
    # parameter or secret does not exist.
    missing = f"/{uniq('my')}/param"
    done = run_spec(cb, buildspec(build=["echo $P"]),
                    environmentVariablesOverride=[{"name": "P", "value": missing, "type": "PARAMETER_STORE"}])
    assert done["buildStatus"] == "FAILED"
    ctx = failed_context(done, "DOWNLOAD_SOURCE")
    assert ctx == {"statusCode": "Decrypted Variables Error", "message": f"parameter does not exist: {missing}"}
    secret = uniq("my-secret")
    spec = (f"version: 0.2\nenv:\n  secrets-manager:\n    S: {secret}:key\n"
            "phases:\n  build:\n    commands:\n      - echo $S\n")
    done = run_spec(cb, spec)
    assert done["buildStatus"] == "FAILED"
    ctx = failed_context(done, "DOWNLOAD_SOURCE")
    assert ctx["statusCode"] == "Secrets Manager Error"
    assert ctx["message"].startswith("ResourceNotFoundException") and secret in ctx["message"]


def test_values_pass_through_literally(any_cb):
    weird = "a b \"c\" $HOME 'd' `x` \\n back\\slash\nsecond line; echo injected"
    spec = buildspec(build=["V=$W", "M=$(printf 'l1\\nl2')", "U='ünï €'", "EMPTY="],
                     exported=["V", "M", "U", "EMPTY"])
    done = run_spec(any_cb, spec, environmentVariablesOverride=[{"name": "W", "value": weird}])
    assert done["buildStatus"] == "SUCCEEDED", done["phases"]
    assert exported(done) == {"V": weird, "M": "l1\nl2", "U": "ünï €", "EMPTY": ""}

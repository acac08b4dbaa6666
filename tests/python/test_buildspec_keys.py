"""Every buildspec key answers bad input with a YAML_FILE_ERROR that names it (issue #3: "each
buildspec key has a test for its documented behaviour and one for its bad-input error"). The
behaviour tests live beside each feature (test_buildspec, test_artifacts, test_secondary,
test_cache, test_secrets, test_retry, test_run_as, test_git_credential_helper, test_build_reports);
this file runs one build per malformed key, all at once, and checks the phase context."""

import pytest

from kilntest.builds import create_project, no_source, phase, uniq, wait_builds

OK_PHASES = "phases:\n  build:\n    commands: [true]\n"

# key -> (buildspec, words the error must contain)
BAD = {
    "version": ("version: 0.3\n" + OK_PHASES, "version"),
    "run-as": ("version: 0.2\nrun-as: [a]\n" + OK_PHASES, "run-as"),
    "env/shell": ("version: 0.2\nenv:\n  shell: fish\n" + OK_PHASES, "env/shell"),
    "env/variables": ("version: 0.2\nenv:\n  variables: [A]\n" + OK_PHASES, "env/variables"),
    "env/parameter-store": ("version: 0.2\nenv:\n  parameter-store: /x\n" + OK_PHASES, "env/parameter-store"),
    "env/secrets-manager": ("version: 0.2\nenv:\n  secrets-manager: [x]\n" + OK_PHASES, "env/secrets-manager"),
    "env/exported-variables": ("version: 0.2\nenv:\n  exported-variables: A\n" + OK_PHASES, "env/exported-variables"),
    "env/git-credential-helper": ("version: 0.2\nenv:\n  git-credential-helper: sometimes\n" + OK_PHASES,
                                  "env/git-credential-helper"),
    "proxy": ("version: 0.2\nproxy:\n  upload-artifacts: maybe\n" + OK_PHASES, "proxy/upload-artifacts"),
    "phases/<phase>/commands": ("version: 0.2\nphases:\n  build:\n    commands: echo\n", "phases/build/commands"),
    "phases/<phase>/finally": ("version: 0.2\nphases:\n  build:\n    commands: [true]\n    finally: {a: b}\n",
                               "phases/build/finally"),
    "phases/<phase>/on-failure": ("version: 0.2\nphases:\n  build:\n    on-failure: IGNORE\n    commands: [true]\n",
                                  "on-failure"),
    "phases/<phase>/run-as": ("version: 0.2\nphases:\n  build:\n    run-as: [a]\n    commands: [true]\n",
                              "phases/build/run-as"),
    "phases/install/runtime-versions": ("version: 0.2\nphases:\n  install:\n    runtime-versions: [python]\n",
                                        "runtime-versions"),
    "artifacts/files": ("version: 0.2\n" + OK_PHASES + "artifacts:\n  name: x\n", "artifacts/files"),
    "artifacts/name": ("version: 0.2\n" + OK_PHASES + "artifacts:\n  files: [a]\n  name: [x]\n", "artifacts/name"),
    "artifacts/discard-paths": ("version: 0.2\n" + OK_PHASES + "artifacts:\n  files: [a]\n  discard-paths: often\n",
                                "artifacts/discard-paths"),
    "artifacts/base-directory": ("version: 0.2\n" + OK_PHASES + "artifacts:\n  files: [a]\n  base-directory: [d]\n",
                                 "artifacts/base-directory"),
    "artifacts/exclude-paths": ("version: 0.2\n" + OK_PHASES + "artifacts:\n  files: [a]\n  exclude-paths: {a: b}\n",
                                "artifacts/exclude-paths"),
    "artifacts/enable-symlinks": ("version: 0.2\n" + OK_PHASES + "artifacts:\n  files: [a]\n  enable-symlinks: 2\n",
                                  "artifacts/enable-symlinks"),
    "artifacts/s3-prefix": ("version: 0.2\n" + OK_PHASES + "artifacts:\n  files: [a]\n  s3-prefix: [p]\n",
                            "artifacts/s3-prefix"),
    "artifacts/secondary-artifacts": ("version: 0.2\n" + OK_PHASES +
                                      "artifacts:\n  files: [a]\n  secondary-artifacts:\n    one:\n      name: x\n",
                                      "secondary-artifacts/one/files"),
    "cache/paths": ("version: 0.2\n" + OK_PHASES + "cache:\n  paths: {a: b}\n", "cache/paths"),
    "cache/key": ("version: 0.2\n" + OK_PHASES + "cache:\n  paths: [x]\n  key: [k]\n", "cache/key"),
    "cache/fallback-keys": ("version: 0.2\n" + OK_PHASES + "cache:\n  paths: [x]\n  fallback-keys: {a: b}\n",
                            "cache/fallback-keys"),
    "cache/action": ("version: 0.2\n" + OK_PHASES + "cache:\n  paths: [x]\n  action: keep\n", "cache/action"),
    "reports/<group>/files": ("version: 0.2\n" + OK_PHASES + "reports:\n  unit:\n    base-directory: out\n",
                              "reports/unit/files"),
    "reports/<group>/file-format": ("version: 0.2\n" + OK_PHASES +
                                    "reports:\n  unit:\n    files: [a]\n    file-format: XUNIT\n",
                                    "file-format `XUNIT` in reports/unit"),
    "reports/<group>/discard-paths": ("version: 0.2\n" + OK_PHASES +
                                      "reports:\n  unit:\n    files: [a]\n    discard-paths: [x]\n",
                                      "reports/unit/discard-paths"),
}


@pytest.fixture(scope="module")
def bad_builds(cb):
    project = create_project(cb, uniq("bad-keys"), source=no_source("version: 0.2\n" + OK_PHASES))
    started = {key: cb.start_build(projectName=project["name"], buildspecOverride=spec)["build"]["id"]
               for key, (spec, _) in BAD.items()}
    done = wait_builds(cb, list(started.values()), timeout=120)
    return {key: done[build_id] for key, build_id in started.items()}


@pytest.mark.parametrize("key", BAD, ids=list(BAD))
def test_a_malformed_key_is_a_yaml_error_naming_it(bad_builds, key):
    build = bad_builds[key]
    assert build["buildStatus"] == "FAILED"
    download = phase(build, "DOWNLOAD_SOURCE")
    assert download["phaseStatus"] == "FAILED"
    context = download["contexts"][0]
    assert context["statusCode"] == "YAML_FILE_ERROR"
    assert BAD[key][1] in context["message"], context["message"]

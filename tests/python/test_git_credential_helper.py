"""buildspec `env.git-credential-helper` (issue #3, item 7): with `yes`, git commands in the
build reach the source repository the way the source download did (the server's url rewrites
and the credentials its credential helpers give, masked in the log); without it they do not."""

import shutil
import tempfile
from pathlib import Path

import pytest

from kilntest.builds import create_project, exported, log_text, run_build, uniq
from kilntest.gitrepo import Repo

PUBLIC_URL = "https://git-codecommit.us-east-1.amazonaws.com/v1/repos/CredRepo"
PASSWORD = "s3cr3t-t0ken-for-builds"

SPEC = """\
version: 0.2
env:
  git-credential-helper: {flag}
  exported-variables: [REMOTE_HEAD, USERNAME]
phases:
  build:
    commands:
      - REMOTE_HEAD=$(git ls-remote "$CODEBUILD_SOURCE_REPO_URL" HEAD | cut -f1)
      - USERNAME=$(printf 'protocol=https\\nhost=git-codecommit.us-east-1.amazonaws.com\\n\\n' | git credential fill | sed -n 's/^username=//p')
      - printf 'protocol=https\\nhost=git-codecommit.us-east-1.amazonaws.com\\n\\n' | git credential fill | grep password
"""


@pytest.fixture
def visible_dir():
    """A directory builds can see: the sandbox gives builds their own /tmp, where pytest's
    tmp_path lives."""
    base = Path.home() / ".cache"
    base.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="kiln-test-", dir=base))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_git_credential_helper_gives_the_build_the_source_access(start_server, tmp_path, visible_dir):
    kiln = start_server("credhelper")
    repo = Repo(visible_dir / "cred-repo")
    sha = repo.commit({"buildspec.yml": SPEC.format(flag="yes"), "version.txt": "1"})
    kiln.map_url(PUBLIC_URL, repo.url)
    # The server's git has a credential for the repository's host (a `store` helper here).
    store = tmp_path / "server-credentials"
    store.write_text(f"https://ci-bot:{PASSWORD}@git-codecommit.us-east-1.amazonaws.com\n")
    with open(kiln.gitconfig, "a") as f:
        f.write(f"[credential]\n\thelper = store --file={store}\n")
    cb = kiln.codebuild()
    logs_client = kiln.logs()
    project = create_project(cb, uniq("cred-helper"), source={"type": "CODECOMMIT", "location": PUBLIC_URL})

    build = run_build(cb, projectName=project["name"])
    text = log_text(logs_client, build)
    assert build["buildStatus"] == "SUCCEEDED", text
    assert exported(build) == {"REMOTE_HEAD": sha, "USERNAME": "ci-bot"}
    assert "password=***" in text
    assert PASSWORD not in text

    # Without the flag the build's git knows neither the rewrite nor the credential.
    build = run_build(cb, projectName=project["name"],
                      buildspecOverride=SPEC.format(flag="no"))
    assert build["buildStatus"] == "FAILED"
    assert PASSWORD not in log_text(logs_client, build)

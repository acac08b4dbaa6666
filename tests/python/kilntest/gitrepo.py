"""Real git repositories for builds to fetch: commits, branches, tags, pull-request refs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

# The buildspec most test repositories carry: it exports the content of version.txt and the
# commit git sees, which proves which commit a build ran.
EXPORTING_BUILDSPEC = """\
version: 0.2
env:
  exported-variables:
    - CONTENT
    - HEAD_SHA
phases:
  build:
    commands:
      - CONTENT=$(cat version.txt)
      - HEAD_SHA=$(git rev-parse HEAD)
      - echo "building $CONTENT at $HEAD_SHA"
"""


def git_env() -> dict:
    """An environment in which git ignores the user's configuration and never prompts."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Kiln Tests",
        "GIT_AUTHOR_EMAIL": "tests@kiln.invalid",
        "GIT_COMMITTER_NAME": "Kiln Tests",
        "GIT_COMMITTER_EMAIL": "tests@kiln.invalid",
        "GIT_TERMINAL_PROMPT": "0",
    })
    return env


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, env=git_env(), capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed in {cwd}: {proc.stderr}")
    return proc.stdout.strip()


class Repo:
    """A non-bare repository whose default branch (HEAD) is `default_branch`."""

    def __init__(self, path: Path, default_branch: str = "main"):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        git(self.path, "init", "-q", "-b", default_branch)
        self.default_branch = default_branch

    @property
    def url(self) -> str:
        return f"file://{self.path}"

    def commit(self, files: dict[str, str], message: str = "change") -> str:
        """Writes `files` (path -> content), commits them on the current branch, returns the sha."""
        for name, content in files.items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
            git(self.path, "add", name)
        git(self.path, "commit", "-q", "-m", message)
        return self.head()

    def head(self, ref: str = "HEAD") -> str:
        return git(self.path, "rev-parse", f"{ref}^{{commit}}")

    def checkout(self, branch: str, create_from: str | None = None) -> None:
        if create_from is not None:
            git(self.path, "checkout", "-q", "-b", branch, create_from)
        else:
            git(self.path, "checkout", "-q", branch)

    def tag(self, name: str, rev: str = "HEAD", message: str | None = None) -> None:
        if message is None:
            git(self.path, "tag", name, rev)
        else:
            git(self.path, "tag", "-a", name, "-m", message, rev)

    def update_ref(self, ref: str, sha: str) -> None:
        git(self.path, "update-ref", ref, sha)

    def rev_parse(self, rev: str) -> str:
        return git(self.path, "rev-parse", rev)

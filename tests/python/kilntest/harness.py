"""A running Kiln server and the ways to reach it (boto3 in both protocols, the aws cli)."""

from __future__ import annotations

from pathlib import Path

from . import clients
from .cli import AwsCli
from .contract import JSON
from .gitrepo import git
from .server import KilnServer


class Kiln:
    """A running server and how to reach it."""

    def __init__(self, server: KilnServer, gitconfig: Path | None = None):
        self.server = server
        self.gitconfig = gitconfig

    @property
    def endpoint(self) -> str:
        return self.server.endpoint

    def map_url(self, public_url: str, local_url: str) -> None:
        """Makes the server's git fetch `local_url` when asked for `public_url`
        (`url.<local>.insteadOf <public>` in the gitconfig the server runs with)."""
        assert self.gitconfig is not None, "this server runs without its own gitconfig"
        git(self.gitconfig.parent, "config", "--file", str(self.gitconfig), "--add",
            f"url.{local_url}.insteadOf", public_url)

    def codebuild(self, protocol: str = JSON, **kw):
        return clients.codebuild(self.endpoint, protocol, **kw)

    def logs(self, **kw):
        return clients.logs(self.endpoint, **kw)

    def aws(self, **kw) -> AwsCli:
        return AwsCli(self.endpoint, **kw)


def start_kiln(base: Path, name: str, *, concurrency: int = 4, env: dict | None = None,
               args: list[str] | None = None) -> Kiln:
    """A server whose git runs see only `<base>/<name>.gitconfig` as global configuration."""
    gitconfig = base / f"{name}.gitconfig"
    gitconfig.write_text("[protocol \"file\"]\n\tallow = always\n")
    server_env = {"GIT_CONFIG_GLOBAL": str(gitconfig), "GIT_CONFIG_NOSYSTEM": "1", **(env or {})}
    server = KilnServer(base / name, concurrency=concurrency, env=server_env, args=args).start()
    return Kiln(server, gitconfig)

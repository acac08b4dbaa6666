"""Running the real aws cli against a Kiln endpoint, with its responses validated by
cli_plugin.py (violations are handed to the contract recorder after each run)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import contract
from .clients import DEFAULT_KEY, REGION

TESTS_DIR = Path(__file__).resolve().parents[1]


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def json(self):
        return json.loads(self.stdout) if self.stdout.strip() else {}


class AwsCli:
    def __init__(self, endpoint: str, key=DEFAULT_KEY):
        if shutil.which("aws") is None:
            raise RuntimeError("the aws cli is not installed (pip install awscli)")
        self.endpoint = endpoint
        self.key = key
        self.home = Path(tempfile.mkdtemp(prefix="kiln-awscli-"))
        self.config = self.home / "config"
        self.config.write_text("[default]\n"
                               f"region = {REGION}\n"
                               "output = json\n"
                               "[plugins]\n"
                               "kiln_contract = kilntest.cli_plugin\n")
        self.contract_log = self.home / "contract.log"

    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({
            "AWS_ACCESS_KEY_ID": self.key[0],
            "AWS_SECRET_ACCESS_KEY": self.key[1],
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": str(self.config),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.home / "credentials"),
            "AWS_PAGER": "",
            "AWS_MAX_ATTEMPTS": "1",
            "KILN_CONTRACT_LOG": str(self.contract_log),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS_DIR), os.environ.get("PYTHONPATH")])),
        })
        return env

    def __call__(self, *args: str, check: bool = True) -> CliResult:
        """Runs `aws <args> --endpoint-url <kiln>`; with `check`, a non-zero exit fails the test."""
        cmd = ["aws", *args, "--endpoint-url", self.endpoint]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=self.env(), timeout=120)
        self._collect_violations()
        result = CliResult(proc.returncode, proc.stdout, proc.stderr)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr}")
        return result

    def _collect_violations(self) -> None:
        if self.contract_log.exists():
            lines = self.contract_log.read_text().splitlines()
            self.contract_log.unlink()
            contract.record([json.loads(line) for line in lines if line.strip()])

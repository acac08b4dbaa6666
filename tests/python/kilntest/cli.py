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


# Debian's `awscli` package is awscli v2 (it has `aws logs tail`); its code lives here, with
# botocore vendored inside it.
AWSCLI_V2_SITE = Path("/usr/lib/python3/dist-packages")
AWSCLI_V2_PYTHON = Path("/usr/bin/python3")
# -I keeps PYTHONPATH and the script dir out and -S keeps /usr/local's site dir out, where pip's
# awscli v1 would shadow v2; addsitedir still runs the Debian dir's .pth files.
_V2_MAIN = ("import site, sys; site.addsitedir(sys.argv.pop(1)); "
            "from awscli.clidriver import main; sys.exit(main())")


class AwsCliV2:
    """Debian's awscli v2 against the same endpoint and key as an AwsCli. It gets its own config
    (region and output only): the v1 contract plugin is not loaded, so its responses are not
    checked against the service model."""

    def __init__(self, v1: AwsCli):
        self.endpoint = v1.endpoint
        self.config = v1.home / "config-v2"
        self.config.write_text(f"[default]\nregion = {REGION}\noutput = json\n")
        env = v1.env()
        env.pop("KILN_CONTRACT_LOG", None)
        env.pop("PYTHONPATH", None)
        env["AWS_CONFIG_FILE"] = str(self.config)
        self._env = env

    @staticmethod
    def missing() -> str | None:
        """Why awscli v2 cannot run here, or None when it can."""
        driver = AWSCLI_V2_SITE / "awscli" / "clidriver.py"
        if not AWSCLI_V2_PYTHON.exists():
            return f"{AWSCLI_V2_PYTHON} does not exist"
        if not driver.exists():
            return f"awscli v2 is not installed ({driver} is missing; apt-get install awscli)"
        return None

    def command(self, *args: str) -> list[str]:
        """The argv of `aws <args> --endpoint-url <kiln>` run by awscli v2."""
        return [str(AWSCLI_V2_PYTHON), "-I", "-S", "-u", "-c", _V2_MAIN, str(AWSCLI_V2_SITE),
                *args, "--endpoint-url", self.endpoint]

    def __call__(self, *args: str, check: bool = True, timeout: float = 120) -> CliResult:
        cmd = self.command(*args)
        proc = subprocess.run(cmd, capture_output=True, text=True, env=self._env, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"aws (v2) {' '.join(args)} exited {proc.returncode}: {proc.stderr}")
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    def popen(self, *args: str, stderr) -> subprocess.Popen:
        """Starts a long-running command (such as `logs tail --follow`) with stdout piped as text,
        unbuffered (-u) so that each line arrives as the cli prints it."""
        return subprocess.Popen(self.command(*args), stdout=subprocess.PIPE, stderr=stderr, text=True,
                                env=self._env)

"""A real `kiln serve` process: started on a free loopback port, stopped (or killed) at the end."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
LISTEN_LINE = re.compile(r"^kiln listening on (http://127\.0\.0\.1:\d+)\s*$")
START_TIMEOUT = 30.0


def kiln_bin() -> Path:
    """The binary under test: $KILN_BIN, else the cargo target dir's debug build."""
    if os.environ.get("KILN_BIN"):
        return Path(os.environ["KILN_BIN"])
    target = Path(os.environ.get("CARGO_TARGET_DIR") or REPO_ROOT / "target")
    return target / "debug" / "kiln"


class KilnServer:
    """One server process over one data dir; `start()` again after `kill9()` or `stop()` runs a new
    process on the same dir."""

    def __init__(self, data_dir: Path, *, concurrency: int = 4, env: dict | None = None,
                 args: list[str] | None = None, log_path: Path | None = None):
        self.data_dir = Path(data_dir)
        self.concurrency = concurrency
        self.extra_env = dict(env or {})
        self.extra_args = list(args or [])
        self.log_path = Path(log_path or self.data_dir.parent / f"{self.data_dir.name}.stderr.log")
        self.proc: subprocess.Popen | None = None
        self.endpoint = ""

    def start(self) -> "KilnServer":
        binary = kiln_bin()
        if not binary.exists():
            raise RuntimeError(f"{binary} does not exist: run `cargo build -p kiln` or set KILN_BIN")
        env = dict(os.environ)
        # Credentials in the test runner's environment must not leak into servers that
        # are meant to run without them.
        for name in ("KILN_ACCESS_KEY_ID", "KILN_SECRET_ACCESS_KEY", "KILN_CREDENTIALS_FILE",
                     "KILN_LISTEN", "KILN_DATA_DIR", "KILN_CONCURRENCY", "KILN_MINUTE_SECONDS",
                     "KILN_STOP_GRACE_SECONDS", "KILN_MAX_QUEUED_BUILDS", "KILN_BUILD_NICE"):
            env.pop(name, None)
        env.setdefault("RUST_LOG", "info")
        env.update(self.extra_env)
        cmd = [str(binary), "serve", "--listen", "127.0.0.1:0", "--data-dir", str(self.data_dir),
               "--concurrency", str(self.concurrency), *self.extra_args]
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, env=env,
                                     stdin=subprocess.DEVNULL)
        log.close()
        self.endpoint = self._read_endpoint()
        # Keep draining stdout so that the server can never block on a full pipe.
        threading.Thread(target=self._drain, args=(self.proc,), daemon=True).start()
        return self

    def _read_endpoint(self) -> str:
        assert self.proc is not None and self.proc.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT
        buf = b""
        fd = self.proc.stdout.fileno()
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    break
                buf += chunk
                for line in buf.decode(errors="replace").splitlines():
                    m = LISTEN_LINE.match(line)
                    if m:
                        return m.group(1)
            elif self.proc.poll() is not None:
                break
        self.stop()
        raise RuntimeError(f"kiln did not announce its port; stdout={buf!r}; stderr:\n{self.stderr_tail()}")

    @staticmethod
    def _drain(proc: subprocess.Popen) -> None:
        try:
            while proc.stdout and proc.stdout.read(4096):
                pass
        except (OSError, ValueError):
            pass

    def stderr_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def kill9(self) -> None:
        """`kill -9` the server process only (its builds' process groups live on)."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM the server, then end what its builds left running."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.kill_build_groups()

    def kill_build_groups(self) -> None:
        """Kills the process groups of this server's build agents (recorded in
        `<data dir>/builds/<uuid>/agent.pgid`), so no test leaves a `sleep 300` behind."""
        for pgid_file in (self.data_dir / "builds").glob("*/agent.pgid"):
            try:
                pgid = int(pgid_file.read_text().strip())
                cmdline = Path(f"/proc/{pgid}/cmdline").read_bytes()
            except (OSError, ValueError):
                continue
            if b"agent" in cmdline:
                try:
                    os.killpg(pgid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

"""Build processes seen from outside: each long-running test command carries a unique marker
(`sleep 300.<digits>`), found with `pgrep -f`."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path


def marker() -> str:
    """A `sleep` argument no other process on the machine has."""
    return f"300.{random.randrange(10**8, 10**9)}"


def sleeper(mark: str, ignore_term: bool = False) -> str:
    """A buildspec command that runs until killed; with `ignore_term`, SIGTERM is ignored by
    the shell and (inherited) by its sleep, so only SIGKILL ends it."""
    trap = "trap '' TERM; " if ignore_term else ""
    return f"sh -c \"{trap}sleep {mark}; echo woke\""


def pids(mark: str) -> list[int]:
    """Processes whose command line holds `sleep <mark>`."""
    pattern = f"sleep {mark}"
    if shutil.which("pgrep"):
        proc = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True)
        return [int(p) for p in proc.stdout.split()]
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if pattern in cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                found.append(int(cmdline.parent.name))
        except OSError:
            continue
    return found

"""Running the chaosdrill CLI as a user does, for the end-to-end tests."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from scoring.events import Event

CLI = [sys.executable, "-m", "simulator.cli"]
REPO = Path(__file__).resolve().parents[2]


def chaosdrill(cwd: Path, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


@contextlib.contextmanager
def drill_until(
    cwd: Path, args: list[str], marker: str, timeout_s: float = 120
) -> Iterator[subprocess.Popen[str]]:
    """`chaosdrill ARGS` running, once `marker` has shown in its progress lines (stderr);
    killed and reaped on the way out if it is still running."""
    drill = subprocess.Popen(
        [*CLI, *args],
        cwd=cwd,
        text=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert drill.stderr is not None
        deadline = time.monotonic() + timeout_s
        for line in drill.stderr:
            if marker in line or time.monotonic() > deadline:
                break
        yield drill
    finally:
        if drill.poll() is None:
            drill.kill()
        drill.wait()
        if drill.stderr is not None:  # also when it ended early, or was read to its end
            drill.stderr.close()


def types(events: list[Event]) -> list[str]:
    return [e.type for e in events]


def in_order(sequence: list[str], wanted: list[str]) -> bool:
    position = 0
    for item in sequence:
        if position < len(wanted) and item == wanted[position]:
            position += 1
    return position == len(wanted)


def leftovers(marker: str) -> list[str]:
    """Command lines of live processes that mention `marker` (a drill's directory)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmd:
            found.append(cmd)
    return found

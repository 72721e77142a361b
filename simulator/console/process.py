"""A console drill as a separate process, the way a facilitator starts one.

`start_console_drill` runs `chaosdrill run SCENARIO` (console mode) in its own
working directory, so its state, reports and history stay there, and reads
the join links it writes. Tests, the browser test and the fan-out benchmark
use it; it stops only the process it started.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.console.client import ConsoleClient

__all__ = ["ConsoleProcess", "start_console_drill"]

READY_S = 60.0
STOP_S = 60.0


@dataclass
class ConsoleProcess:
    proc: subprocess.Popen[bytes]
    workdir: Path
    links: dict[str, Any]

    @property
    def url(self) -> str:
        return str(self.links["url"])

    @property
    def report_dir(self) -> Path:
        return self.workdir / "report"

    def token(self, who: str) -> str:
        """'facilitator', 'observer', 'join' or 'trainee:NAME'."""
        return str(self.links["tokens"][who])

    def client(self, who: str) -> ConsoleClient:
        return ConsoleClient(self.url, self.token(who))

    def output(self) -> str:
        return (self.workdir / "console.log").read_text(errors="replace")

    def wait_for(self, event_type: str, timeout_s: float = 120.0) -> dict[str, Any]:
        """The first drill event of `event_type` (as the facilitator sees it)."""
        deadline = time.monotonic() + timeout_s
        with self.client("facilitator") as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"the console exited early:\n{self.output()[-3000:]}")
                for event in client.get("/api/events"):
                    if event["type"] == event_type:
                        return dict(event)
                time.sleep(0.5)
        raise TimeoutError(f"no {event_type} within {timeout_s:.0f}s:\n{self.output()[-3000:]}")

    def stop(self, timeout_s: float = STOP_S) -> int:
        """Ctrl-C, as a facilitator would; a kill only if it does not end in time."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return int(self.proc.returncode)


def start_console_drill(
    workdir: Path,
    scenario: str = "db-lock",
    *,
    trainees: Sequence[str] = (),
    args: Sequence[str] = (),
    env: dict[str, str] | None = None,
) -> ConsoleProcess:
    """Start `chaosdrill run SCENARIO` serving the console; returns once it listens."""
    workdir.mkdir(parents=True, exist_ok=True)
    links_file = workdir / "links.json"
    command = [
        sys.executable,
        "-m",
        "simulator.cli",
        "run",
        scenario,
        "--report-dir",
        str(workdir / "report"),
        "--links-file",
        str(links_file),
        *[f"--trainee={t}" for t in trainees],
        *args,
    ]
    repo = Path(__file__).resolve().parents[2]
    environment = {**os.environ, "PYTHONPATH": str(repo), **(env or {})}
    with (workdir / "console.log").open("wb") as log:
        proc = subprocess.Popen(
            command, cwd=workdir, stdout=log, stderr=subprocess.STDOUT, env=environment
        )
    running = ConsoleProcess(proc, workdir, {})
    deadline = time.monotonic() + READY_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"chaosdrill run exited at once:\n{running.output()[-3000:]}")
        if links_file.is_file():
            try:
                running.links = json.loads(links_file.read_text())
                return running
            except ValueError:
                pass  # being written
        time.sleep(0.1)
    running.stop()
    raise TimeoutError(f"the console did not start within {READY_S:.0f}s")

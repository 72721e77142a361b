"""`chaosdrill console`: a facilitated session's lobby, without starting a drill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simulator.console.client import ConsoleClient, ConsoleClientError

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def _start(tmp_path: Path) -> tuple[subprocess.Popen[str], dict[str, object]]:
    links = tmp_path / "links.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulator.cli",
            "console",
            "--links-file",
            str(links),
            "--trainee",
            "alice:commander",
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not links.is_file():
        assert proc.poll() is None and time.monotonic() < deadline, "the console did not start"
        time.sleep(0.1)
    return proc, json.loads(links.read_text())


def test_pick_a_scenario_join_and_end_the_session(tmp_path: Path) -> None:
    proc, links = _start(tmp_path)
    tokens = links["tokens"]
    assert isinstance(tokens, dict)
    try:
        with ConsoleClient(str(links["url"]), tokens["facilitator"]) as boss:
            ids = {s["id"] for s in boss.get("/api/facilitator/scenarios")}
            assert {"db-lock", "app-crash"} <= ids
            with pytest.raises(ConsoleClientError, match="pick a scenario first"):
                boss.post("/api/facilitator/start")
            boss.post("/api/facilitator/scenario", {"id": "db-lock"})
        with ConsoleClient(str(links["join"]), None) as joiner:
            bob = joiner.post("/api/join", {"name": "bob", "duty": "communications"})
            with pytest.raises(ConsoleClientError, match="taken"):
                joiner.post("/api/join", {"name": "Bob"})
        with ConsoleClient(bob["link"], None) as trainee:
            state = trainee.state()
            assert state["phase"] == "lobby" and state["live"] is None
            assert state["scenario"]["title"] == "Checkout hangs, then fails"
            assert "id" not in state["scenario"]  # ids name the cause
            assert {p["name"] for p in state["participants"]} == {"alice", "bob"}
            with pytest.raises(ConsoleClientError, match="no drill has started"):
                trainee.post("/api/review", {"fields": {"why": "x"}})
        proc.send_signal(signal.SIGINT)  # between drills, Ctrl-C ends the session
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, out
        assert "Traceback" not in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()

"""Issue 19: a trainee practising alone, driving only documented commands.

`chaosdrill practice` in one process; the trainee's `chaosdrill incident ...`
commands find it by themselves (no --url, no --token). The trainee asks for a
hint, tries an action this environment cannot run (refused, free), a wrong fix,
then the right one, writes the review and resolves; the scorecard printed by
`practice` must say exactly that.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scoring.events import read_jsonl

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
CLI = [sys.executable, "-m", "simulator.cli"]
REPO = Path(__file__).resolve().parents[2]
SHORT = """\
id: solo-crash
title: The shop stops answering
briefing: The pager goes off; the shop does not load.
difficulty: intro
target: {database: any}
load: {users: 5, spawn_rate: 5, profile: shop, seed: 11}
steady_state: {max_error_rate: 0.01, max_p99_ms: 500, min_rps: 2, timeout: 60s}
faults:
  - {at: 2s, kind: app.crash, until: remediated, ttl: 6m}
expected:
  alerts: [{name: availability, severity: critical, within: 15s}]
  severity: P0
  team: sre
  root_cause: The shop's API process died.
  root_cause_area: infrastructure
  remediations: [service.restart]
hints:
  - {after: 1s, text: "Look at the process itself."}
  - {after: 2s, text: "Restart the service."}
confirm_recovery_s: 3
time_limit_s: 300
"""


def incident(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "incident", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def show_until(cwd: Path, wanted: str, timeout_s: float = 90) -> str:
    """`incident show` until its output holds WANTED ("no running drill" is "not yet")."""
    deadline = time.monotonic() + timeout_s
    out = ""
    while time.monotonic() < deadline:
        out = incident(cwd, "show").stdout
        if wanted in out:
            return out
        time.sleep(1.0)
    raise AssertionError(f"`incident show` never said {wanted!r}; last:\n{out}")


def test_a_trainee_practises_alone_from_the_terminal(tmp_path: Path) -> None:
    scenario = tmp_path / "solo-crash.yaml"
    scenario.write_text(SHORT)
    log = (tmp_path / "practice.log").open("w")
    practice = subprocess.Popen(
        [*CLI, "practice", str(scenario), "--name", "ana", "--report-dir", "report"],
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        show_until(tmp_path, "alerts firing: 1")
        hint = incident(tmp_path, "hint")
        assert hint.stdout.strip() == "hint: Look at the process itself.", hint.stderr
        for step in (["ack"], ["severity", "P0"], ["assign", "sre"], ["status", "INVESTIGATING"]):
            assert incident(tmp_path, *step).returncode == 0, step
        refused = incident(tmp_path, "action", "db.restore", "--yes")
        assert refused.returncode == 2 and "cannot act here" in refused.stderr
        wrong = incident(tmp_path, "action", "cache.clear", "--yes")
        assert wrong.stdout.startswith("cache.clear: failed: "), wrong.stdout
        right = incident(tmp_path, "action", "service.restart", "--yes")
        assert right.stdout.startswith("service.restart: done: "), right.stdout
        assert incident(tmp_path, "status", "MONITORING").returncode == 0
        show_until(tmp_path, "review: open", timeout_s=60)
        no_hint = incident(tmp_path, "hint")
        assert no_hint.returncode == 2 and "the fault has ended" in no_hint.stderr
        review = incident(
            tmp_path,
            "review",
            "--what-happened",
            "The API process died; a restart brought it back.",
            "--action-item",
            "Supervise the API process | sre",
        )
        assert review.returncode == 0, review.stderr
        assert incident(tmp_path, "resolve").returncode == 0
        assert practice.wait(timeout=120) == 0
    finally:
        if practice.poll() is None:
            practice.kill()
            practice.wait()
        log.close()
    out = (tmp_path / "practice.log").read_text()
    assert "Outcome: resolved" in out, out
    assert "Hints: 3.3/5 - ana asked for 1 hint, at " in out
    assert "(\u201cLook at the process itself\u201d)" in out
    assert "cache.clear — failed: " in out
    assert "You restarted the service at " in out and ", after cache.clear at " in out
    assert "worse" not in out and "db.restore" not in out  # refused: it never ran
    events = read_jsonl(tmp_path / "report" / "events.jsonl")
    hints = [e for e in events if e.type == "hint.given"]
    assert [(e.actor, e.data["source"]) for e in hints] == [("trainee:ana", "asked")]
    ran = [e.data["action"] for e in events if e.type == "action.started"]
    assert ran == ["cache.clear", "service.restart"]
    assert [e.type for e in events].count("review.submitted") == 1
    assert not list((tmp_path / ".chaosdrill" / "consoles").glob("*.json"))

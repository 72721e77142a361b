"""Whole drills through the CLI, as a user runs them, with the autopilot responding."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scoring.events import Event, read_jsonl

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
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


@pytest.mark.parametrize(
    ("scenario", "fix"), [("app-crash", "service.restart"), ("bad-deploy", "deploy.rollback")]
)
def test_run_with_the_autopilot_end_to_end(tmp_path: Path, scenario: str, fix: str) -> None:
    done = chaosdrill(
        tmp_path, "run", scenario, "--autopilot", "--json", "--report-dir", str(tmp_path / "report")
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    events = read_jsonl(Path(result["files"]["log"]))
    assert in_order(
        types(events),
        [
            "drill.started",
            "steady_state.reached",
            "fault.injected",
            "alert.firing",
            "page.sent",
            "incident.acknowledged",
            "incident.severity_set",
            "incident.assigned",
            "action.started",
            "fault.reverted",
            "action.executed",
            "service.recovered",
            "incident.resolved",
            "drill.finished",
            "teardown.done",
            "answer_key.revealed",
        ],
    )
    action = next(e for e in events if e.type == "action.started")
    assert action.actor == "autopilot" and action.data["action"] == fix
    (reverted,) = [e for e in events if e.type == "fault.reverted"]  # one end, one writer
    assert reverted.data["reason"] == "remediated" and reverted.data["action_seq"] == action.seq
    assert reverted.data["action_id"] == action.data["action_id"]
    assert [e.type for e in events].index("answer_key.revealed") > [e.type for e in events].index(
        "drill.finished"
    ), "the key is revealed only at the end"
    assert result["outcome"] == "finished" and result["score"] >= 80
    assert all(alert["passed"] for alert in result["alerts"])
    for name in ("report", "review", "scorecard"):
        assert Path(result["files"][name]).stat().st_size > 500
    html = Path(result["files"]["report"]).read_text()
    assert "<svg" in html and "http://" not in html.replace("http://www.w3.org", "")
    assert leftovers(str(tmp_path)) == [], "nothing of the drill's environment is left"


def test_verify_passes_and_writes_junit(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    done = chaosdrill(tmp_path, "verify", "recommendations-down", "--junit", str(junit))
    assert done.returncode == 0, done.stderr[-2000:]
    xml = junit.read_text()
    assert 'failures="0"' in xml and "fired" in xml and "recovered" in xml
    triage = [line for line in done.stderr.splitlines() if "remediation" in line and "%" in line]
    assert triage and "100%" in triage[0], "the autopilot's triage accuracy is printed"
    assert "2 passed, 0 failed" in done.stderr


WEAK = """\
id: weak-errors
title: A fault too weak to trip its alert
briefing: A few requests fail.
load: {users: 20, spawn_rate: 20, profile: catalog, seed: 3}
steady_state: {max_error_rate: 0.02, max_p99_ms: 800, min_rps: 5, timeout: 60s}
faults:
  - {at: 3s, kind: app.error_rate, params: {fraction: 0.005}, until: duration, duration: 10s}
expected:
  alerts:
    - {name: error_rate, severity: critical, within: 10s}
  severity: P1
  team: development
  root_cause: One request in two hundred fails.
  root_cause_area: application
  remediations: [deploy.rollback]
confirm_recovery_s: 5
time_limit_s: 20
"""


def test_verify_fails_when_the_fault_is_too_weak_to_alert(tmp_path: Path) -> None:
    scenario = tmp_path / "weak-errors.yaml"
    scenario.write_text(WEAK)
    junit = tmp_path / "junit.xml"
    done = chaosdrill(tmp_path, "verify", str(scenario), "--junit", str(junit))
    assert done.returncode == 1, done.stderr[-2000:]
    xml = junit.read_text()
    assert "never fired at critical or worse" in xml
    assert 'failures="2"' in xml


def test_ctrl_c_during_a_drill_leaves_no_fault_behind(tmp_path: Path) -> None:
    args = ["run", "db-lock", "--autopilot", "--report-dir", str(tmp_path / "report")]
    with drill_until(tmp_path, args, "fault.injected") as drill:
        holders = [c for c in leftovers(str(tmp_path)) if "lock_holder" in c]
        assert holders, "the lock is really held by another process"
        drill.send_signal(signal.SIGINT)
        drill.communicate(timeout=60)
    assert drill.returncode == 130, "a drill ended by SIGINT exits 130 after its results"
    assert leftovers(str(tmp_path)) == [], "no lock holder, shop or proxy is left running"
    events = read_jsonl(tmp_path / "report" / "events.jsonl")
    aborted = next(e for e in events if e.type == "drill.aborted")
    assert "SIGINT" in aborted.data["reason"]
    reverts = [e for e in events if e.type == "fault.reverted"]
    assert [e.data["reason"] for e in reverts] == ["abort"]
    assert reverts[0].t - aborted.t < 1.0, "faults are reverted within a second of the abort"

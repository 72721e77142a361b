"""A failure mid-drill ends the drill, not its results; two drills never share a log.

Run through the CLI, as an operator would: the drill's own chaos proxy dies under
it, and the same --report-dir is used twice.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from scoring.events import read_jsonl
from scoring.invariants import check
from tests.e2e.cli import chaosdrill, drill_until, leftovers

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

TWO_FAULTS = """\
id: proxy-dies
title: A second fault that cannot be injected
briefing: Checkout is a little slow, then payments fail.
load: {users: 10, spawn_rate: 10, profile: catalog, seed: 3}
steady_state: {max_error_rate: 0.02, max_p99_ms: 800, min_rps: 3, timeout: 60s}
faults:
  - {at: 1s, kind: app.latency, params: {ms: 5}, until: remediated, ttl: 2m}
  - {at: 8s, kind: dependency.down, params: {dependency: payment}, until: remediated, ttl: 2m}
expected:
  alerts: []
  severity: P2
  team: development
  root_cause: The payment provider is unreachable.
  root_cause_area: application
  remediations: [dependency.switch_backup]
confirm_recovery_s: 5
time_limit_s: 60
"""


def _proxy_pid(state_root: Path) -> int | None:
    for state in state_root.glob("drills/*/env/state.json"):
        data = json.loads(state.read_text())
        proxy = data.get("services", {}).get("proxy") or {}
        if proxy.get("pid"):
            return int(proxy["pid"])
    return None


def test_a_fault_that_cannot_be_injected_aborts_the_drill_with_results(tmp_path: Path) -> None:
    scenario = tmp_path / "proxy-dies.yaml"
    scenario.write_text(TWO_FAULTS)
    report = tmp_path / "report"
    args = ["run", str(scenario), "--autopilot", "--report-dir", str(report)]
    with drill_until(tmp_path, args, "fault.injected") as drill:
        pid = _proxy_pid(tmp_path / ".chaosdrill")
        assert pid is not None, "the drill's chaos proxy is running"
        os.kill(pid, signal.SIGKILL)  # the drill's own proxy dies before the second fault
        _, err = drill.communicate(timeout=120)
    assert drill.returncode == 1, err[-2000:]
    for name in ("events.jsonl", "report.html", "review.md", "scorecard.json", "result.json"):
        assert (report / name).is_file(), f"{name} is written even though the drill failed"
    events = read_jsonl(report / "events.jsonl")
    (aborted,) = [e for e in events if e.type == "drill.aborted"]
    reason = str(aborted.data["reason"])
    assert "dependency.down could not be injected" in reason and reason.split(":", 1)[1].strip()
    ends = [e.data["fault_id"] for e in events if e.type == "fault.reverted"]
    assert len(ends) == len(set(ends)), "each fault ends once in the log"
    assert check(events) == [], "the failed drill's log is consistent"
    assert leftovers(str(tmp_path)) == [], "nothing of the environment is left running"


def test_a_report_dir_that_holds_a_drill_is_refused_or_archived(tmp_path: Path) -> None:
    report = tmp_path / "report"
    report.mkdir()
    (report / "events.db").write_bytes(b"")  # what any earlier drill leaves
    refused = chaosdrill(tmp_path, "run", "app-crash", "--autopilot", "--report-dir", str(report))
    assert refused.returncode == 2
    line = refused.stderr.strip()
    assert "already holds a drill" in line and "--force" in line and "\n" not in line
    assert "Traceback" not in refused.stderr
    assert not (tmp_path / ".chaosdrill").exists(), "nothing was started"

    # --force moves the old drill aside; the new one then starts afresh (it is
    # interrupted at once here: only the archive and the exit status matter).
    args = ["run", "app-crash", "--autopilot", "--force", "--report-dir", str(report)]
    with drill_until(tmp_path, args, "drill.started") as forced:
        forced.send_signal(signal.SIGTERM)
        forced.communicate(timeout=120)
    assert forced.returncode == 143, "a drill ended by SIGTERM exits 143 after its results"
    archived = [p for p in tmp_path.iterdir() if p.name.startswith("report.old-")]
    assert len(archived) == 1 and (archived[0] / "events.db").exists()
    events = read_jsonl(report / "events.jsonl")
    assert events[0].type == "drill.started"
    assert any(e.type == "drill.aborted" for e in events)

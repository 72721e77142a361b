"""Whole drills through the CLI, as a user runs them, with the autopilot responding."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from scoring.events import read_jsonl
from tests.e2e.cli import chaosdrill, drill_until, in_order, leftovers, types

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


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

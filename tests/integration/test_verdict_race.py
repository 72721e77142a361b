"""The race that once blamed a responder for a fix that worked, made certain.

The engine's tick used to see a fault gone from the journal after a remediation
had reverted it but before the responder logged its action, and wrote its own
end ("ttl"). Here the responder is made slow to report after the fix acted, and
the tick runs as often as it can in that gap, on a real environment. The end of
the fault is still the fault manager's record (remediated by that action), logged
once, and the remediation earns full credit.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from scoring.events import Event
from scoring.playbook import load_playbook
from scoring.scorecard import score_drill
from simulator.drill.assemble import assemble
from simulator.drill.engine import DrillOptions
from simulator.drill.responses import Responses
from simulator.faults.manager import FaultManager
from simulator.remediation.apply import RemediationResult, apply
from simulator.scenario.loader import find_scenario
from tests.integration.faults_env import eventually, healthy

pytestmark = pytest.mark.integration

REPORT_DELAY_S = 1.5  # how long the responder is slow to report after the fix acted


class SlowToReport(Responses):
    """A responder whose log write lags the remediation's effect."""

    acted = threading.Event()

    def _apply(self, action: str, arg: str | None, action_id: str) -> RemediationResult:
        result = apply(self.state_dir, action, arg, action_id)
        self.acted.set()
        time.sleep(REPORT_DELAY_S)  # the engine's tick runs in this gap
        if self.on_faults_changed is not None:
            self.on_faults_changed()
        return result


async def _drill_with_a_slow_responder(env_dir: Path, report_dir: Path) -> list[Event]:
    playbook = load_playbook(None)
    scenario = find_scenario("app-crash", playbook=playbook)
    drill = assemble(DrillOptions(scenario, playbook, report_dir, report_dir / "state")).drill
    drill.state_dir = env_dir  # the environment this module brought up
    drill.responses = SlowToReport(drill.log, playbook, env_dir, on_faults_changed=drill._sync_ends)
    drill.log.append("drill.started", {"scenario_id": scenario.id, "time_scale": 1.0})
    entry = await asyncio.to_thread(FaultManager(env_dir).inject, "app.crash", {}, 120)
    drill._record_injection(entry.id, entry.kind, entry.params, entry.target, 120)
    action = asyncio.create_task(drill.responses.run_action("autopilot", "service.restart"))
    ticks_after_the_fix = 0
    while not action.done():  # the engine's tick, as often as it can run
        await asyncio.to_thread(drill._sync_ends)
        ticks_after_the_fix += SlowToReport.acted.is_set()
        await asyncio.sleep(0.05)
    await action
    assert ticks_after_the_fix >= 5, "the tick never ran between the fix and its report"
    drill.log.append("drill.finished", {"outcome": "resolved"})
    events = drill.log.events()
    drill.log.close()
    return events


def test_a_fix_reported_late_is_still_the_fix(env_dir: Path, tmp_path: Path) -> None:
    assert eventually(lambda: healthy(env_dir), 20)
    events = asyncio.run(_drill_with_a_slow_responder(env_dir, tmp_path / "report"))
    assert eventually(lambda: healthy(env_dir), 20)

    started = next(e for e in events if e.type == "action.started")
    executed = next(e for e in events if e.type == "action.executed")
    (end,) = [e for e in events if e.type == "fault.reverted"]  # one end, one writer
    assert end.data["reason"] == "remediated"
    assert end.data["action_id"] == started.data["action_id"] == executed.data["action_id"]
    assert end.data["action_seq"] == started.seq
    # The race happened: the tick logged the end before the responder's report.
    assert started.seq < end.seq < executed.seq
    assert executed.data["result"] == "ok"
    assert executed.data["ended"] == [end.data["fault_id"]]
    assert executed.data["duration_s"] >= REPORT_DELAY_S

    playbook = load_playbook(None)
    scenario = find_scenario("app-crash", playbook=playbook)
    card = score_drill(events, scenario.expected, playbook)
    remediation = card.team.criterion("remediation")
    assert remediation.ratio == pytest.approx(1.0), remediation.feedback

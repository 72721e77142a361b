"""A facilitated drill, worked by one trainee while another watches (issue 11).

The facilitator extends the drill past its fault's TTL: the lock is still held
when its first TTL has passed (seen from outside, by a plain client). The
commander then fixes it, the team's review is submitted, and the scorecards
credit each person with their own decisions: the idle trainee gets none of the
commander's points, and the review is in the PIR draft.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from scoring.events import read_jsonl
from simulator.console.client import ConsoleClient, ConsoleClientError
from simulator.console.process import ConsoleProcess, start_console_drill
from tests.integration.faults_env import new_order

pytestmark = pytest.mark.integration

F, ALICE, CAROL = "facilitator", "trainee:alice", "trainee:carol"
TTL_S = 25
WHY = "a nightly report held the orders lock inside a long transaction"

SHORT_LOCK = f"""\
id: short-lock
title: Checkout hangs, then fails
briefing: Customers say checkout spins and then fails.
load: {{users: 10, spawn_rate: 10, profile: shop, seed: 5}}
steady_state: {{max_error_rate: 0.05, max_p99_ms: 1500, min_rps: 2, timeout: 90s}}
faults:
  - {{at: 2s, kind: db.lock, params: {{table: products}}, until: remediated, ttl: {TTL_S}s}}
expected:
  alerts: []
  severity: P1
  team: dba
  root_cause: A long-running query held a lock on the products table.
  root_cause_area: database
  remediations: [db.kill_long_queries]
confirm_recovery_s: 5
time_limit_s: 20
"""


@pytest.fixture(scope="module")
def drill(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleProcess]:
    workdir = tmp_path_factory.mktemp("extend")
    scenario = workdir / "short-lock.yaml"
    scenario.write_text(SHORT_LOCK)
    running = start_console_drill(
        workdir,
        str(scenario),
        trainees=["alice:commander", "carol:operations"],
        args=["--start-now", "--review-window", "60"],
    )
    try:
        running.wait_for("fault.injected", timeout_s=150)
        yield running
    finally:
        running.stop()


def _shop_url(drill: ConsoleProcess) -> str:
    (state,) = (drill.report_dir.parent / ".chaosdrill").glob("drills/*/env/state.json")
    return f"http://127.0.0.1:{json.loads(state.read_text())['services']['shop']['port']}"


def _events(drill: ConsoleProcess) -> list[dict[str, object]]:
    with drill.client(F) as facilitator:
        events: list[dict[str, object]] = facilitator.get("/api/events")
    return events


def test_an_extended_drill_keeps_its_fault_past_the_ttl(drill: ConsoleProcess) -> None:
    with drill.client(F) as facilitator:
        facilitator.post("/api/facilitator/extend", {"seconds": 120})
    (extended,) = [e for e in _events(drill) if e["type"] == "drill.extended"]
    (injected,) = [e for e in _events(drill) if e["type"] == "fault.injected"]
    data = extended["data"]
    assert isinstance(data, dict) and isinstance(injected["data"], dict)
    assert data["faults_extended"] == [injected["data"]["fault_id"]]
    # Past the fault's first TTL (and the watchdog's tick), a plain client still
    # cannot write: the lock holder followed the extended deadline.
    time.sleep(max(0.0, TTL_S + 3 - (time.time() - _injected_wall(injected))))
    assert new_order(_shop_url(drill), timeout=3) != 201
    assert not [e for e in _events(drill) if e["type"] == "fault.reverted"]


def _injected_wall(event: dict[str, object]) -> float:
    wall = event["wall"]
    assert isinstance(wall, int | float)
    return float(wall)


def test_each_person_is_credited_with_their_own_decisions(drill: ConsoleProcess) -> None:
    with drill.client(ALICE) as alice:
        _ack_or_declare(alice)
        alice.severity("P1")
        alice.assign("dba")
        alice.status("INVESTIGATING")
        alice.status("IDENTIFIED")
        alice.action("db.kill_long_queries", evidence="a session holds the products lock")
        alice.status("MONITORING")
    drill.wait_for("service.recovered", timeout_s=120)
    with drill.client(ALICE) as alice:
        alice.status("RESOLVED")
        alice.post("/api/review", {"fields": {"what_happened": "checkout hung", "why": WHY}})
    with drill.client(F) as facilitator:
        # Carol never writes a review: once Alice's is in, the facilitator closes the
        # review window instead of waiting it out.
        deadline = time.monotonic() + 120
        while facilitator.state()["live"]["stage"] == "running" and time.monotonic() < deadline:
            time.sleep(0.5)
        if facilitator.state()["live"]["stage"] == "review":
            facilitator.post("/api/facilitator/score", {})
        while not facilitator.state()["live"]["scored"] and time.monotonic() < deadline:
            time.sleep(1)
        cards = facilitator.get("/api/scorecard")
        facilitator.post("/api/facilitator/end", {"confirm": True})
    drill.proc.wait(60)

    events = read_jsonl(drill.report_dir / "events.jsonl")
    (end,) = [e for e in events if e.type == "fault.reverted"]
    assert end.data["reason"] == "remediated" and end.actor == "engine"
    people = {p["name"]: p for p in cards["participants"]}
    assert people["alice"]["total"] > people["carol"]["total"]
    carol = people["carol"]
    remediation = next(c for c in carol["criteria"] if c["key"] == "remediation")
    assert remediation["points"] == 0
    assert "no decision" in json.dumps(carol)
    review = (drill.report_dir / "review.md").read_text()
    assert WHY in review
    assert "_to be filled in by the review._" not in review


def _ack_or_declare(client: ConsoleClient) -> None:
    try:
        client.ack()
    except ConsoleClientError:  # nothing paged (the scenario expects no alert): declare it
        client.post("/api/incident/declare", {})

"""The same facts in a different interleaving get the same scorecard (hypothesis, issue 11).

A drill's facts (when the fault began, when the responder acted, when the fault
really ended, when the SLIs recovered) are drawn once; the log that records
them is then written in different orders, as the engine's threads may write
it: the tick that logs `fault.reverted` runs late by up to half a second (so it
lands before or after the action's own `action.executed`), and events logged
in the same instant (`sli.sample` among them) take any order of seq.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.drill import DrillView
from scoring.events import Event
from scoring.expectations import Expectations
from scoring.playbook import load_playbook
from scoring.scorecard import Scorecard, score_drill

PLAYBOOK = load_playbook(None)
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
KEY = Expectations.model_validate(
    {
        "alerts": [{"name": "error_rate", "severity": "high", "within": "60s"}],
        "severity": "P1",
        "team": "dba",
        "root_cause": "a long-running transaction holds a lock",
        "root_cause_area": "database",
        "remediations": ["db.kill_long_queries"],
        "harmful": ["db.restore"],
    }
)
UPDATE = {
    "incident_id": "I",
    "severity": "HIGH",
    "status": "INVESTIGATING",
    "summary": "orders failing",
    "impact": "a third of checkouts",
    "root_cause": "a lock on the orders table",
    "next_steps": "kill the query",
}


@dataclass(frozen=True)
class Facts:
    """What happened, in tenths of a drill second (the engine's tick)."""

    responder: str
    fault: int
    alert: int
    ack: int
    restore: int | None  # an unavailable db.restore tried first (it does nothing)
    act: int
    effect: int  # the fault really ends this long after the action started
    duration: int  # the action finishes this long after it started
    recovered: int
    end: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "end", self.recovered + 300)


@dataclass(frozen=True)
class Writing:
    """How the log was written: the tick's delay and the order of same-instant events."""

    tick_delay: int  # tenths of a second, 0..5
    tiebreak: list[int]


@st.composite
def facts(draw: st.DrawFn) -> Facts:
    fault = draw(st.integers(300, 900))
    alert = fault + draw(st.integers(30, 300))
    ack = alert + draw(st.integers(10, 600))
    restore = draw(st.one_of(st.none(), st.integers(ack + 10, ack + 200)))
    act = max(ack, restore or 0) + draw(st.integers(10, 1200))
    duration = draw(st.integers(1, 80))
    effect = draw(st.integers(0, duration))
    recovered = act + effect + draw(st.integers(300, 900))
    responder = draw(st.sampled_from(["trainee:ann", "autopilot"]))
    return Facts(responder, fault, alert, ack, restore, act, effect, duration, recovered)


def writings(f: Facts) -> st.SearchStrategy[Writing]:
    return st.builds(
        Writing,
        st.integers(0, 5),
        st.lists(st.integers(0, 1_000), min_size=len(rows(f, 0)), max_size=len(rows(f, 0))),
    )


def rows(f: Facts, tick_delay: int) -> list[tuple[int, str, str, dict[str, Any]]]:
    """(tenths of a second, type, actor, data) of every event, in no particular order."""
    who = f.responder
    ended = f.act + f.effect
    out: list[tuple[int, str, str, dict[str, Any]]] = [
        (0, "drill.started", "engine", _started(who)),
        (f.fault, "fault.injected", "engine", {"fault_id": "f-1", "kind": "db.lock"}),
        (f.alert, "alert.firing", "detector", {"name": "error_rate", "severity": "high"}),
        (f.alert, "page.sent", "engine", {"page_id": "p1", "level": 1}),
        (f.ack, "incident.acknowledged", who, {"incident_id": "I"}),
        (f.ack, "incident.status_changed", who, {"to": "INVESTIGATING"}),
        (f.ack, "incident.severity_set", who, {"severity": "P1"}),
        (f.ack, "incident.assigned", who, {"team": "dba", "area": "database"}),
        (f.ack, "incident.update_posted", who, {"fields": UPDATE}),
        (f.act, "incident.status_changed", who, {"to": "IDENTIFIED"}),
        (f.act, "action.started", who, {"action_id": "a-2", "action": "db.kill_long_queries"}),
        (f.act + f.duration, "action.executed", who, _done("a-2", f.duration, ["f-1"])),
        (ended + tick_delay, "fault.reverted", "engine", _end(ended)),
        (f.recovered, "service.recovered", "detector", {"confirm_window_s": 60}),
        (f.recovered, "incident.status_changed", who, {"to": "MONITORING"}),
        (f.recovered + 100, "incident.update_posted", who, {"fields": UPDATE}),
        (f.recovered + 200, "incident.resolved", who, {"incident_id": "I"}),
        (f.end, "drill.finished", "engine", {"outcome": "resolved"}),
    ]
    if f.restore is not None:
        out.append((f.restore, "action.started", who, {"action_id": "a-1", "action": "db.restore"}))
        out.append((f.restore + 5, "action.executed", who, _done("a-1", 5, [], "unavailable")))
    # One SLI sample a second: failing from 2 s after the fault until 2 s after its end.
    for t in range(10, f.end, 10):
        bad = f.fault + 20 <= t <= ended + 20
        out.append((t, "sli.sample", "detector", _sample(0.3 if bad else 0.0)))
    return out


def _started(who: str) -> dict[str, Any]:
    people = [{"name": "ann", "role": "on-call"}] if who.startswith("trainee:") else []
    return {"scenario_id": "db-lock", "time_scale": 1, "participants": people}


def _done(action_id: str, tenths: int, ended: list[str], result: str = "ok") -> dict[str, Any]:
    action = "db.kill_long_queries" if action_id == "a-2" else "db.restore"
    return {
        "action_id": action_id,
        "action": action,
        "args": [],
        "result": result,
        "detail": result,
        "duration_s": tenths / 10,
        "ended": ended,
    }


def _end(ended: int) -> dict[str, Any]:
    wall = START + timedelta(seconds=ended / 10)
    return {
        "fault_id": "f-1",
        "kind": "db.lock",
        "reason": "remediated",
        "action_id": "a-2",
        "ended_wall": wall.isoformat(),
    }


def _sample(error: float) -> dict[str, Any]:
    p99 = 2000.0 if error else 100.0
    return {"rps": 50.0, "error_rate": error, "p99_ms": p99, "availability": 1 - error}


def log(f: Facts, writing: Writing) -> list[Event]:
    """The events as one writing put them down: seq by time, same-instant ties shuffled."""
    made = rows(f, writing.tick_delay)
    order = sorted(range(len(made)), key=lambda i: (made[i][0], writing.tiebreak[i]))
    order.remove(0)
    order.insert(0, 0)  # drill.started is always first
    events = []
    for seq, i in enumerate(order):
        tenths, kind, actor, data = made[i]
        if kind == "fault.reverted":
            started = next(s for s, j in enumerate(order) if made[j][3].get("action_id") == "a-2")
            data = {**data, "action_seq": started}
        events.append(
            Event(
                seq=seq,
                drill_id="d",
                type=kind,
                t=tenths / 10,
                wall=START + timedelta(seconds=tenths / 10),
                actor=actor,
                data=data,
            )
        )
    return events


def card(events: list[Event]) -> Scorecard:
    return score_drill(events, KEY, PLAYBOOK)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_the_same_facts_in_another_interleaving_score_the_same(data: st.DataObject) -> None:
    f = data.draw(facts())
    one, two = data.draw(writings(f)), data.draw(writings(f))
    assert card(log(f, one)).model_dump() == card(log(f, two)).model_dump()


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_a_remediation_that_ended_the_fault_always_gets_full_credit(data: st.DataObject) -> None:
    f = data.draw(facts())
    events = log(f, data.draw(writings(f)))
    scored = card(events)
    remediation = scored.team.criterion("remediation")
    assert remediation.points == remediation.max_points, remediation.feedback
    assert scored.team.clocks["time_to_recover"].status == "PASS"
    assert scored.team.clocks["time_to_recover"].stop_t == f.recovered / 10
    # The fault ended when its record says, not when the tick logged it.
    assert DrillView(events).faults[0].end == (f.act + f.effect) / 10


def test_the_end_logged_before_or_after_the_action_record_scores_the_same() -> None:
    # The fault ends 0.1 s before the action finishes; a tick 0 s or 0.5 s late puts the
    # end record before or after `action.executed` (the race of issue 11).
    f = Facts("trainee:ann", 600, 700, 800, None, 1600, 10, 11, 7000)
    ties = [0] * len(rows(f, 0))
    early, late = log(f, Writing(0, ties)), log(f, Writing(5, ties))
    kinds = [e.type for e in early if e.type in ("fault.reverted", "action.executed")]
    assert kinds == ["fault.reverted", "action.executed"]
    kinds = [e.type for e in late if e.type in ("fault.reverted", "action.executed")]
    assert kinds == ["action.executed", "fault.reverted"]
    assert card(early).model_dump() == card(late).model_dump()
    assert card(early).team.criterion("remediation").points == 20

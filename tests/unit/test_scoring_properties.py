"""Properties of scoring that must hold for any log (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.clocks import compute_clocks
from scoring.drill import DrillView
from scoring.events import Event, read_jsonl
from scoring.expectations import Expectations
from scoring.playbook import Playbook, load_playbook
from scoring.report import build_report, render_html, render_markdown
from scoring.scorecard import Scorecard, score_drill

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden"
PLAYBOOK: Playbook = load_playbook(None)
START = datetime(2026, 3, 2, tzinfo=UTC)
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
ACTORS = ["engine", "detector", "autopilot", "facilitator", "trainee:ann", "trainee:ben"]
PEOPLE = [{"name": "ann", "role": "on-call"}, {"name": "cy", "role": "operations"}]
NUM = st.floats(min_value=0, max_value=1, allow_nan=False)

# One data strategy per contract type, loose on purpose: scoring must cope with any of it.
DATA: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "sli.sample": st.fixed_dictionaries(
        {"error_rate": NUM, "p99_ms": st.floats(0, 10_000), "availability": NUM}
    ),
    "fault.injected": st.fixed_dictionaries(
        {
            "fault_id": st.sampled_from(["f1", "f2"]),
            "kind": st.just("db.lock"),
            "target": st.just("shop"),
        }
    ),
    "fault.reverted": st.fixed_dictionaries(
        {
            "fault_id": st.sampled_from(["f1", "f2"]),
            "reason": st.sampled_from(
                [
                    "remediated",
                    "duration",
                    "ttl",
                    "operator",
                    "teardown",
                    "abort",
                    "remediated:cache.clear",
                    "drill-end",
                    "manual",
                    "cleanup",
                ]
            ),
            "action_seq": st.one_of(st.none(), st.integers(0, 60)),
        },
        optional={
            "action_id": st.sampled_from(["a-1", "a-2", ""]),
            "ended_wall": st.one_of(
                st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat),
                st.text(max_size=6),
            ),
        },
    ),
    "alert.firing": st.fixed_dictionaries(
        {
            "name": st.sampled_from(["error_rate", "latency_p99"]),
            "severity": st.sampled_from(["critical", "high", "medium", "bogus"]),
        }
    ),
    "page.sent": st.fixed_dictionaries({"page_id": st.just("p1"), "level": st.just(1)}),
    "page.escalated": st.fixed_dictionaries(
        {"level": st.integers(2, 5), "reason": st.sampled_from(["unresolved", "manual", "x"])}
    ),
    "incident.declared": st.just({"incident_id": "I"}),
    "incident.acknowledged": st.just({"incident_id": "I", "page_id": "p1"}),
    "incident.severity_set": st.fixed_dictionaries(
        {"severity": st.sampled_from(["P0", "P1", "P2", "P3", "P9"])}
    ),
    "incident.assigned": st.fixed_dictionaries(
        {
            "team": st.sampled_from(["dba", "sre", "development"]),
            "area": st.sampled_from(["database", "api", ""]),
        }
    ),
    "incident.status_changed": st.fixed_dictionaries(
        {"to": st.sampled_from(["INVESTIGATING", "IDENTIFIED", "MONITORING", "RESOLVED"])}
    ),
    "incident.update_posted": st.fixed_dictionaries(
        {"fields": st.dictionaries(st.sampled_from(PLAYBOOK.update_template), st.text(max_size=8))}
    ),
    "action.started": st.fixed_dictionaries(
        {
            "action_id": st.sampled_from(["a-1", "a-2", ""]),
            "action": st.sampled_from(["service.restart", "db.kill_long_queries", "db.restore"]),
            "args": st.one_of(st.none(), st.lists(st.text(max_size=3), max_size=2)),
        }
    ),
    "action.executed": st.fixed_dictionaries(
        {
            "action": st.sampled_from(["service.restart", "db.kill_long_queries", "db.restore"]),
            "args": st.one_of(st.none(), st.text(max_size=5), st.lists(st.integers(), max_size=2)),
        },
        optional={
            "action_id": st.sampled_from(["a-1", "a-2"]),
            "result": st.sampled_from(["ok", "error", "unavailable"]),
            "ended": st.lists(st.sampled_from(["f1", "f2"]), max_size=2),
        },
    ),
    "review.submitted": st.fixed_dictionaries(
        {
            "fields": st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
            "action_items": st.lists(
                st.one_of(st.text(max_size=5), st.fixed_dictionaries({"item": st.text()})),
                max_size=2,
            ),
        }
    ),
    "drill.finished": st.just({"outcome": "resolved"}),
    "hint.given": st.fixed_dictionaries({"text": st.text(max_size=10)}),
    "service.recovered": st.fixed_dictionaries(
        {"confirm_window_s": st.one_of(st.none(), st.floats(0, 120))}
    ),
    "incident.resolved": st.just({"incident_id": "I"}),
    "drill.aborted": st.just({"reason": "stop"}),
    "mystery.event": st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
}


@st.composite
def drill_logs(draw: st.DrawFn) -> list[Event]:
    scale = draw(st.sampled_from([0.5, 1, 10]))
    people = draw(st.sampled_from([[], PEOPLE]))
    rows = [("drill.started", 0.0, "engine", {"time_scale": scale, "participants": people})]
    for _ in range(draw(st.integers(0, 60))):
        kind = draw(st.sampled_from(sorted(DATA)))
        t = draw(st.floats(0, 4000, allow_nan=False))
        rows.append((kind, t, draw(st.sampled_from(ACTORS)), draw(DATA[kind])))
    return [
        Event(
            seq=i,
            drill_id="d",
            type=kind,
            t=t,
            wall=START + timedelta(seconds=t),
            actor=a,
            data=data,
        )
        for i, (kind, t, a, data) in enumerate(rows)
    ]


def within_bounds(card: Scorecard) -> None:
    parties = [card.team, *card.participants]
    if card.baseline:
        parties.append(card.baseline.card)
    for party in parties:
        assert 0 <= party.total <= 100
        for c in party.criteria:
            assert 0 <= c.points <= c.max_points, c
            assert c.feedback
    assert sum(c.max_points for c in card.team.criteria) == 100


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drill_logs())
def test_scores_stay_within_0_and_100(events: list[Event]) -> None:
    within_bounds(score_drill(events, KEY, PLAYBOOK))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drill_logs())
def test_any_log_renders_every_report(events: list[Event]) -> None:
    view = DrillView(events)
    report = build_report(view, score_drill(view, KEY, PLAYBOOK), PLAYBOOK)
    assert render_markdown(report).startswith("# Post-Incident Review")
    assert "</html>" in render_html(report)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drill_logs())
def test_a_participant_never_earns_more_than_their_own_decisions(events: list[Event]) -> None:
    card = score_drill(events, KEY, PLAYBOOK)
    view = DrillView(events)
    for person in card.participants:
        if not view.made_a_decision(person.actor):
            assert person.total == 0 and person.note is not None


def test_a_trainee_who_only_chats_does_not_take_over_an_autopilot_drill() -> None:
    events = read_jsonl(GOLDEN / "autopilot.jsonl")
    chat = Event(
        seq=len(events),
        drill_id="d",
        type="chat.message",
        t=100.0,
        wall=START,
        actor="trainee:ann",
        data={"text": "what is going on?"},
    )
    assert numbers([*events, chat]) == numbers(events)
    assert numbers(events)["mttd"][2] == 23.0


def numbers(events: list[Event]) -> dict[str, tuple[Any, ...]]:
    clocks = compute_clocks(events, PLAYBOOK, "P1")
    return {
        n: (c.start_t, c.stop_t, c.drill_s, c.scaled_s, c.passed, c.margin_s)
        for n, c in clocks.items()
    }


@settings(max_examples=150, deadline=None)
@given(
    drill_logs(),
    st.sampled_from(["chat.message", "diagnostic.viewed", "review.submitted", "x.unknown"]),
    st.sampled_from(ACTORS),
    st.floats(0, 4000, allow_nan=False),
)
def test_an_unrelated_event_never_changes_a_clock(
    events: list[Event], kind: str, actor: str, t: float
) -> None:
    extra = Event(
        seq=len(events),
        drill_id="d",
        type=kind,
        t=t,
        wall=START,
        actor=actor,
        data={"name": "dashboard", "text": "hello"},
    )
    assert numbers([*events, extra]) == numbers(events)


RESOLVED_LOGS = [
    "no-alert.jsonl",
    "early-notice.jsonl",
    "overlap.jsonl",
    "scaled.jsonl",
    "team.jsonl",
    "autopilot.jsonl",
]


def key_of(events: list[Event]) -> Expectations:
    return Expectations.model_validate(
        next(e for e in events if e.type == "answer_key.revealed").data
    )


def resolved_at(events: list[Event], t: float) -> list[Event]:
    return [e.replace(t=t) if e.type == "incident.resolved" else e for e in events]


@pytest.mark.parametrize("name", RESOLVED_LOGS)
@settings(max_examples=25, deadline=None)
@given(sooner=st.floats(0, 4000, allow_nan=False), later=st.floats(0, 4000, allow_nan=False))
def test_resolving_sooner_never_scores_lower(name: str, sooner: float, later: float) -> None:
    events = read_jsonl(GOLDEN / name)
    recovered = max(e.t for e in events if e.type == "service.recovered")
    first, second = sorted((recovered + sooner, recovered + later))
    key = key_of(events)
    early = score_drill(resolved_at(events, first), key, PLAYBOOK)
    late = score_drill(resolved_at(events, second), key, PLAYBOOK)
    assert early.team.total >= late.team.total
    for a, b in zip(early.participants, late.participants, strict=True):
        assert a.total >= b.total


def test_resolving_before_recovery_is_penalised() -> None:
    events = read_jsonl(GOLDEN / "no-alert.jsonl")
    key = key_of(events)
    proper = score_drill(events, key, PLAYBOOK).team
    rushed = score_drill(resolved_at(events, 650.0), key, PLAYBOOK).team
    assert (
        rushed.criterion("resolution_discipline").points
        < proper.criterion("resolution_discipline").points
    )
    assert rushed.clocks["mttr"].drill_s is None and rushed.clocks["mttr"].reason

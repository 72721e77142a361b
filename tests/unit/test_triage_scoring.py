"""Severity calibration and capability ratings on hand-computed logs (issue 16).

The playbook's numbers: severity weighs 10 points; notifying louder than the
severity's channel costs 30 % of it, quieter 60 %; one level too low costs three
quarters, one level too high half. Ratings: P >= 90 % of a capability's points,
S >= 60 %, M above 0, U nothing done.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from scoring.events import Event
from scoring.expectations import Expectations
from scoring.invariants import check
from scoring.playbook import load_playbook
from scoring.ratings import LEVELS
from scoring.scorecard import score_drill

PLAYBOOK = load_playbook(None)
START = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
ANN = "trainee:ann"


def key(severity: str) -> Expectations:
    return Expectations.model_validate(
        {
            "severity": severity,
            "team": "frontend",
            "root_cause": "the storefront_v2 flag broke the page",
            "root_cause_area": "frontend",
            "remediations": ["feature.disable:storefront_v2"],
        }
    )


def log(notify: str | None, severity: str = "P3", fix: bool = True) -> list[Event]:
    rows: list[tuple[float, str, str, dict[str, Any]]] = [
        (
            0,
            "drill.started",
            "engine",
            {
                "scenario_id": "ui-glitch",
                "title": "UI",
                "participants": [{"name": "ann", "role": ""}],
            },
        ),
        (
            10,
            "fault.injected",
            "engine",
            {
                "fault_id": "f-1",
                "kind": "feature.enable",
                "params": {"feature": "storefront_v2"},
                "target": "shop",
                "ttl_s": 240,
            },
        ),
        (15, "degradation.measured", "engine", {"site_pct": 2.0, "worst_pct": 4.0}),
        (20, "degradation.measured", "engine", {"site_pct": 1.0, "worst_pct": 6.0}),
        (
            20,
            "report.received",
            "engine",
            {
                "report_id": "SYN-1",
                "channel": "synthetic_check",
                "summary": "storefront check failed",
            },
        ),
        (22, "incident.acknowledged", ANN, {"incident_id": "INC-1", "page_id": None}),
        (25, "incident.severity_set", ANN, {"incident_id": "INC-1", "severity": severity}),
        (
            27,
            "incident.assigned",
            ANN,
            {"incident_id": "INC-1", "team": "frontend", "area": "frontend"},
        ),
    ]
    if notify:
        rows.append((26, "incident.notified", ANN, {"incident_id": "INC-1", "channel": notify}))
    if fix:
        rows += [
            (
                40,
                "action.started",
                ANN,
                {"action_id": "a-1", "action": "feature.disable", "args": ["storefront_v2"]},
            ),
            (
                40.2,
                "fault.reverted",
                "engine",
                {
                    "fault_id": "f-1",
                    "kind": "feature.enable",
                    "reason": "remediated",
                    "action_id": "a-1",
                    "action_seq": 0,
                },
            ),
            (
                40.3,
                "action.executed",
                ANN,
                {
                    "action_id": "a-1",
                    "action": "feature.disable",
                    "args": ["storefront_v2"],
                    "result": "ok",
                    "detail": "disabled",
                    "ended": ["f-1"],
                },
            ),
            (55, "service.recovered", "detector", {"slis": {}, "confirm_window_s": 10}),
            (60, "incident.resolved", ANN, {"incident_id": "INC-1"}),
            (
                61,
                "review.submitted",
                ANN,
                {
                    "fields": {
                        f: "x"
                        for f in ("what_happened", "why", "went_well", "went_badly", "improvements")
                    },
                    "action_items": [{"item": "check the page in CI", "owner": "frontend"}],
                },
            ),
        ]
    rows.append((70, "drill.finished", "engine", {"outcome": "resolved" if fix else "time_limit"}))
    rows.sort(key=lambda r: r[0])
    events = []
    for seq, (t, type_, actor, data) in enumerate(rows, start=1):
        if type_ == "fault.reverted":
            data = {**data, "action_seq": next(e.seq for e in events if e.type == "action.started")}
        events.append(
            Event(
                seq=seq,
                drill_id="d",
                type=type_,
                t=t,
                wall=START + timedelta(seconds=t),
                actor=actor,
                data=data,
            )
        )
    check(events)
    return events


def severity_points(events: list[Event], true: str = "P3") -> tuple[float, str]:
    card = score_drill(events, key(true), PLAYBOOK).team
    criterion = card.criterion("severity")
    return criterion.points, criterion.feedback


def test_a_ticket_at_p3_is_the_right_call_and_names_the_measured_band() -> None:
    points, feedback = severity_points(log("ticket"))
    assert points == 10.0
    # measured: no route was consistently the worst, so the site: median(2, 1) = 1.5 %
    assert "measured: the site degraded by 2 %, in the under 20 % band (P3)" in feedback


def test_paging_at_p3_costs_the_documented_deduction() -> None:
    points, feedback = severity_points(log("page_primary"))
    assert points == 7.0  # 10 x (1 - 30 %)
    assert "louder than the playbook's ticket" in feedback
    assert severity_points(log("page_all"))[0] == 7.0


def test_only_a_ticket_at_p1_costs_more_than_paging_at_p3() -> None:
    points, feedback = severity_points(log("ticket", severity="P1"), true="P1")
    assert points == 4.0  # 10 x (1 - 60 %)
    assert "quieter than the playbook's page_primary" in feedback


def test_under_classification_costs_more_than_over_classification() -> None:
    over = severity_points(log(None, severity="P1"), true="P2")[0]  # one level too high
    under = severity_points(log(None, severity="P3"), true="P2")[0]  # one level too low
    assert (over, under) == (5.0, 2.5)


def test_ratings_on_a_hand_computed_log() -> None:
    card = score_drill(log("page_primary"), key("P3"), PLAYBOOK)
    ratings = {r.capability: r for r in card.ratings}
    assert list(ratings) == [
        "Detection",
        "Triage",
        "Communication",
        "Response",
        "Resolution",
        "Review",
    ]
    # Triage: severity 7 + routing 10 of 20 = 85 % -> some challenges.
    assert ratings["Triage"].code == "S" and ratings["Triage"].share == 0.85
    assert ratings["Triage"].rating == LEVELS["S"] == "Performed with some challenges"
    assert ratings["Triage"].events == [
        "00:25 incident.severity_set by trainee:ann P3",
        "00:26 incident.notified by trainee:ann page_primary",
        "00:27 incident.assigned by trainee:ann frontend",
    ]
    # Response: the accepted fix, no hint: remediation 20 + hints 5 of 25.
    assert ratings["Response"].code == "P"
    assert ratings["Response"].events == [
        "00:40 action.started by trainee:ann feature.disable storefront_v2"
    ]
    assert ratings["Review"].code == "P"
    # Communication: no update was ever posted: nothing done.
    assert ratings["Communication"].code == "U"


def test_nothing_done_is_unable_to_be_performed() -> None:
    card = score_drill(log(None, fix=False), key("P3"), PLAYBOOK)
    ratings = {r.capability: r.code for r in card.ratings}
    assert ratings["Response"] == "U" and ratings["Review"] == "U"

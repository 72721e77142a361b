"""The scorecard: clocks and criteria for the team, each participant and a baseline.

`score_drill(events, expectations, playbook)` is pure. The team is scored on
the decisions of every responder (the trainees, or the autopilot when it ran
alone). Each trainee is credited only with their own decisions (acknowledging,
severity, routing, remediation, updates, resolving): where a teammate made a
decision, the trainee earns nothing for it and the team's result is given for
reference. Outcomes of the whole team (recovery, escalation, hints) are shown
on every card marked `shared`, and count for everyone who made at least one
decision; a participant who made none gets no credit for others' work. An
autopilot that ran alongside the trainees (or a second log) is scored the same
way as the team, as a baseline.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel

from scoring.breach import BreachSummary, breach_summary
from scoring.cards import CriterionResult, ParticipantCard, build_card
from scoring.criteria.escalation import was_escalated
from scoring.data_loss import DataLoss, measure
from scoring.drill import AUTOPILOT, LEGACY_ACTION_TIMES, DrillView
from scoring.events import Event
from scoring.expectations import Expectations
from scoring.payloads import alert_firing
from scoring.playbook import Playbook
from scoring.ratings import CapabilityRating, rate
from scoring.stuffing import StuffingSummary, stuffing_summary

__all__ = [
    "AlertCheck",
    "Baseline",
    "CriterionResult",
    "ParticipantCard",
    "Scorecard",
    "score_drill",
]

ALERT_RANK = {"medium": 1, "high": 2, "critical": 3}


class AlertCheck(BaseModel):
    """Did an expected alert fire, at its severity or worse, within its budget (drill time)?"""

    name: str
    severity: str
    within_s: float
    fired_at: float | None
    fired_severity: str | None
    latency_s: float | None
    passed: bool


class Baseline(BaseModel):
    """The autopilot's card and how far the team was from it."""

    source: str
    card: ParticipantCard
    delta_total: float


class Scorecard(BaseModel):
    """Everything the reports and the history need about one scored drill."""

    drill_id: str
    scenario_id: str
    title: str
    started_at: datetime | None
    drilled_team: str
    time_scale: float
    true_severity: str
    severity_label: str
    expected_team: str
    root_cause: str
    root_cause_area: str
    remediations: list[str]
    outcome: str
    outcome_detail: str
    t0: float | None
    end_t: float
    escalated: bool
    target: str
    alerts: list[AlertCheck]
    team: ParticipantCard
    participants: list[ParticipantCard]
    baseline: Baseline | None = None
    notes: list[str] = []
    data_loss: DataLoss | None = None  # RPO/RTO, for a drill with a point-in-time restore
    # Credential drills: what left the shop per leaked key (scoring/breach.py).
    breaches: list[BreachSummary] = []
    # Credential stuffing: the accounts the attacker opened (scoring/stuffing.py).
    stuffings: list[StuffingSummary] = []
    ratings: list[CapabilityRating] = []  # the team's HSEEP capability ratings


def _fired(view: DrillView, name: str, severity: str) -> Event | None:
    """The first alert of this name at this severity or worse since T0."""
    if view.t0 is None:
        return None
    for event in view.of("alert.firing"):
        alert = alert_firing(event)
        rank = ALERT_RANK.get(str(alert.get("severity")), 0)
        if event.t >= view.t0 and alert.get("name") == name and rank >= ALERT_RANK[severity]:
            return event
    return None


def _alert_checks(view: DrillView, expectations: Expectations) -> list[AlertCheck]:
    checks = []
    for expected in expectations.alerts:
        fired = _fired(view, expected.name, expected.severity)
        latency = fired.t - view.t0 if fired is not None and view.t0 is not None else None
        checks.append(
            AlertCheck(
                name=expected.name,
                severity=expected.severity,
                within_s=expected.within_s,
                fired_at=fired.t if fired else None,
                fired_severity=str(fired.data.get("severity")) if fired else None,
                latency_s=latency,
                passed=latency is not None and latency <= expected.within_s,
            )
        )
    return checks


def _outcome(view: DrillView) -> tuple[str, str]:
    if view.aborted is not None:
        return "aborted", str(view.aborted.data.get("reason") or "aborted")
    if view.finished is not None:
        return "finished", str(view.finished.data.get("outcome", "finished"))
    # Neither finished nor aborted: the engine was killed; score what happened.
    return "interrupted", view.interruption()


def _notes(view: DrillView) -> list[str]:
    """Sentences every report carries about how to read this log."""
    notes = []
    if view.legacy_action_times:
        notes.append(LEGACY_ACTION_TIMES[0].upper() + LEGACY_ACTION_TIMES[1:] + ".")
    if view.interrupted:
        notes.append(f"The drill was {view.interruption()}; it is scored on what happened.")
    return notes


def score_drill(
    events: Iterable[Event] | DrillView,
    expectations: Expectations,
    playbook: Playbook,
    baseline_events: Iterable[Event] | None = None,
) -> Scorecard:
    """Score a drill: team, every trainee, and the autopilot baseline when there is one."""
    view = events if isinstance(events, DrillView) else DrillView(events)
    scope = view.responders()
    has_people = bool(view.trainees())
    team_actor, subject = ("team", "The team") if has_people else (AUTOPILOT, "The autopilot")
    team = build_card(
        view, expectations, playbook, scope, team_scope=scope, actor=team_actor, subject=subject
    )
    people = [
        build_card(
            view,
            expectations,
            playbook,
            frozenset({actor}),
            team_scope=scope,
            actor=actor,
            subject="You",
            team=team,
        )
        for actor in view.trainees()
    ]
    baseline = None
    autopilot = frozenset({AUTOPILOT})
    if baseline_events is not None:
        other = DrillView(baseline_events)
        card = build_card(
            other,
            expectations,
            playbook,
            other.responders(),
            team_scope=other.responders(),
            actor=AUTOPILOT,
            subject="The autopilot",
        )
        baseline = Baseline(
            source="second log", card=card, delta_total=round(team.total - card.total, 1)
        )
    elif view.has_autopilot_baseline():
        card = build_card(
            view,
            expectations,
            playbook,
            autopilot,
            team_scope=autopilot,
            actor=AUTOPILOT,
            subject="The autopilot",
        )
        baseline = Baseline(
            source="same log", card=card, delta_total=round(team.total - card.total, 1)
        )
    outcome, detail = _outcome(view)
    loss = measure(view, playbook.data_loss)
    sev = playbook.severities[expectations.severity]
    return Scorecard(
        drill_id=view.drill_id,
        scenario_id=view.scenario_id,
        title=view.title,
        started_at=view.events[0].wall if view.events else None,
        drilled_team=str(view.started_data.get("team") or ""),
        time_scale=view.time_scale,
        true_severity=expectations.severity,
        severity_label=sev.label,
        expected_team=expectations.team,
        root_cause=expectations.root_cause,
        root_cause_area=expectations.root_cause_area,
        remediations=list(expectations.remediations),
        outcome=outcome,
        outcome_detail=detail,
        t0=view.t0,
        end_t=view.end_t,
        escalated=was_escalated(view),
        target=view.faults[0].target if view.faults else "",
        alerts=_alert_checks(view, expectations),
        team=team,
        participants=people,
        baseline=baseline,
        notes=_notes(view) + ([loss.summary] if loss else []),
        data_loss=loss,
        breaches=breach_summary(view),
        stuffings=stuffing_summary(view),
        ratings=rate(view, team, scope),
    )

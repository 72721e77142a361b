"""The scorecard: clocks and criteria for the team, each participant and a baseline.

`score_drill(events, expectations, playbook)` is pure. The team is scored on
the decisions of every responder (the trainees, or the autopilot when it ran
alone). Each trainee is scored on their own decisions; where they made no
decision of a kind (a teammate set the severity), the team's result is shown
for that criterion, marked as shared. An autopilot that ran alongside the
trainees (or a second log) is scored the same way as a baseline.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel

from scoring.clocks import ClockResult, compute_clocks
from scoring.criteria import RULES, RuleInput
from scoring.criteria.escalation import was_escalated
from scoring.drill import AUTOPILOT, DrillView, Scope, actor_name
from scoring.events import Event
from scoring.expectations import Expectations
from scoring.playbook import Playbook

__all__ = [
    "AlertCheck",
    "Baseline",
    "CriterionResult",
    "ParticipantCard",
    "Scorecard",
    "score_drill",
]

ALERT_RANK = {"medium": 1, "high": 2, "critical": 3}


class CriterionResult(BaseModel):
    """Points earned on one criterion, with one sentence that teaches."""

    key: str
    label: str
    points: float
    max_points: float
    passed: bool
    feedback: str
    shared: bool = False
    details: list[str] = []

    @property
    def ratio(self) -> float:
        """Share of the points earned (1.0 for a criterion weighted 0)."""
        return self.points / self.max_points if self.max_points else 1.0


class ParticipantCard(BaseModel):
    """The scorecard of one scored party: a trainee, the team or the autopilot."""

    actor: str
    name: str
    role: str = ""
    total: float
    grade: str
    criteria: list[CriterionResult]
    clocks: dict[str, ClockResult]

    def criterion(self, key: str) -> CriterionResult:
        return next(c for c in self.criteria if c.key == key)

    def weakest(self) -> CriterionResult:
        """The criterion with the lowest share of points, preferring the person's own."""
        own = [c for c in self.criteria if not c.shared] or self.criteria
        return min(own, key=lambda c: c.ratio)


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


def _card(
    view: DrillView,
    expectations: Expectations,
    playbook: Playbook,
    scope: Scope,
    *,
    team_scope: Scope,
    actor: str,
    subject: str,
    team: ParticipantCard | None = None,
) -> ParticipantCard:
    clocks = compute_clocks(view, playbook, expectations.severity, scope, team_scope)
    inp = RuleInput(view, expectations, playbook, scope, team_scope, clocks, subject)
    results = []
    # The team's results as shown on a participant's card (marked as the team's).
    shared = {c.key: c.model_copy(update={"shared": True}) for c in team.criteria} if team else {}
    for key, weight in playbook.scoring.weights.items():
        criterion = RULES[key]
        if team is not None and criterion.kind == "team":
            # An outcome of the whole drill: the same for everyone, so shown as the team's.
            results.append(shared[key])
            continue
        verdict = criterion.fn(inp)
        if team is not None and not verdict.involved:
            # Someone else made this decision: show the team's result, marked as shared.
            results.append(shared[key])
            continue
        fraction = min(1.0, max(0.0, verdict.fraction))
        results.append(
            CriterionResult(
                key=key,
                label=criterion.label,
                points=round(weight * fraction, 1),
                max_points=float(weight),
                passed=verdict.passed,
                feedback=verdict.feedback,
                details=verdict.details,
            )
        )
    total = round(sum(r.points for r in results), 1)
    return ParticipantCard(
        actor=actor,
        name=actor_name(actor),
        role=view.role_of(actor),
        total=total,
        grade=playbook.scoring.grade_for(total),
        criteria=results,
        clocks=clocks,
    )


def _fired(view: DrillView, name: str, severity: str) -> Event | None:
    """The first alert of this name at this severity or worse since T0."""
    if view.t0 is None:
        return None
    for event in view.of("alert.firing"):
        rank = ALERT_RANK.get(str(event.data.get("severity")), 0)
        if event.t >= view.t0 and event.data.get("name") == name and rank >= ALERT_RANK[severity]:
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
        return "aborted", str(view.aborted.data.get("reason", "aborted"))
    finished = view.last("drill.finished")
    if finished is not None:
        return "finished", str(finished.data.get("outcome", "finished"))
    return "incomplete", "the log ends without drill.finished"


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
    team = _card(
        view, expectations, playbook, scope, team_scope=scope, actor=team_actor, subject=subject
    )
    people = [
        _card(
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
        card = _card(
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
        card = _card(
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
    )

"""One scored party's card: each criterion's points and feedback, and the clocks.

`build_card` scores the team (or the autopilot) on all its responders'
decisions, or one participant beside the team: a participant is credited only
with the decisions they made themselves; the team's outcomes (recovery,
escalation, hints) are shared, but only with those who took part at all.
"""

from __future__ import annotations

from pydantic import BaseModel

from scoring.clocks import ClockResult, compute_clocks
from scoring.criteria import RULES, RuleInput
from scoring.drill import DrillView, Scope, actor_name
from scoring.expectations import Expectations
from scoring.playbook import Playbook

__all__ = ["IDLE", "CriterionResult", "ParticipantCard", "build_card"]

IDLE = "You made no decision in this drill, so none of the team's points are credited to you."


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
    note: str | None = None

    def criterion(self, key: str) -> CriterionResult:
        return next(c for c in self.criteria if c.key == key)

    def weakest(self) -> CriterionResult:
        """The criterion with the lowest share of points (shared ones included: a hint
        the team asked for is as much a gap as a late acknowledgement); on a tie, the
        person's own criterion, then the playbook's order."""
        return min(self.criteria, key=lambda c: (c.ratio, c.shared))


def build_card(
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
    idle = team is not None and not view.made_a_decision(actor)
    results = []
    for key, weight in playbook.scoring.weights.items():
        criterion = RULES[key]
        if team is not None and criterion.kind == "team":
            # An outcome of the whole team: shared by everyone who took part in it.
            results.append(_shared(team.criterion(key), idle))
            continue
        verdict = criterion.fn(inp)
        fraction = min(1.0, max(0.0, verdict.fraction))
        details = verdict.details
        if team is not None and not verdict.involved:
            # A teammate made this decision (or nobody did): no credit, the team's for reference.
            fraction = 0.0
            theirs = team.criterion(key)
            details = [
                f"the team's result: {theirs.points:g}/{theirs.max_points:g}: {theirs.feedback}"
            ]
        results.append(
            CriterionResult(
                key=key,
                label=criterion.label,
                points=round(weight * fraction, 1),
                max_points=float(weight),
                passed=verdict.passed and fraction > 0,
                feedback=verdict.feedback,
                details=details,
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
        note=IDLE if idle else None,
    )


def _shared(theirs: CriterionResult, idle: bool) -> CriterionResult:
    """The team's result on a participant's card, credited only to those who took part."""
    if not idle:
        return theirs.model_copy(update={"shared": True})
    return theirs.model_copy(
        update={
            "shared": True,
            "points": 0.0,
            "passed": False,
            "feedback": "You made no decision in this drill, so the team's result is not"
            " credited to you.",
            "details": [
                f"the team's result: {theirs.points:g}/{theirs.max_points:g}: {theirs.feedback}"
            ],
        }
    )

"""The scoring-rule registry: each rule is a pure function of the drill.

A rule gets a `RuleInput` (the drill's events as a `DrillView`, the scenario's
expectations, the playbook, whose decisions are scored and the clocks already
measured for them) and returns a `Verdict`: the fraction of the criterion's
points earned, whether it passed, and ONE sentence of feedback that teaches.
The playbook's `scoring.weights` turn fractions into points.

Rules are registered by name with `@rule(...)`; the name is the weight's key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from scoring.clocks import ClockResult
from scoring.drill import DrillView, Scope
from scoring.events import Event
from scoring.expectations import Expectations
from scoring.playbook import Playbook, SeverityLevel

__all__ = ["RULES", "Criterion", "RuleInput", "Verdict", "by_teammate", "rule", "timeliness"]

# "team": an outcome of the whole drill (same for everyone);
# "decision": made by someone, so each participant is scored on their own.
Kind = Literal["team", "decision"]


@dataclass(frozen=True)
class RuleInput:
    """Everything a rule may look at.

    `scope` is whose decisions are scored, `team` the responders they belong to
    (for "anyone on the team" questions), `subject` how feedback names them.
    """

    view: DrillView
    expectations: Expectations
    playbook: Playbook
    scope: Scope
    team: Scope
    clocks: dict[str, ClockResult]
    subject: str

    @property
    def severity(self) -> SeverityLevel:
        """The scenario's TRUE severity, whose targets apply."""
        return self.playbook.severities[self.expectations.severity]


@dataclass(frozen=True)
class Verdict:
    """A rule's judgement. `involved` is False when the scored actors made no such decision."""

    fraction: float
    passed: bool
    feedback: str
    involved: bool = True
    details: list[str] = field(default_factory=list)


RuleFn = Callable[[RuleInput], Verdict]


@dataclass(frozen=True)
class Criterion:
    """A registered scoring rule."""

    key: str
    label: str
    kind: Kind
    fn: RuleFn


RULES: dict[str, Criterion] = {}


def rule(key: str, label: str, kind: Kind) -> Callable[[RuleFn], RuleFn]:
    """Register a scoring rule under the playbook weight `key`."""

    def register(fn: RuleFn) -> RuleFn:
        RULES[key] = Criterion(key=key, label=label, kind=kind, fn=fn)
        return fn

    return register


def timeliness(scaled_s: float | None, target_s: float | None) -> float:
    """Full credit up to the target, falling linearly to none at twice the target."""
    if scaled_s is None:
        return 0.0
    if target_s is None or scaled_s <= target_s:
        return 1.0
    return max(0.0, 2.0 - scaled_s / target_s)


def by_teammate(inp: RuleInput, event_types: Sequence[str]) -> Event | None:
    """The first such event since T0 by a teammate outside the scored actors, if any."""
    others = inp.team - inp.scope
    if not others:
        return None
    return inp.view.first_of(event_types, after=inp.view.t0, scope=others)

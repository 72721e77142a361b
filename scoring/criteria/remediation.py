"""The remediation rule: was the fault ended by the responder's action, and at what cost?

The first effective action is the one whose seq a `fault.reverted` with reason
`remediated` points to (`action_seq`). Actions the scenario lists as harmful,
or after which the SLIs got clearly worse, are harmful; every other action
taken while a fault was active is ineffective.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scoring.criteria.base import RuleInput, Verdict, rule
from scoring.events import Event
from scoring.impact import Impact, measure_impact
from scoring.phrases import action_label, action_phrase, clock, first_sentence

__all__ = ["ActionReview", "matches", "review_actions"]

EFFECTIVE_SHARE = 0.6
NO_HARM_SHARE = 0.25
FOCUS_SHARE = 0.15
# Each ineffective action costs a third of the focus share.
INEFFECTIVE_COST = 1 / 3


@dataclass(frozen=True)
class ActionReview:
    """One action and what it did."""

    event: Event
    verdict: str  # effective / harmful / ineffective / after recovery
    impact: Impact

    @property
    def label(self) -> str:
        return action_label(str(self.event.data.get("action", "")), self.event.data.get("args"))

    def line(self) -> str:
        return f"{clock(self.event.t)} {self.label} — {self.verdict}; {self.impact.describe()}"


def matches(spec: str, action: str, args: Any) -> bool:
    """Does an action match a scenario entry "action" or "action:arg"?"""
    name, _, wanted = spec.partition(":")
    if name != action:
        return False
    if not wanted:
        return True
    if isinstance(args, dict):
        values = [str(v) for v in args.values()]
    elif isinstance(args, list | tuple):
        values = [str(v) for v in args]
    else:
        values = [str(args)] if args is not None else []
    return wanted in values


def review_actions(inp: RuleInput) -> list[ActionReview]:
    """Every action by the scored actors since T0, judged."""
    view = inp.view
    if view.t0 is None:
        return []
    effective = {f.action_seq for f in view.faults if f.remediated and f.action_seq is not None}
    reviews = []
    for event in view.by("action.executed", inp.scope):
        if event.t < view.t0:
            continue
        action, args = str(event.data.get("action", "")), event.data.get("args")
        impact = measure_impact(view, event.t)
        if event.seq in effective:
            verdict = "effective"
        elif any(matches(h, action, args) for h in inp.expectations.harmful) or impact.worse:
            verdict = "harmful"
        elif view.faults_active_at(event.t):
            verdict = "ineffective"
        else:
            verdict = "after the fault ended"
        reviews.append(ActionReview(event, verdict, impact))
    return reviews


@rule("remediation", "Remediation", kind="decision")
def remediation(inp: RuleInput) -> Verdict:
    """60 % for ending the fault, 25 % for doing no harm, 15 % for not flailing."""
    reviews = review_actions(inp)
    details = [r.line() for r in reviews]
    fix = _accepted(inp)
    cause = first_sentence(inp.expectations.root_cause)
    if not reviews:
        ended = _how_fault_ended(inp)
        return Verdict(
            0.0,
            False,
            f"{inp.subject} took no remediation action; {ended}, and {fix} would have ended it.",
            involved=False,
        )
    effective = [r for r in reviews if r.verdict == "effective"]
    harmful = [r for r in reviews if r.verdict == "harmful"]
    wasted = [r for r in reviews if r.verdict == "ineffective"]
    if not effective:
        first = (harmful or wasted or reviews)[0]
        if first.verdict == "harmful":
            what = f"which made things worse ({first.impact.describe()})"
        else:
            what = f"but the root cause ({cause}) survived it"
        return Verdict(
            0.0,
            False,
            f"{inp.subject} {_did(first)} at {clock(first.event.t)}, {what}; {fix} would have"
            " ended it.",
            details=details,
        )
    fraction = EFFECTIVE_SHARE
    fraction += 0.0 if harmful else NO_HARM_SHARE
    fraction += FOCUS_SHARE * max(0.0, 1.0 - INEFFECTIVE_COST * len(wasted))
    good = effective[0]
    if harmful:
        bad = harmful[0]
        text = (
            f"{inp.subject} {_did(bad)} at {clock(bad.event.t)}, which made things worse"
            f" ({bad.impact.describe()}); {good.label} at {clock(good.event.t)} is what ended"
            " the fault."
        )
    elif wasted:
        bad = wasted[0]
        text = (
            f"{inp.subject} {_did(bad)} at {clock(bad.event.t)}, but the root cause ({cause})"
            f" survived it; {good.label} at {clock(good.event.t)} is what ended it."
        )
    else:
        text = (
            f"{inp.subject} {_did(good)} at {clock(good.event.t)} and that ended the fault"
            " — the right fix first time."
        )
    return Verdict(fraction, not harmful and not wasted, text, details=details)


def _did(review: ActionReview) -> str:
    return action_phrase(str(review.event.data.get("action", "")), review.event.data.get("args"))


def _accepted(inp: RuleInput) -> str:
    fixes = inp.expectations.remediations
    return " or ".join(fixes) if fixes else "the scenario's remediation"


def _how_fault_ended(inp: RuleInput) -> str:
    ends = [f for f in inp.view.faults if f.end is not None]
    if not ends:
        return "the fault was still active when the log ended"
    last = max(ends, key=lambda f: f.end or 0.0)
    return f"the fault ended at {clock(last.end)} ({last.reason})"

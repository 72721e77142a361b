"""The remediation rule: was the fault ended by the responder's action, and at what cost?

An action is effective when a fault's one end record (`fault.reverted`, reason
`remediated`) names it. Actions the scenario lists as harmful, or after which
the SLIs got clearly worse, are harmful; every other action taken while a fault
was active is ineffective. An action whose result is `unavailable` cannot act in
this environment and did nothing, so it is never harmful and costs nothing; one
whose result is `error` failed, and is reported as "failed: <reason>", never as
harmful (a failed action is not what moved the SLIs). All
times are when the responder acted (`action.started`; in a legacy log the
finish stands in for it). A fault that expired by itself earns nobody credit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scoring.criteria.base import RuleInput, Verdict, rule
from scoring.data_steps import SLIP_SHARE, order_slips
from scoring.drill import Action
from scoring.impact import Impact, measure_impact
from scoring.names import DATA_STEPS
from scoring.phrases import action_label, action_phrase, clock, first_sentence
from scoring.recovery import fault_end_phrase

__all__ = ["FAILED", "UNAVAILABLE", "ActionReview", "matches", "review_actions"]

EFFECTIVE_SHARE = 0.6
NO_HARM_SHARE = 0.25
FOCUS_SHARE = 0.15
# Each ineffective action costs a third of the focus share.
INEFFECTIVE_COST = 1 / 3
UNAVAILABLE = "not available here"
FAILED = "failed"
UNFINISHED = "still running when the log ended"
STEP = "a step of the data-loss response"


@dataclass(frozen=True)
class ActionReview:
    """One action and what it did."""

    action: Action
    verdict: str  # effective / harmful / ineffective / not available here / ...
    impact: Impact

    @property
    def label(self) -> str:
        return action_label(self.action.name, self.action.args)

    @property
    def t(self) -> float:
        """When the responder acted."""
        return self.action.start

    @property
    def reason(self) -> str:
        return first_sentence(self.action.detail or "no reason given").rstrip(".")

    def line(self) -> str:
        if self.verdict == UNAVAILABLE:
            return (
                f"{clock(self.t)} {self.label} — {UNAVAILABLE}: it cannot act in this"
                " environment, so it did nothing"
            )
        if self.verdict == FAILED:
            return f"{clock(self.t)} {self.label} — {FAILED}: {self.reason}"
        return f"{clock(self.t)} {self.label} — {self.verdict}; {self.impact.describe()}"


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
    """Every action by the scored actors since T0, judged at the moment they acted."""
    view = inp.view
    if view.t0 is None:
        return []
    effective = {f.action_key for f in view.faults if f.remediated and f.action_key is not None}
    reviews = []
    for action in view.actions_by(inp.scope):
        if action.start < view.t0:
            continue
        impact = measure_impact(view, action.start)
        if action.key in effective:
            verdict = "effective"
        elif action.unavailable:
            verdict = UNAVAILABLE
        elif action.errored:
            verdict = FAILED
        elif not action.finished:
            verdict = UNFINISHED
        elif action.name in DATA_STEPS and not any(
            matches(h, action.name, action.args) for h in inp.expectations.harmful
        ):
            verdict = STEP  # their order is judged by the data-steps rule, not here
        elif (
            any(matches(h, action.name, action.args) for h in inp.expectations.harmful)
            or impact.worse
        ):
            verdict = "harmful"
        elif view.faults_active_at(action.start):
            verdict = "ineffective"
        else:
            verdict = "after the fault ended"
        reviews.append(ActionReview(action, verdict, impact))
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
        fixed = all(f.remediated for f in inp.view.faults)
        return Verdict(
            0.0,
            False,
            f"{inp.subject} took no remediation action; {ended}"
            + ("." if fixed else f", and {fix} would have ended it."),
            involved=False,
        )
    effective = [r for r in reviews if r.verdict == "effective"]
    harmful = [r for r in reviews if r.verdict == "harmful"]
    wasted = [r for r in reviews if r.verdict == "ineffective"]
    if not effective:
        first = (harmful or wasted or reviews)[0]
        if first.verdict == "harmful":
            what = f"which made things worse ({first.impact.describe()})"
        elif first.verdict == UNAVAILABLE:
            what = "which is not available in this environment and did nothing"
        elif first.verdict == FAILED:
            what = f"which failed ({first.reason})"
        elif first.verdict == UNFINISHED:
            what = "which was still running when the log ended"
        elif first.verdict == "after the fault ended":
            what = f"after {_how_fault_ended(inp)}"
        else:
            what = f"but the root cause ({cause}) survived it"
        return Verdict(
            0.0,
            False,
            f"{inp.subject} {_did(first)} at {clock(first.t)}, {what}; {fix} would have"
            f" ended it{_before_expiry(inp)}.",
            details=details,
        )
    fraction = EFFECTIVE_SHARE
    fraction += 0.0 if harmful else NO_HARM_SHARE
    fraction += FOCUS_SHARE * max(0.0, 1.0 - INEFFECTIVE_COST * len(wasted))
    good = effective[0]
    if harmful:
        bad = harmful[0]
        text = (
            f"{inp.subject} {_did(bad)} at {clock(bad.t)}, which made things worse"
            f" ({bad.impact.describe()}); {good.label} at {clock(good.t)} is what ended"
            " the fault."
        )
    elif wasted:
        bad = wasted[0]
        text = (
            f"{inp.subject} {_did(bad)} at {clock(bad.t)}, but the root cause ({cause})"
            f" survived it; {good.label} at {clock(good.t)} is what ended it."
        )
    else:
        tried = [r for r in reviews if r.verdict == FAILED and r.t < good.t]
        first_time = (
            f", after {tried[0].label} at {clock(tried[0].t)} failed ({tried[0].reason})"
            if tried
            else " — the right fix first time"
        )
        text = (
            f"{inp.subject} {_did(good)} at {clock(good.t)} and that ended the fault{first_time}."
        )
    # A data incident's steps out of the playbook's order cost part of the points.
    slips = order_slips(inp.view, inp.view.actions_by(inp.scope))[:2]
    if slips:
        fraction = max(0.0, fraction - SLIP_SHARE * len(slips))
        text += " But " + "; and ".join(slips) + "."
    return Verdict(fraction, not harmful and not wasted and not slips, text, details=details)


def _did(review: ActionReview) -> str:
    return action_phrase(review.action.name, review.action.args)


def _accepted(inp: RuleInput) -> str:
    fixes = inp.expectations.remediations
    return " or ".join(fixes) if fixes else "the scenario's remediation"


def _before_expiry(inp: RuleInput) -> str:
    expired = [f for f in inp.view.faults if f.expired and f.end is not None]
    return f" before it expired at {clock(expired[0].end)}" if expired else ""


def _how_fault_ended(inp: RuleInput) -> str:
    ends = [f for f in inp.view.faults if f.end is not None]
    if not ends:
        return "the fault was still active when the log ended"
    last = max(ends, key=lambda f: f.end or 0.0)
    return fault_end_phrase(last, inp.view)

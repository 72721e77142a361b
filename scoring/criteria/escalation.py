"""The escalation rule: escalate when the ladder says so, never because nobody answered.

A `page.escalated` is classified by its optional `reason`, or else inferred:
if nobody had acknowledged by then, the page escalated because it went
unanswered, which counts against the team. An escalation for an incident
still unresolved when the ladder's `unresolved` rung came due is appropriate.
A manual escalation (by a responder) before any rung was due is needless.
"""

from __future__ import annotations

from dataclasses import dataclass

from scoring.criteria.base import RuleInput, Verdict, rule
from scoring.drill import DrillView
from scoring.events import Event
from scoring.phrases import clock, span

__all__ = ["Escalation", "classify_escalations", "was_escalated"]

NEEDLESS = 0.5
MISSED = 0.5


@dataclass(frozen=True)
class Escalation:
    event: Event
    reason: str  # unacknowledged / unresolved / needless


def was_escalated(view: DrillView) -> bool:
    """True when any page escalated during the incident (the playbook's escalation rate)."""
    return view.t0 is not None and any(e.t >= view.t0 for e in view.of("page.escalated"))


def classify_escalations(inp: RuleInput) -> list[Escalation]:
    """Why each escalation happened."""
    view = inp.view
    if view.t0 is None:
        return []
    ack = view.first("incident.acknowledged", scope=inp.team)
    found = []
    for event in view.of("page.escalated"):
        if event.t < view.t0:
            continue
        given = event.data.get("reason")
        if given in ("unacknowledged", "unresolved", "manual"):
            reason = str(given)
        elif event.actor not in inp.scope and (ack is None or ack.t > event.t):
            reason = "unacknowledged"
        else:
            reason = "manual" if event.actor in inp.scope else "unresolved"
        if reason == "manual":
            reason = "unresolved" if _rung_due(inp, event.t) else "needless"
        found.append(Escalation(event, reason))
    return found


def _rung_due(inp: RuleInput, t: float) -> bool:
    page = inp.view.first("page.sent", after=inp.view.t0)
    start = page.t if page else (inp.view.t0 or 0.0)
    elapsed = inp.view.scaled(t - start)
    return any(
        step.condition == "unresolved" and elapsed >= due
        for due, step in inp.playbook.escalation_schedule(inp.expectations.severity)
    )


def _first_unresolved_due(inp: RuleInput) -> float | None:
    for due, step in inp.playbook.escalation_schedule(inp.expectations.severity):
        if step.condition == "unresolved":
            return due
    return None


@rule("escalation", "Escalation", kind="team")
def escalation(inp: RuleInput) -> Verdict:
    """Unanswered pages cost everything, needless or missed escalations half."""
    found = classify_escalations(inp)
    unanswered = [e for e in found if e.reason == "unacknowledged"]
    if unanswered:
        first = unanswered[0]
        target = first.event.data.get("target", "the next rung")
        return Verdict(
            0.0,
            False,
            f"Nobody acknowledged the page, so at {clock(first.event.t)}"
            f" it escalated to {target}; answering the first page is what keeps an"
            " incident with the on-call engineer.",
        )
    needless = [e for e in found if e.reason == "needless"]
    if needless:
        return Verdict(
            NEEDLESS,
            False,
            f"{inp.subject} escalated at"
            f" {clock(needless[0].event.t)} before the ladder called for it; escalate"
            " when a rung's condition holds, not to share the worry.",
        )
    if found:
        level = found[0].event.data.get("level", "?")
        return Verdict(
            1.0,
            True,
            f"The incident escalated to level {level} at"
            f" {clock(found[0].event.t)} because it was still unresolved, as the"
            " ladder prescribes.",
        )
    due = _first_unresolved_due(inp)
    view = inp.view
    page = view.first("page.sent", after=view.t0) if view.t0 is not None else None
    resolved = view.last("incident.resolved", scope=inp.team)
    if page is not None and due is not None:
        stop = resolved.t if resolved else view.end_t
        if view.scaled(stop - page.t) >= due:
            return Verdict(
                MISSED,
                False,
                f"The incident was still unresolved {span(due)} after"
                " the first page, when the ladder calls in the next rung, but nobody"
                " escalated.",
            )
    if page is None:
        return Verdict(1.0, True, "No page went out, so there was nothing to escalate.")
    return Verdict(
        1.0,
        True,
        "No escalation was needed: the page was answered and the incident"
        " closed before the ladder's next rung came due.",
    )

"""The review's Action Items, pre-filled from what went wrong.

One builder per criterion (a registry keyed like the scoring rules) turns a
failed criterion into specific, owned, time-bound items, as the playbook asks.
Due dates are a week after the drill (the playbook reviews within 5-7 days).
The items the team wrote in its submitted review come first, as written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from pydantic import BaseModel

from scoring.criteria.communication import UPDATE_CADENCE_S
from scoring.phrases import first_sentence, span
from scoring.playbook import Playbook
from scoring.report.review import SubmittedReview
from scoring.scorecard import CriterionResult, Scorecard

__all__ = ["ActionItem", "action_items"]

DUE_AFTER = timedelta(days=7)


class ActionItem(BaseModel):
    item: str
    owner: str
    due: str
    status: str = "Open"
    source: str = "scorecard"  # "review": written by the team in its submitted review


Builder = Callable[[Scorecard, Playbook, CriterionResult], list[tuple[str, str]]]


def _people(card: Scorecard) -> str:
    # Those who took part; a participant who made no decision owns nothing of it.
    active = [p.name for p in card.participants if p.note is None]
    return ", ".join(active) or card.team.name


def _commander(card: Scorecard) -> str:
    for p in card.participants:
        if "command" in p.role.lower():
            return p.name
    return _people(card)


def _alerts(card: Scorecard, pb: Playbook) -> list[tuple[str, str]]:
    # A late or missing alert is a monitoring gap whoever noticed first.
    owner = pb.routing.get("infrastructure", "sre")
    took = {True: "took {}", False: "never fired"}
    return [
        (
            f"Make the {a.name} alert fire at {a.severity} or worse within {span(a.within_s)}"
            f" of this fault (it {took[a.latency_s is not None].format(span(a.latency_s))})",
            owner,
        )
        for a in card.alerts
        if not a.passed
    ]


def _detection(card: Scorecard, pb: Playbook, r: CriterionResult) -> list[tuple[str, str]]:
    return [
        (
            "Practise reading the SLI dashboards between pages so incidents are noticed"
            " within the MTTD target",
            _people(card),
        )
    ]


def _ack(card: Scorecard, pb: Playbook, r: CriterionResult) -> list[tuple[str, str]]:
    target = pb.severities[card.true_severity].response_time_s
    return [
        (
            f"Check on-call alerting reaches people: acknowledge {card.true_severity} pages"
            f" within {span(target)}",
            _people(card),
        )
    ]


def _severity(card: Scorecard, pb: Playbook, r: CriterionResult) -> list[tuple[str, str]]:
    level = pb.severities[card.true_severity]
    return [
        (
            f"Severity refresher with the playbook's examples: {card.true_severity}"
            f" ({level.label}) is '{level.definition}'",
            _people(card),
        )
    ]


def _routing(card: Scorecard, pb: Playbook, r: CriterionResult) -> list[tuple[str, str]]:
    return [
        (
            f"Add to the runbook that {card.root_cause_area} problems like this go to the"
            f" {card.expected_team} team",
            _commander(card),
        )
    ]


def _remediation(card: Scorecard, pb: Playbook, r: CriterionResult) -> list[tuple[str, str]]:
    fix = " or ".join(card.remediations)
    items = [
        (
            f"Write the runbook step for '{first_sentence(card.root_cause)}': apply {fix}",
            card.expected_team,
        )
    ]
    harmful = [d.split(" — ")[0] for d in r.details if " — harmful" in d]
    if harmful:
        items.append(
            (
                f"Add a warning to the runbook: {'; '.join(harmful)} made things worse"
                " in this drill",
                card.expected_team,
            )
        )
    return items


def _recovery(card: Scorecard, pb: Playbook, r: CriterionResult) -> list[tuple[str, str]]:
    if card.team.clocks["time_to_recover"].no_credit:
        return []  # nobody fixed it: the remediation's runbook item says what to do, not speed
    target = pb.severities[card.true_severity].mttr_target_s
    goal = f" below the {span(target)} MTTR target" if target else ""
    return [
        (
            f"Automate or script {' or '.join(card.remediations)} to bring recovery{goal}",
            card.expected_team,
        )
    ]


def _communication(card: Scorecard, pb: Playbook, r: CriterionResult) -> list[tuple[str, str]]:
    cadence = UPDATE_CADENCE_S.get(card.true_severity)
    every = f" every {span(cadence)}" if cadence else ""
    return [
        (
            f"Post the incident update template ({', '.join(pb.update_template)}){every}"
            " during incidents",
            _commander(card),
        )
    ]


def _escalation(card: Scorecard, pb: Playbook, r: CriterionResult) -> list[tuple[str, str]]:
    return [
        (
            "Review why the page went unanswered or escalation did not match the ladder;"
            " test the on-call schedule and notification channels",
            _commander(card),
        )
    ]


def _discipline(card: Scorecard, pb: Playbook, r: CriterionResult) -> list[tuple[str, str]]:
    return [
        (
            f"Resolve only after {span(pb.confirm_recovery_s)} of healthy SLIs, moving"
            " through INVESTIGATING, IDENTIFIED and MONITORING",
            _commander(card),
        )
    ]


def _hints(card: Scorecard, pb: Playbook, r: CriterionResult) -> list[tuple[str, str]]:
    return [("Document the diagnosis path the hints pointed to in the runbook", _people(card))]


BUILDERS: dict[str, Builder] = {
    "detection": _detection,
    "acknowledgement": _ack,
    "severity": _severity,
    "routing": _routing,
    "remediation": _remediation,
    "recovery": _recovery,
    "communication": _communication,
    "escalation": _escalation,
    "resolution_discipline": _discipline,
    "hints": _hints,
}


def action_items(
    card: Scorecard, playbook: Playbook, review: SubmittedReview | None = None
) -> list[ActionItem]:
    """The team's own items from its review, then one for every criterion short of full
    points (so that "no gaps" is said only when every criterion is full)."""
    due = (card.started_at + DUE_AFTER).date().isoformat() if card.started_at else "TBD"
    theirs = [
        ActionItem(item=i.item, owner=i.owner, due=i.due or due, status=i.status, source="review")
        for i in (review.action_items if review else [])
    ]
    found = _alerts(card, playbook)
    for result in card.team.criteria:
        builder = BUILDERS.get(result.key)
        if (not result.passed or result.ratio < 1.0) and builder is not None:
            found += builder(card, playbook, result)
    items: dict[str, ActionItem] = {i.item: i for i in theirs}
    for text, owner in found:
        items.setdefault(text, ActionItem(item=text, owner=owner, due=due))
    return list(items.values())

"""Capability ratings on the four-level scale of US exercise evaluation (HSEEP).

Next to the points, each capability the playbook exercises — Detection, Triage,
Communication, Response, Resolution, Review — is rated:

| code | rating | when |
|---|---|---|
| P | Performed without challenges | its criteria earned at least 90 % of their points |
| S | Performed with some challenges | at least 60 % |
| M | Performed with major challenges | something was done, below 60 % |
| U | Unable to be performed | nothing was done (no points, or no such act at all) |

Review is rated on the submitted review itself: every field and an action item
(P), some fields (S), submitted but empty (M), none (U). Each rating carries the
events that justify it (time, what happened) and the criteria's sentences. Pure.
"""

from __future__ import annotations

from pydantic import BaseModel

from scoring.cards import ParticipantCard
from scoring.drill import DrillView, Scope
from scoring.events import Event
from scoring.phrases import clock

__all__ = ["CAPABILITIES", "LEVELS", "CapabilityRating", "rate", "rating_for"]

LEVELS: dict[str, str] = {
    "P": "Performed without challenges",
    "S": "Performed with some challenges",
    "M": "Performed with major challenges",
    "U": "Unable to be performed",
}
WITHOUT_CHALLENGES = 0.9
SOME_CHALLENGES = 0.6
REVIEW_FIELDS = ("what_happened", "why", "went_well", "went_badly", "improvements")

# capability -> (the criteria that measure it, the event types that justify it)
CAPABILITIES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Detection": (
        ("detection", "acknowledgement"),
        (
            "alert.firing",
            "report.received",
            "page.sent",
            "incident.declared",
            "incident.acknowledged",
        ),
    ),
    "Triage": (
        ("severity", "routing"),
        ("incident.severity_set", "incident.notified", "incident.assigned"),
    ),
    "Communication": (
        ("communication", "escalation"),
        ("incident.update_posted", "page.escalated"),
    ),
    # action.started: the moment the responder acted (the finish depends on the engine's tick)
    "Response": (("remediation", "hints"), ("action.started", "hint.given")),
    "Resolution": (
        ("recovery", "resolution_discipline"),
        ("service.recovered", "incident.resolved"),
    ),
    "Review": ((), ("review.submitted",)),
}
RESPONDER_TYPES = frozenset(
    {
        "incident.declared",
        "incident.acknowledged",
        "incident.severity_set",
        "incident.notified",
        "incident.assigned",
        "incident.update_posted",
        "action.started",
        "incident.resolved",
        "review.submitted",
    }
)
MAX_EVENTS = 6


class CapabilityRating(BaseModel):
    """One capability's rating and what justifies it."""

    capability: str
    code: str  # P / S / M / U
    rating: str
    share: float | None  # share of the capability's points earned (None: Review)
    events: list[str]  # "00:24 incident.severity_set P2", oldest first
    because: list[str]  # the criteria's feedback sentences


def rating_for(share: float, acted: bool) -> str:
    """The code for a share of points earned; U when nothing at all was done."""
    if not acted or share <= 0:
        return "U"
    if share >= WITHOUT_CHALLENGES:
        return "P"
    return "S" if share >= SOME_CHALLENGES else "M"


def _describe(event: Event) -> str:
    d = event.data
    args = " ".join(str(a) for a in d.get("args") or [])
    detail = {
        "alert.firing": f"{d.get('name')}/{d.get('severity')}",
        "report.received": f"{d.get('channel')}: {str(d.get('summary', ''))[:80]}",
        "page.sent": f"paged {d.get('target')}",
        "incident.severity_set": str(d.get("severity", "")),
        "incident.notified": str(d.get("channel", "")),
        "incident.assigned": str(d.get("team", "")),
        "action.started": f"{d.get('action')} {args}".strip(),
        "hint.given": str(d.get("text", ""))[:60],
        "page.escalated": f"level {d.get('level')}",
    }.get(event.type, "")
    who = f" by {event.actor}" if event.type in RESPONDER_TYPES else ""
    return f"{clock(event.t)} {event.type}{who}" + (f" {detail}" if detail else "")


def _events(view: DrillView, types: tuple[str, ...], scope: Scope) -> list[Event]:
    # From the view's per-type index, not a walk over every event (most are SLI samples).
    found = [
        e
        for kind in dict.fromkeys(types)
        for e in view.of(kind)
        if kind not in RESPONDER_TYPES or e.actor in scope
    ]
    # By time, then type: acts at the same moment read the same whatever order they were
    # logged (the sort is stable: within a type, the view's order stays).
    found.sort(key=lambda e: (e.t, e.type))
    if len(found) > MAX_EVENTS:  # the first few and the last one tell the story
        found = found[: MAX_EVENTS - 1] + found[-1:]
    return found


def _review(view: DrillView, scope: Scope) -> CapabilityRating:
    submitted = [e for e in view.of("review.submitted") if e.actor in scope]
    events = [_describe(e) for e in submitted]
    if not submitted:
        code, because = "U", ["No post-incident review was submitted."]
    else:
        data = submitted[-1].data
        fields = data.get("fields") if isinstance(data.get("fields"), dict) else data
        filled = [f for f in REVIEW_FIELDS if str((fields or {}).get(f, "")).strip()]
        items = data.get("action_items") or []
        if len(filled) == len(REVIEW_FIELDS) and items:
            code = "P"
        elif filled:
            code = "S"
        else:
            code = "M"
        because = [
            f"The review filled {len(filled)} of {len(REVIEW_FIELDS)} fields"
            f" and listed {len(items)} action item(s)."
        ]
    return CapabilityRating(
        capability="Review",
        code=code,
        rating=LEVELS[code],
        share=None,
        events=events,
        because=because,
    )


def rate(view: DrillView, card: ParticipantCard, scope: Scope) -> list[CapabilityRating]:
    """The six capability ratings of the party `card` scores (whose acts are `scope`)."""
    ratings = []
    for capability, (keys, types) in CAPABILITIES.items():
        if capability == "Review":
            ratings.append(_review(view, scope))
            continue
        criteria = [c for c in card.criteria if c.key in keys and c.max_points > 0]
        earned = sum(c.points for c in criteria)
        possible = sum(c.max_points for c in criteria)
        share = earned / possible if possible else 0.0
        events = _events(view, types, scope)
        acted = any(e.type in RESPONDER_TYPES for e in events) or capability in (
            "Detection",
            "Resolution",
        )
        code = rating_for(share, acted)
        ratings.append(
            CapabilityRating(
                capability=capability,
                code=code,
                rating=LEVELS[code],
                share=round(share, 3),
                events=[_describe(e) for e in events],
                because=[c.feedback for c in criteria],
            )
        )
    return ratings

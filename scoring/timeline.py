"""The drill's timeline in words, for reports and reviews.

Each event type that a person cares about has a formatter (a registry, not an
if/elif chain); `sli.sample` and unknown types are left out of the timeline
but still drawn as nothing more than data points in the charts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from scoring.drill import DrillView, actor_name
from scoring.events import Event
from scoring.phrases import action_label, clock

__all__ = ["CATEGORIES", "TimelineEntry", "build_timeline"]


class TimelineEntry(BaseModel):
    """One line of the timeline."""

    seq: int
    t: float
    clock: str
    actor: str
    type: str
    category: str
    text: str


Formatter = Callable[[dict[str, Any]], str]

# category -> colour used by the HTML report (kept here so charts and tables agree).
CATEGORIES: dict[str, str] = {
    "drill": "#6b7280",
    "fault": "#dc2626",
    "alert": "#ea580c",
    "page": "#d97706",
    "response": "#2563eb",
    "action": "#7c3aed",
    "recovery": "#16a34a",
    "hint": "#db2777",
}


def _g(data: dict[str, Any], key: str, default: str = "?") -> str:
    value = data.get(key)
    return default if value is None or value == "" else str(value)


def _update(data: dict[str, Any]) -> str:
    fields = data.get("fields")
    fields = fields if isinstance(fields, dict) else {}
    summary = fields.get("summary") or fields.get("status") or ""
    return f"posted an update: {summary}" if summary else "posted an update"


def _action(data: dict[str, Any]) -> str:
    label = action_label(_g(data, "action"), data.get("args"))
    result = data.get("result")
    return f"ran {label}" + (f" ({result})" if result and result != "ok" else "")


def _reverted(data: dict[str, Any]) -> str:
    return f"fault {_g(data, 'fault_id')} ({_g(data, 'kind')}) ended: {_g(data, 'reason')}"


FORMATTERS: dict[str, tuple[str, Formatter]] = {
    "drill.started": ("drill", lambda d: f"drill started: {_g(d, 'title', _g(d, 'scenario_id'))}"),
    "steady_state.reached": ("drill", lambda d: "steady state reached"),
    "fault.injected": (
        "fault",
        lambda d: f"fault {_g(d, 'fault_id')} injected: {_g(d, 'kind')} on {_g(d, 'target')}",
    ),
    "fault.reverted": ("fault", _reverted),
    "alert.firing": (
        "alert",
        lambda d: f"alert {_g(d, 'name')} firing ({_g(d, 'severity')}, value {_g(d, 'value')})",
    ),
    "alert.resolved": ("alert", lambda d: f"alert {_g(d, 'name')} resolved"),
    "page.sent": ("page", lambda d: f"paged {_g(d, 'target')} (level {_g(d, 'level')})"),
    "page.escalated": (
        "page",
        lambda d: f"page escalated to {_g(d, 'target')} (level {_g(d, 'level')})",
    ),
    "incident.declared": ("response", lambda d: "declared the incident"),
    "incident.acknowledged": ("response", lambda d: "acknowledged the page"),
    "incident.severity_set": ("response", lambda d: f"set severity {_g(d, 'severity')}"),
    "incident.assigned": ("response", lambda d: f"assigned team {_g(d, 'team')}"),
    "incident.status_changed": ("response", lambda d: f"status → {_g(d, 'to')}"),
    "incident.update_posted": ("response", _update),
    "diagnostic.viewed": ("response", lambda d: f"looked at {_g(d, 'name')}"),
    "action.executed": ("action", _action),
    "hint.given": ("hint", lambda d: f"hint: {_g(d, 'text', '')}"),
    "service.recovered": ("recovery", lambda d: "service measured as recovered"),
    "incident.resolved": ("recovery", lambda d: "resolved the incident"),
    "review.submitted": ("drill", lambda d: "review submitted"),
    "drill.aborted": ("drill", lambda d: f"drill aborted: {_g(d, 'reason', '')}"),
    "drill.finished": ("drill", lambda d: f"drill finished: {_g(d, 'outcome', '')}"),
}


def entry(event: Event) -> TimelineEntry | None:
    """The timeline line of one event, or None for samples and unknown types."""
    known = FORMATTERS.get(event.type)
    if known is None:
        return None
    category, formatter = known
    return TimelineEntry(
        seq=event.seq,
        t=event.t,
        clock=clock(event.t),
        actor=actor_name(event.actor),
        type=event.type,
        category=category,
        text=formatter(dict(event.data)),
    )


def build_timeline(view: DrillView) -> list[TimelineEntry]:
    """Everything that happened, in order, in words (the answer key is left out)."""
    entries = (entry(event) for event in view.events if event.type != "answer_key.revealed")
    return [e for e in entries if e is not None]

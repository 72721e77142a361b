"""The drill's timeline in words, for reports and reviews.

Each event type that a person cares about has a formatter (a registry, not an
if/elif chain); `sli.sample` and unknown types are left out of the timeline
but still drawn as nothing more than data points in the charts. A fault's end
is told from the fault's record: the action that ended it, or "expired at
mm:ss; nobody fixed it" when its TTL or the scenario's duration ran out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pydantic import BaseModel

from scoring.drill import DrillView, actor_name
from scoring.events import Event
from scoring.phrases import action_label, clock
from scoring.windows import normalise_reason

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


Formatter = Callable[[Mapping[str, object]], str]

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


def _g(data: Mapping[str, object], key: str, default: str = "?") -> str:
    value = data.get(key)
    return default if value is None or value == "" else str(value)


def _update(data: Mapping[str, object]) -> str:
    fields = data.get("fields")
    fields = fields if isinstance(fields, dict) else {}
    summary = fields.get("summary") or fields.get("status") or ""
    return f"posted an update: {summary}" if summary else "posted an update"


def _started(data: Mapping[str, object]) -> str:
    return f"ran {action_label(_g(data, 'action'), data.get('args'))}"


def _action(data: Mapping[str, object]) -> str:
    label = action_label(_g(data, "action"), data.get("args"))
    result = data.get("result")
    if "action_id" not in data:  # a legacy log: the only record of the action
        return f"ran {label}" + (f" ({result})" if result and result != "ok" else "")
    if result == "unavailable":
        return f"{label} is not available here: it cannot act in this environment and did nothing"
    took = data.get("duration_s")
    after = f" after {took:.1f}s" if isinstance(took, int | float) else ""
    if result == "error":
        detail = _g(data, "detail", "")
        return f"{label} failed{after}" + (f": {detail}" if detail else "")
    return f"{label} finished{after}"


# How each end reads (by the normalised reason of scoring.windows).
END_WORDS = {
    "remediated": "ended by a remediation",
    "ttl": "expired (its TTL ran out); nobody fixed it",
    "duration": "expired (the scenario's duration ran out); nobody fixed it",
    "operator": "reverted by an operator",
    "teardown": "reverted when the drill ended",
    "abort": "reverted when the drill was aborted",
}


def _reverted(data: Mapping[str, object]) -> str:
    reason = normalise_reason(data.get("reason"))
    how = END_WORDS.get(str(reason), f"ended: {_g(data, 'reason')}")
    return f"fault {_g(data, 'fault_id')} ({_g(data, 'kind')}) {how}"


def _fault_end(view: DrillView, event: Event) -> str:
    """A fault's end with what the log knows: the action that ended it, or that it expired."""
    fault = next((f for f in view.faults if f.end_seq == event.seq), None)
    if fault is None or fault.end is None:
        return _reverted(dict(event.data))
    name = f"fault {fault.fault_id} ({fault.kind})"
    action = view.action(fault.action_key)
    if fault.remediated and action is not None:
        return (
            f"{name} ended by {action_label(action.name, action.args)}"
            f" ({actor_name(action.actor)}, started at {clock(action.start)})"
        )
    if fault.expired:
        why = "its TTL ran out" if fault.reason == "ttl" else "the scenario's duration ran out"
        return f"{name} expired at {clock(fault.end)} ({why}); nobody fixed it"
    return _reverted(dict(event.data))


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
    "alert.resolved": (
        "alert",
        lambda d: (
            f"alert {_g(d, 'name')} {_g(d, 'severity')} "
            + (
                f"inhibited by {_g(d, 'inhibited_by')}"
                if d.get("reason") == "inhibited"
                else "resolved"
            )
        ),
    ),
    "page.sent": ("page", lambda d: f"paged {_g(d, 'target')} (level {_g(d, 'level')})"),
    "page.escalated": (
        "page",
        lambda d: f"page escalated to {_g(d, 'target')} (level {_g(d, 'level')})",
    ),
    "report.received": (
        "alert",
        lambda d: f"{_g(d, 'channel', 'report')} {_g(d, 'report_id', '')}: {_g(d, 'summary', '')}",
    ),
    "incident.notified": ("response", lambda d: f"notified via {_g(d, 'channel')}"),
    "incident.declared": ("response", lambda d: "declared the incident"),
    "incident.acknowledged": ("response", lambda d: "acknowledged the page"),
    "incident.severity_set": ("response", lambda d: f"set severity {_g(d, 'severity')}"),
    "incident.assigned": ("response", lambda d: f"assigned team {_g(d, 'team')}"),
    "incident.status_changed": ("response", lambda d: f"status → {_g(d, 'to')}"),
    "incident.update_posted": ("response", _update),
    "diagnostic.viewed": ("response", lambda d: f"looked at {_g(d, 'name')}"),
    "action.started": ("action", _started),
    "action.executed": ("action", _action),
    "hint.given": ("hint", lambda d: f"hint: {_g(d, 'text', '')}"),
    "service.recovered": ("recovery", lambda d: "service measured as recovered"),
    "incident.resolved": ("recovery", lambda d: "resolved the incident"),
    "review.submitted": ("drill", lambda d: "submitted the post-incident review"),
    "drill.aborted": ("drill", lambda d: f"drill aborted: {_g(d, 'reason', '')}"),
    "drill.finished": ("drill", lambda d: f"drill finished: {_g(d, 'outcome', '')}"),
}


def entry(event: Event, view: DrillView | None = None) -> TimelineEntry | None:
    """The timeline line of one event, or None for samples and unknown types.

    With the drill's view, a fault's end says which action ended it or that it expired.
    """
    known = FORMATTERS.get(event.type)
    if known is None:
        return None
    category, formatter = known
    if view is not None and event.type == "fault.reverted":
        text = _fault_end(view, event)
    else:
        text = formatter(dict(event.data))
    return TimelineEntry(
        seq=event.seq,
        t=event.t,
        clock=clock(event.t),
        actor=actor_name(event.actor),
        type=event.type,
        category=category,
        text=text,
    )


def build_timeline(view: DrillView) -> list[TimelineEntry]:
    """Everything that happened, in order, in words (the answer key is left out)."""
    entries = (entry(event, view) for event in view.events if event.type != "answer_key.revealed")
    return [e for e in entries if e is not None]

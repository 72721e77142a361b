"""What each role may see of a drill: the one place that keeps the answer key back.

Trainees and observers see the drill the way an on-call engineer would see a
real incident: alerts, pages, SLIs, what people did. They never see the
scenario's `expected` block, its faults (`fault.*` events, kinds, params), the
hints not yet given, the scenario id (ids name the cause: "db-lock") or the
drill id (it starts with the scenario id). This is an allow-list: an event type
nobody listed here is facilitator-only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scoring.events import Event
from scoring.timeline import entry

__all__ = ["TRAINEE_EVENTS", "facilitator_event", "redact", "trainee_event"]


def redact(value: Any, secret: str, stand_in: str = "drill") -> Any:
    """`value` with every occurrence of `secret` (the drill id: it names the scenario,
    and the drill's files live under it) replaced, in every string at any depth."""
    if isinstance(value, str):
        return value.replace(secret, stand_in)
    if isinstance(value, dict):
        return {k: redact(v, secret, stand_in) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v, secret, stand_in) for v in value]
    return value


def _started(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": data.get("title"),
        "time_scale": data.get("time_scale"),
        "team": data.get("team"),
        "participants": data.get("participants", []),
    }


def _same(data: dict[str, Any]) -> dict[str, Any]:
    return dict(data)


def _action(data: dict[str, Any]) -> dict[str, Any]:
    # The evidence and detail are the responder's own; nothing says which fault ended.
    return {
        k: v
        for k, v in data.items()
        if k in ("action_id", "action", "args", "result", "detail", "duration_s", "evidence")
    }


# type -> how its data is shown to trainees and observers.
TRAINEE_EVENTS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "drill.started": _started,
    "steady_state.reached": _same,
    "sli.sample": _same,
    "alert.firing": _same,
    "alert.resolved": _same,
    "page.sent": _same,
    "page.escalated": _same,
    "incident.declared": _same,
    "incident.acknowledged": _same,
    "incident.severity_set": _same,
    "incident.assigned": _same,
    "incident.status_changed": _same,
    "incident.update_posted": _same,
    "incident.notified": _same,
    "incident.resolved": _same,
    # A customer's ticket or a failed synthetic check: what support would forward.
    "report.received": _same,
    "diagnostic.viewed": _same,
    "action.started": _action,
    "action.executed": _action,
    "hint.given": lambda d: {"text": d.get("text"), "source": d.get("source")},
    "service.recovered": _same,
    "review.submitted": _same,
    "participant.joined": _same,
    # More time, not which faults were given it.
    "drill.extended": lambda d: {k: d.get(k) for k in ("seconds", "total_extra_s")},
    "drill.aborted": _same,
    "drill.finished": _same,
    "teardown.done": _same,
}


def _shaped(event: Event, data: dict[str, Any]) -> dict[str, Any]:
    # The report's timeline words (so page and report agree), from the shaped data only.
    line = entry(event.replace(data=data))
    if line is not None:
        text = line.text
    else:
        words = OTHER_TEXT.get(event.type)
        text = words(data) if words is not None else event.type
    return {
        "seq": event.seq,
        "type": event.type,
        "t": event.t,
        "wall": event.wall.timestamp(),
        "actor": event.actor,
        "data": data,
        "text": text,
        "category": line.category if line else "drill",
    }


# Words for the console's own event types (the report's timeline leaves them out).
OTHER_TEXT: dict[str, Callable[[dict[str, Any]], str]] = {
    "teardown.done": lambda d: f"service stopped and cleaned up ({d.get('seconds')} s)",
    "participant.joined": lambda d: f"{d.get('name')} joined ({d.get('role')})",
    "drill.extended": lambda d: f"the facilitator added {d.get('seconds'):g} s",
    "answer_key.revealed": lambda d: "answer key revealed",
    "notification.failed": lambda d: f"notifier {d.get('notifier')} failed: {d.get('error')}",
}


def trainee_event(event: Event) -> dict[str, Any] | None:
    """The event as a trainee or observer sees it, or None if they must not."""
    shape = TRAINEE_EVENTS.get(event.type)
    if shape is None:
        return None
    return _shaped(event, redact(shape(dict(event.data)), event.drill_id))


def facilitator_event(event: Event) -> dict[str, Any]:
    """Everything, for the facilitator (who holds the answer key anyway)."""
    return _shaped(event, dict(event.data))

"""Events -> notifications, and their delivery off the drill's threads."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from scoring.events import Event
from simulator.drill.eventlog import EventLog

__all__ = ["Dispatcher", "Notification", "Notifier", "notifications_for"]

log = logging.getLogger(__name__)
Action = Literal["trigger", "acknowledge", "resolve", "info"]
DRAIN_S = 5.0


@dataclass(frozen=True)
class Notification:
    """One thing to tell the on-call channel; `action` drives PagerDuty's incident."""

    action: Action
    title: str
    dedup_key: str
    timestamp: datetime
    severity: str = "info"  # critical / error / warning / info (PagerDuty's words)
    details: dict[str, Any] = field(default_factory=dict)


class Notifier(Protocol):
    """A channel; `send` raises on failure (the dispatcher records it and goes on)."""

    name: str

    def send(self, note: Notification) -> None: ...


PD_SEVERITY = {"critical": "critical", "high": "error", "medium": "warning"}


class _Tracker:
    """What the translation needs to remember: alerts by id, the incident, open or not."""

    def __init__(self) -> None:
        self.alerts: dict[str, dict[str, Any]] = {}
        self.incident_id = ""
        self.triggered = False
        self.resolved = False


def _dedup(event: Event) -> str:
    # Opaque but stable for the drill: the drill id starts with the scenario id,
    # which names the cause, and people in the drill read these channels.
    return "chaosdrill-" + hashlib.sha256(event.drill_id.encode()).hexdigest()[:16]


def _page(event: Event, seen: _Tracker) -> list[Notification]:
    alert = seen.alerts.get(str(event.data.get("alert_id")), {})
    name, sev = alert.get("name", "alert"), str(alert.get("severity", "high"))
    seen.triggered = True
    title = (
        f"Page level {event.data.get('level')} to {event.data.get('target')}: "
        f"{name} {sev} (value {alert.get('value', '?')}, threshold {alert.get('threshold', '?')})"
    )
    details = {"page_id": event.data.get("page_id"), "alert": name, "alert_severity": sev}
    return [_note(event, "trigger", title, PD_SEVERITY.get(sev, "error"), details)]


def _note(
    event: Event, action: Action, title: str, severity: str = "info", details: Any = None
) -> Notification:
    return Notification(
        action=action,
        title=title,
        dedup_key=_dedup(event),
        timestamp=event.wall,
        severity=severity,
        details={"actor": event.actor, "drill_time_s": event.t, **(details or {})},
    )


def _simple(text: Callable[[dict[str, Any]], str], action: Action = "info") -> Translator:
    def translate(event: Event, seen: _Tracker) -> list[Notification]:
        if action == "acknowledge" and not seen.triggered:
            return [_note(event, "info", text(event.data))]
        return [_note(event, action, text(event.data))]

    return translate


def _resolved(event: Event, seen: _Tracker) -> list[Notification]:
    seen.resolved = True
    return [_note(event, "resolve" if seen.triggered else "info", "Incident resolved")]


def _ended(event: Event, seen: _Tracker) -> list[Notification]:
    # A drill that ends with the incident open must not leave a PagerDuty incident open.
    text = f"Drill ended: {event.data.get('outcome') or event.data.get('reason') or 'done'}"
    notes = [_note(event, "info", text)]
    if seen.triggered and not seen.resolved:
        seen.resolved = True
        notes.append(_note(event, "resolve", "Drill ended; closing the page"))
    return notes


def _update(event: Event, _seen: _Tracker) -> list[Notification]:
    fields = event.data.get("fields") or {}
    lines = "; ".join(f"{k}: {v}" for k, v in fields.items() if v)
    return [_note(event, "info", f"Incident update: {lines}", details={"fields": fields})]


Translator = Callable[[Event, _Tracker], list[Notification]]

TRANSLATORS: dict[str, Translator] = {
    "page.sent": _page,
    "page.escalated": _simple(
        lambda d: f"Page escalated to level {d.get('level')}: {d.get('target')}"
    ),
    "incident.acknowledged": _simple(lambda d: "Page acknowledged", "acknowledge"),
    "incident.severity_set": _simple(lambda d: f"Severity set to {d.get('severity')}"),
    "incident.assigned": _simple(lambda d: f"Assigned to team {d.get('team')}"),
    "incident.status_changed": _simple(lambda d: f"Status {d.get('from')} -> {d.get('to')}"),
    "incident.update_posted": _update,
    "incident.resolved": _resolved,
    "drill.finished": _ended,
    "drill.aborted": _ended,
}


def notifications_for(events: list[Event]) -> list[Notification]:
    """The notifications a sequence of events produces (pure; the dispatcher's core)."""
    seen = _Tracker()
    notes: list[Notification] = []
    for event in events:
        notes.extend(_translate(event, seen))
    return notes


def _translate(event: Event, seen: _Tracker) -> list[Notification]:
    if event.type == "alert.firing":
        seen.alerts[str(event.data.get("alert_id"))] = dict(event.data)
        return []
    translator = TRANSLATORS.get(event.type)
    if translator is None:
        return []
    notes = translator(event, seen)
    incident = event.data.get("incident_id")
    if isinstance(incident, str):
        seen.incident_id = incident
    if seen.incident_id:
        notes = [
            dataclasses.replace(n, details={"incident_id": seen.incident_id, **n.details})
            for n in notes
        ]
    return notes


class Dispatcher:
    """Subscribes to a log and delivers its notifications from a worker thread."""

    def __init__(self, notifiers: list[Notifier], event_log: EventLog) -> None:
        self.notifiers = notifiers
        self.log = event_log
        self.sent = 0
        self.failed = 0
        self._seen = _Tracker()
        self._queue: queue.Queue[Notification | None] = queue.Queue()
        self._thread = threading.Thread(target=self._deliver, name="notify", daemon=True)
        self._thread.start()
        event_log.subscribe(self._on_event)

    def _on_event(self, event: Event) -> None:
        for note in _translate(event, self._seen):
            self._queue.put(note)

    def _deliver(self) -> None:
        while (note := self._queue.get()) is not None:
            for notifier in self.notifiers:
                try:
                    notifier.send(note)
                    self.sent += 1
                except Exception as exc:  # a failing channel must never stop a drill
                    self.failed += 1
                    log.warning("notifier %s failed: %s", notifier.name, exc)
                    self.log.append(
                        "notification.failed",
                        {"notifier": notifier.name, "title": note.title, "error": str(exc)},
                        "notifier",
                    )

    def close(self, timeout_s: float = DRAIN_S) -> None:
        """Stop listening, deliver what is queued (bounded in time), stop the thread."""
        self.log.unsubscribe(self._on_event)
        self._queue.put(None)
        self._thread.join(timeout_s)

"""A read-only, indexed view of one drill's event log.

Scoring rules and clocks ask the same questions many times ("when was the
first page?", "which actions did Alice run?"); `DrillView` answers them from
one pass over the events so that scoring a 500-event log stays cheap.
Unknown event types are kept in `events` and simply never asked about.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from scoring.events import Event

__all__ = [
    "AUTOPILOT",
    "TRAINEE_PREFIX",
    "DrillView",
    "FaultWindow",
    "Scope",
    "actor_name",
    "is_trainee",
]

TRAINEE_PREFIX = "trainee:"
AUTOPILOT = "autopilot"

# Event types (besides incident.*) that only a responder's decision produces.
DECISIONS = frozenset({"action.executed", "page.escalated"})

Scope = frozenset[str]
"""The actors whose decisions are being scored (one trainee, the team, the autopilot)."""


def is_trainee(actor: str) -> bool:
    """True for people ("trainee:NAME")."""
    return actor.startswith(TRAINEE_PREFIX)


def actor_name(actor: str) -> str:
    """The display name of an actor: "trainee:alice" -> "alice"."""
    return actor[len(TRAINEE_PREFIX) :] if is_trainee(actor) else actor


@dataclass(frozen=True)
class FaultWindow:
    """One injected fault from injection to revert (end None: never reverted in the log)."""

    fault_id: str
    kind: str
    target: str
    start: float
    end: float | None
    reason: str | None
    action_seq: int | None

    @property
    def remediated(self) -> bool:
        """Ended by a responder's action ("remediated", or "remediated:ACTION")."""
        return self.reason is not None and self.reason.split(":")[0] == "remediated"

    def active_at(self, t: float) -> bool:
        return self.start <= t and (self.end is None or t < self.end)


class DrillView:
    """Events of one drill in order, indexed by type and seq."""

    def __init__(self, events: Iterable[Event]) -> None:
        self.events: list[Event] = sorted(events, key=attrgetter("t", "seq"))
        self.by_seq: dict[int, Event] = {}
        self._by_type: dict[str, list[Event]] = {}
        for event in self.events:
            self.by_seq[event.seq] = event
            self._by_type.setdefault(event.type, []).append(event)
        self.drill_id = self.events[0].drill_id if self.events else ""
        started = self.first("drill.started")
        self.started_data = dict(started.data) if started else {}
        self.time_scale = _time_scale(self.started_data.get("time_scale"))
        self.faults = _fault_windows(self._by_type)
        self.t0: float | None = self.faults[0].start if self.faults else None
        self.end_t: float = self.events[-1].t if self.events else 0.0
        self.aborted: Event | None = self.first("drill.aborted")
        self.scenario_id = str(self.started_data.get("scenario_id", ""))
        self.title = str(self.started_data.get("title", self.scenario_id))
        self._trainees = self._find_trainees()
        self._autopilot_acted = any(e.actor == AUTOPILOT for e in self.events)
        self._sli_times: list[float] | None = None
        # Results that several scored parties ask for (an action's SLI impact), by key.
        self.memo: dict[tuple[object, ...], object] = {}

    def of(self, event_type: str) -> list[Event]:
        """All events of one type, in time order (empty when none)."""
        return self._by_type.get(event_type, [])

    def first(
        self,
        event_type: str,
        *,
        after: float | None = None,
        scope: Scope | None = None,
        where: Callable[[Event], bool] | None = None,
    ) -> Event | None:
        """The first event of a type at or after `after`, by an actor in `scope`."""
        for event in self.of(event_type):
            if after is not None and event.t < after:
                continue
            if scope is not None and event.actor not in scope:
                continue
            if where is not None and not where(event):
                continue
            return event
        return None

    def last(self, event_type: str, *, scope: Scope | None = None) -> Event | None:
        """The last event of a type by an actor in `scope`."""
        for event in reversed(self.of(event_type)):
            if scope is None or event.actor in scope:
                return event
        return None

    def by(self, event_type: str, scope: Scope | None) -> list[Event]:
        """Events of one type by actors in `scope` (all when scope is None)."""
        events = self.of(event_type)
        return events if scope is None else [e for e in events if e.actor in scope]

    def first_of(
        self, event_types: Sequence[str], *, after: float | None = None, scope: Scope | None = None
    ) -> Event | None:
        """The earliest event among several types."""
        found = [self.first(kind, after=after, scope=scope) for kind in event_types]
        candidates = [event for event in found if event is not None]
        return min(candidates, key=lambda e: (e.t, e.seq)) if candidates else None

    def trainees(self) -> list[str]:
        """Trainees: declared participants, then anyone who made a decision, in order."""
        return list(self._trainees)

    def _participants(self) -> list[dict[str, Any]]:
        """Declared at the start, then those who joined later (`participant.joined`)."""
        declared = [p for p in self.started_data.get("participants", []) if isinstance(p, dict)]
        joined = [e.data for e in self._by_type.get("participant.joined", [])]
        return [*declared, *joined]

    def _find_trainees(self) -> list[str]:
        declared = [
            TRAINEE_PREFIX + str(p.get("name")) for p in self._participants() if p.get("name")
        ]
        # Chatting or looking at a dashboard does not make someone a responder; a decision does.
        seen = [
            e.actor
            for kind, events in self._by_type.items()
            if kind.startswith("incident.") or kind in DECISIONS
            for e in events
            if is_trainee(e.actor)
        ]
        seen.sort(key=lambda actor: self._first_seq(actor))
        return list(dict.fromkeys([*declared, *seen]))

    def _first_seq(self, actor: str) -> float:
        return next((e.t for e in self.events if e.actor == actor), 0.0)

    def sli_times(self) -> list[float]:
        """Times of the `sli.sample` events (cached; for bisecting windows)."""
        if self._sli_times is None:
            self._sli_times = [e.t for e in self.of("sli.sample")]
        return self._sli_times

    def role_of(self, actor: str) -> str:
        """The role a participant was given (at the start or on joining), or ""."""
        for participant in self._participants():
            if participant.get("name") == actor_name(actor):
                return str(participant.get("role", ""))
        return ""

    def responders(self) -> Scope:
        """Whose decisions make the team's score: the trainees, or the autopilot alone."""
        people = self._trainees
        if people:
            return frozenset(people)
        return frozenset({AUTOPILOT})

    def has_autopilot_baseline(self) -> bool:
        """True when an autopilot acted alongside trainees (a baseline in the same log)."""
        return bool(self._trainees) and self._autopilot_acted

    def faults_active_at(self, t: float) -> list[FaultWindow]:
        return [fault for fault in self.faults if fault.active_at(t)]

    def scaled(self, drill_seconds: float) -> float:
        """Drill seconds as real incident seconds (the targets' unit)."""
        return drill_seconds * self.time_scale


def _time_scale(raw: object) -> float:
    # A malformed scale must not silently inflate or zero every clock.
    if raw is None:
        return 1.0
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ValueError(f"drill.started.data.time_scale is {raw!r}; it must be a positive number")
    try:
        scale = float(raw)
    except ValueError:
        raise ValueError(
            f"drill.started.data.time_scale is {raw!r}; it must be a positive number"
        ) from None
    if not scale > 0:
        raise ValueError(f"drill.started.data.time_scale is {raw!r}; it must be a positive number")
    return scale


def _fault_windows(by_type: dict[str, list[Event]]) -> list[FaultWindow]:
    reverts: dict[str, Event] = {}
    for event in by_type.get("fault.reverted", []):
        reverts.setdefault(str(event.data.get("fault_id", "")), event)
    windows = []
    for event in by_type.get("fault.injected", []):
        fault_id = str(event.data.get("fault_id", ""))
        revert = reverts.get(fault_id)
        action_seq = revert.data.get("action_seq") if revert else None
        if revert is not None and not isinstance(action_seq, int):
            action_seq = _action_named_in(revert, by_type.get("action.executed", []))
        windows.append(
            FaultWindow(
                fault_id=fault_id,
                kind=str(event.data.get("kind", "")),
                target=str(event.data.get("target", "")),
                start=event.t,
                end=revert.t if revert else None,
                reason=str(revert.data.get("reason")) if revert else None,
                action_seq=action_seq if isinstance(action_seq, int) else None,
            )
        )
    return windows


def _action_named_in(revert: Event, actions: list[Event]) -> int | None:
    # A revert without action_seq may still say "remediated:ACTION"; the last such
    # action before the revert is the one that ended the fault.
    reason = str(revert.data.get("reason", ""))
    kind, _, action = reason.partition(":")
    if kind != "remediated" or not action:
        return None
    before = [a for a in actions if a.t <= revert.t and a.data.get("action") == action]
    return before[-1].seq if before else None

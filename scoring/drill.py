"""A read-only, indexed view of one drill's event log.

Scoring rules and clocks ask the same questions many times ("when was the
first page?", "which actions did Alice run?"); `DrillView` answers them from
one pass over the events so that scoring a 500-event log stays cheap.
Unknown event types are kept in `events` and simply never asked about.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from operator import attrgetter

from scoring.events import Event
from scoring.payloads import Participant, declared_participants, participant_joined
from scoring.phrases import clock
from scoring.windows import Action, FaultWindow, build_actions, build_fault_windows

__all__ = [
    "AUTOPILOT",
    "LEGACY_ACTION_TIMES",
    "TRAINEE_PREFIX",
    "Action",
    "DrillView",
    "FaultWindow",
    "Scope",
    "actor_name",
    "is_trainee",
]

TRAINEE_PREFIX = "trainee:"
AUTOPILOT = "autopilot"

# Event types (besides incident.*) that only a responder's decision produces.
DECISIONS = frozenset({"action.started", "action.executed", "page.escalated", "review.submitted"})

LEGACY_ACTION_TIMES = "action times are when actions finished: this log predates action.started"

Scope = frozenset[str]
"""The actors whose decisions are being scored (one trainee, the team, the autopilot)."""


def is_trainee(actor: str) -> bool:
    """True for people ("trainee:NAME")."""
    return actor.startswith(TRAINEE_PREFIX)


def actor_name(actor: str) -> str:
    """The display name of an actor: "trainee:alice" -> "alice"."""
    return actor[len(TRAINEE_PREFIX) :] if is_trainee(actor) else actor


class DrillView:
    """Events of one drill in order, indexed by type and seq."""

    def __init__(self, events: Iterable[Event]) -> None:
        self.events: list[Event] = sorted(events, key=attrgetter("t", "seq"))
        self.by_seq: dict[int, Event] = {event.seq: event for event in self.events}
        by_type: defaultdict[str, list[Event]] = defaultdict(list)
        for event in self.events:
            by_type[event.type].append(event)
        self._by_type: dict[str, list[Event]] = dict(by_type)
        # When each actor first appears (the earliest event wins: built from the end).
        self._first_t: dict[str, float] = {e.actor: e.t for e in reversed(self.events)}
        self.drill_id = self.events[0].drill_id if self.events else ""
        started = self.first("drill.started")
        self.started_data = dict(started.data) if started else {}
        self.time_scale = _time_scale(self.started_data.get("time_scale"))
        self.actions: list[Action] = build_actions(self._by_type)
        self.faults: list[FaultWindow] = build_fault_windows(self._by_type, self.actions)
        self.t0: float | None = min((f.start for f in self.faults), default=None)
        self.end_t: float = self.events[-1].t if self.events else 0.0
        self.aborted: Event | None = self.first("drill.aborted")
        self.finished: Event | None = self.last("drill.finished")
        self.scenario_id = str(self.started_data.get("scenario_id", ""))
        self.title = str(self.started_data.get("title", self.scenario_id))
        self._trainees = self._find_trainees()
        self._autopilot_acted = AUTOPILOT in self._first_t
        self._sli_times: list[float] | None = None
        self._deciders: frozenset[str] | None = None
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

    def _participants(self) -> list[Participant]:
        """Declared at the start, then those who joined later (`participant.joined`)."""
        joined = [participant_joined(e) for e in self._by_type.get("participant.joined", [])]
        return [*declared_participants(self.started_data), *joined]

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
        seen.sort(key=lambda actor: self._first_t.get(actor, 0.0))
        return list(dict.fromkeys([*declared, *seen]))

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

    @property
    def interrupted(self) -> bool:
        """Neither finished nor aborted: the engine was killed (SIGKILL) mid-drill."""
        return bool(self.events) and self.aborted is None and self.finished is None

    def interruption(self) -> str:
        """The sentence an interrupted drill carries on the scorecard and the report."""
        return f"interrupted at {clock(self.end_t)} (engine killed)"

    @property
    def legacy_action_times(self) -> bool:
        """True for a log with actions but no `action.started` (written before it existed)."""
        return bool(self.actions) and not self.of("action.started")

    def actions_by(self, scope: Scope | None) -> list[Action]:
        """Actions by actors in `scope` (all when None), in order of start."""
        return [a for a in self.actions if scope is None or a.actor in scope]

    def action(self, key: int | None) -> Action | None:
        """The action with this `Action.key`."""
        return next((a for a in self.actions if a.key == key), None) if key is not None else None

    def made_a_decision(self, actor: str) -> bool:
        """True when the actor made a decision (incident.*, an action, an escalation, a review)."""
        if self._deciders is None:
            self._deciders = frozenset(
                e.actor
                for kind, events in self._by_type.items()
                if kind.startswith("incident.") or kind in DECISIONS
                for e in events
            )
        return actor in self._deciders

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

"""Faults and actions as spans of drill time, read from the event log's records.

A responder's action is two events (the contract of issue 11): `action.started`,
logged before the remediation acts (its `t` is when the responder acted), and
`action.executed`, logged when it finished (result, duration, faults it ended),
paired by `action_id`. A log written before `action.started` existed has only the
finish; then the finish stands in for the start (`Action.legacy`).

What ended a fault is the fault manager's record, logged once per fault as
`fault.reverted` (`reason`, `action_id`, `action_seq`, `ended_wall`). Legacy
reasons are read as today's: `remediated:ACTION` as `remediated`, `drill-end` and
`cleanup` as `teardown`, `manual` as `operator`. The invariant checker
(scoring/invariants.py) refuses a log with two ends for one fault; scoring still
copes with one (`--force`): a `remediated` end wins, else the first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scoring.events import Event
from scoring.payloads import (
    ActionExecuted,
    action_executed,
    action_started,
    fault_injected,
    fault_reverted,
)

__all__ = [
    "EXPIRED",
    "NOT_FIXED",
    "Action",
    "FaultWindow",
    "build_actions",
    "build_fault_windows",
    "normalise_reason",
]

# How a fault may end (contract): by a responder's action, or by something else.
REMEDIATED = "remediated"
EXPIRED = frozenset({"ttl", "duration"})
NOT_FIXED = frozenset({"ttl", "duration", "operator", "teardown", "abort"})
LEGACY_REASONS = {"drill-end": "teardown", "cleanup": "teardown", "manual": "operator"}
# The end of a fault is logged on the engine's next tick, up to ~0.5 s after it happened;
# a larger gap between `ended_wall` and the event's wall is a clock step, not a delay.
MAX_LOG_DELAY_S = 5.0


def normalise_reason(raw: object) -> str | None:
    """A `fault.reverted` reason in today's words ("remediated:X" -> "remediated")."""
    if raw is None or raw == "":
        return None
    text = str(raw)
    head = text.split(":")[0]
    if head == REMEDIATED:
        return REMEDIATED
    return LEGACY_REASONS.get(text, text)


@dataclass(frozen=True)
class Action:
    """One responder action from start to finish.

    `start` is when the responder acted (`action.started`; the finish in a legacy
    log); `finish` is None for an action still running when the log ended.
    `key` identifies the action across the log (the seq of its first event).
    """

    key: int
    action_id: str | None
    actor: str
    name: str
    args: Any
    start: float
    finish: float | None
    result: str | None
    detail: str
    ended: tuple[str, ...]
    evidence: str | None
    started_seq: int | None
    executed_seq: int | None

    @property
    def legacy(self) -> bool:
        """True when the log has no `action.started` for it: its start is its finish."""
        return self.started_seq is None

    @property
    def unavailable(self) -> bool:
        """The action cannot act in this environment: it did nothing at all."""
        return self.result == "unavailable"

    @property
    def errored(self) -> bool:
        """The action failed with an error: what it did is unknown, not shown worse."""
        return self.result == "error"

    @property
    def finished(self) -> bool:
        return self.executed_seq is not None


@dataclass(frozen=True)
class FaultWindow:
    """One injected fault from injection to its end (end None: never ended in the log).

    `reason` is normalised (see `normalise_reason`); `raw_reason` is as logged.
    `action_key` is the `Action.key` of the action that ended it (remediated only).
    """

    fault_id: str
    kind: str
    target: str
    start: float
    end: float | None
    reason: str | None
    action_key: int | None
    end_seq: int | None = None
    raw_reason: str | None = None

    @property
    def remediated(self) -> bool:
        """Ended by a responder's action."""
        return self.reason == REMEDIATED

    @property
    def expired(self) -> bool:
        """Ended by itself: its TTL or the scenario's duration ran out."""
        return self.reason in EXPIRED

    @property
    def action_seq(self) -> int | None:
        """Kept for callers of the old view: the key of the action that ended it."""
        return self.action_key

    def active_at(self, t: float) -> bool:
        return self.start <= t and (self.end is None or t < self.end)


def build_actions(by_type: dict[str, list[Event]]) -> list[Action]:
    """Pair `action.started` and `action.executed` by `action_id`, in order of start."""
    started: dict[str, Event] = {}
    unpaired_starts: list[Event] = []
    for event in by_type.get("action.started", []):
        action_id = action_started(event).get("action_id")
        if isinstance(action_id, str) and action_id and action_id not in started:
            started[action_id] = event
        else:
            unpaired_starts.append(event)
    actions: list[Action] = []
    paired: set[str] = set()
    for done in by_type.get("action.executed", []):
        action_id = action_executed(done).get("action_id")
        begin = started.get(action_id) if isinstance(action_id, str) else None
        if begin is not None and isinstance(action_id, str) and action_id not in paired:
            paired.add(action_id)
            actions.append(_action(begin, done))
        else:
            actions.append(_action(None, done))
    for action_id, begin in started.items():
        if action_id not in paired:
            actions.append(_action(begin, None))
    actions.extend(_action(begin, None) for begin in unpaired_starts)
    actions.sort(key=lambda a: (a.start, a.key))
    return actions


def _action(begin: Event | None, done: Event | None) -> Action:
    first = begin if begin is not None else done
    assert first is not None
    finished = action_executed(done) if done else ActionExecuted()
    # What the start said wins; the finish adds its result.
    data = {**finished, **action_started(begin)} if begin else finished
    ended = finished.get("ended")
    evidence = data.get("evidence")
    action_id = data.get("action_id")
    return Action(
        key=first.seq,
        action_id=action_id if isinstance(action_id, str) and action_id else None,
        actor=first.actor,
        name=str(data.get("action", "")),
        args=data.get("args"),
        start=first.t,
        finish=done.t if done else None,
        result=str(finished.get("result", "ok")) if done else None,
        detail=str(finished.get("detail") or "") if done else "",
        ended=tuple(str(f) for f in ended) if isinstance(ended, list) else (),
        evidence=str(evidence) if evidence else None,
        started_seq=begin.seq if begin else None,
        executed_seq=done.seq if done else None,
    )


def build_fault_windows(
    by_type: dict[str, list[Event]], actions: Sequence[Action]
) -> list[FaultWindow]:
    """One window per injected fault, ended by its one `fault.reverted` record."""
    ends: dict[str, list[Event]] = {}
    for event in by_type.get("fault.reverted", []):
        ends.setdefault(str(fault_reverted(event).get("fault_id", "")), []).append(event)
    windows = []
    for event in by_type.get("fault.injected", []):
        injected = fault_injected(event)
        fault_id = str(injected.get("fault_id", ""))
        end = _the_end(ends.get(fault_id, []))
        reason = normalise_reason(fault_reverted(end).get("reason")) if end else None
        action = _ending_action(fault_id, end, actions) if reason == REMEDIATED else None
        windows.append(
            FaultWindow(
                fault_id=fault_id,
                kind=str(injected.get("kind", "")),
                target=str(injected.get("target", "")),
                start=_started_at(event),
                end=max(event.t, _ended_at(end)) if end else None,
                reason=reason,
                action_key=action.key if action else None,
                end_seq=end.seq if end else None,
                raw_reason=str(fault_reverted(end).get("reason")) if end else None,
            )
        )
    return windows


def _the_end(candidates: list[Event]) -> Event | None:
    # Exactly one per fault by contract; a forced score of a bad log keeps the
    # responder's end over a racing expiry (the race of issue 11), else the first.
    for event in candidates:
        if normalise_reason(fault_reverted(event).get("reason")) == REMEDIATED:
            return event
    return candidates[0] if candidates else None


def _ended_at(end: Event) -> float:
    """When the fault really ended: the record's `ended_wall`, on the log's clock."""
    raw = fault_reverted(end).get("ended_wall")
    if not isinstance(raw, str):
        return end.t
    try:
        ended = datetime.fromisoformat(raw)
    except ValueError:
        return end.t
    logged = end.wall
    if ended.tzinfo is None:
        ended = ended.replace(tzinfo=UTC)
    if logged.tzinfo is None:
        logged = logged.replace(tzinfo=UTC)
    delay = (logged - ended).total_seconds()
    if not 0.0 <= delay <= MAX_LOG_DELAY_S:
        return end.t
    # Walls carry microseconds: round so the same end reads the same however late it was logged.
    return round(end.t - delay, 6)


def _ending_action(fault_id: str, end: Event | None, actions: Sequence[Action]) -> Action | None:
    """The action a `remediated` end names: by id, by seq, by its `ended` list, or by name."""
    if end is None:
        return None
    record = fault_reverted(end)
    action_id = record.get("action_id")
    if isinstance(action_id, str) and action_id:
        found = next((a for a in actions if a.action_id == action_id), None)
        if found is not None:
            return found
    seq = record.get("action_seq")
    if isinstance(seq, int) and not isinstance(seq, bool):
        found = next((a for a in actions if seq in (a.started_seq, a.executed_seq)), None)
        if found is not None:
            return found
    claimed = [a for a in actions if fault_id in a.ended and a.start <= end.t]
    if claimed:
        return claimed[-1]
    # Legacy "remediated:ACTION": the last such action before the end.
    _, _, name = str(record.get("reason", "")).partition(":")
    named = [a for a in actions if name and a.name == name and a.start <= end.t]
    return named[-1] if named else None


def _started_at(injected: Event) -> float:
    """When the fault began to act: `started_t` (the injection's start, which a release
    that restarts the shop precedes by seconds), else the event's own time."""
    started = fault_injected(injected).get("started_t")
    if isinstance(started, int | float) and not isinstance(started, bool):
        return min(float(started), injected.t)
    return injected.t

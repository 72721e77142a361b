"""Typed views of the event payloads scoring reads (the contract of scoring/events.py).

An event's `data` is whatever JSON the log held, so each view is a TypedDict
whose keys are the contract's and whose values are `object`: mypy refuses a
misspelt key and makes the reader check a value's type before using it, as a
log written by another version (or edited by hand) may hold anything there.
A view is a `cast` of the event's own dict: no copy, no validation, no cost.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict, cast

from scoring.events import Event


class FaultInjected(TypedDict, total=False):
    fault_id: object
    kind: object
    params: object
    target: object
    ttl_s: object
    started_t: object  # when the fault began to act, if before the event was logged


class FaultReverted(TypedDict, total=False):
    fault_id: object
    kind: object
    reason: object  # remediated / duration / ttl / operator / teardown / abort (or legacy)
    action_id: object
    action_seq: object
    ended_wall: object


class ActionStarted(TypedDict, total=False):
    action_id: object
    action: object
    args: object
    evidence: object


class ActionExecuted(ActionStarted, total=False):
    result: object  # ok / error / unavailable
    detail: object
    duration_s: object
    ended: object  # the fault ids the action ended


class AlertFiring(TypedDict, total=False):
    alert_id: object
    name: object
    severity: object
    sli: object
    value: object
    threshold: object


class ServiceRecovered(TypedDict, total=False):
    slis: object
    confirm_window_s: object
    healthy_since_t: object


class Participant(TypedDict, total=False):
    """One of drill.started's `participants`, or a `participant.joined`'s data."""

    name: object
    role: object


def fault_injected(event: Event) -> FaultInjected:
    return cast(FaultInjected, event.data)


def fault_reverted(event: Event) -> FaultReverted:
    return cast(FaultReverted, event.data)


def action_started(event: Event) -> ActionStarted:
    return cast(ActionStarted, event.data)


def action_executed(event: Event) -> ActionExecuted:
    return cast(ActionExecuted, event.data)


def alert_firing(event: Event) -> AlertFiring:
    return cast(AlertFiring, event.data)


def service_recovered(event: Event) -> ServiceRecovered:
    return cast(ServiceRecovered, event.data)


def participant_joined(event: Event) -> Participant:
    return cast(Participant, event.data)


def declared_participants(started: Mapping[str, object]) -> list[Participant]:
    """drill.started's `participants` (a list of {name, role}); anything else is skipped."""
    listed = started.get("participants")
    return (
        [cast(Participant, p) for p in listed if isinstance(p, dict)]
        if isinstance(listed, list)
        else []
    )

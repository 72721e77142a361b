"""The drill's recovery: when the service was healthy again, and whether a fix did it.

`service.recovered` is the detector's fact that the SLIs stayed inside the
thresholds for the confirmation window. Scoring credits it to the responders
only when it belongs to their fix: every fault that broke the SLIs (active when
an alert fired; every fault when none fired) was ended by a responder's action
(`fault.reverted` reason `remediated`) before it. A recovery after a fault
expired (`ttl`, `duration`) or was reverted by an operator or the teardown is
a fact on the timeline, never credit.
"""

from __future__ import annotations

from dataclasses import dataclass

from scoring.drill import DrillView, FaultWindow, actor_name
from scoring.events import Event
from scoring.payloads import service_recovered
from scoring.phrases import action_label, clock

__all__ = ["Recovery", "breakers", "fault_end_phrase", "recovery", "recovery_event"]


@dataclass(frozen=True)
class Recovery:
    """The drill's recovery: as measured, and whether it belongs to a fix.

    `measured` is the first `service.recovered` once no fault is active (a fact:
    the SLIs were healthy). `credited` is the same event when every fault that
    broke the SLIs was ended by a responder's action before it, else None and
    `reason` says why in one clause (a fault expired, an operator reverted it).
    """

    measured: Event | None
    credited: Event | None
    reason: str | None = None


def recovery_event(view: DrillView) -> Event | None:
    """The `service.recovered` that ends the incident: the first once no fault is active."""
    return recovery(view).measured


def recovery(view: DrillView) -> Recovery:
    """The measured recovery and the recovery credited to a fix (cached on the view)."""
    cached = view.memo.get(("recovery",))
    if isinstance(cached, Recovery):
        return cached
    found = _recovery(view)
    view.memo[("recovery",)] = found
    return found


def _measured(view: DrillView) -> Event | None:
    if view.t0 is None:
        return None
    candidates = [e for e in view.of("service.recovered") if e.t >= view.t0]
    for event in candidates:
        if not view.faults_active_at(event.t):
            return event
    # A fault the SLIs never noticed may stay "active"; the first recovery still counts.
    return candidates[0] if candidates else None


def breakers(view: DrillView, before: float) -> list[FaultWindow]:
    """The faults that broke the SLIs: active when an alert fired (all, if none fired)."""
    started = [f for f in view.faults if f.start <= before]
    alerts = [e.t for e in view.of("alert.firing") if view.t0 is not None and e.t >= view.t0]
    alerted = [f for f in started if any(f.active_at(t) for t in alerts)]
    return alerted or started


def _recovery(view: DrillView) -> Recovery:
    measured = _measured(view)
    if measured is None:
        return Recovery(None, None)
    faults = breakers(view, measured.t)
    still = [f for f in faults if f.end is None or f.end > measured.t]
    if still:
        return Recovery(
            measured,
            None,
            f"fault {still[0].fault_id} ({still[0].kind}) was still active when the service"
            f" was measured as recovered at {clock(measured.t)}",
        )
    unfixed = [f for f in faults if not f.remediated]
    if unfixed:
        return Recovery(
            measured,
            None,
            f"the service recovered at {clock(measured.t)} only because"
            f" {fault_end_phrase(unfixed[0], view)}; a recovery counts only after the end"
            " that a remediation caused",
        )
    return Recovery(measured, measured)


def fault_end_phrase(fault: FaultWindow, view: DrillView | None = None) -> str:
    """How a fault ended, in words: "fault f1 (db.lock) expired at 04:00 (its TTL ran out)"."""
    name = f"fault {fault.fault_id} ({fault.kind})"
    when = clock(fault.end)
    action = view.action(fault.action_key) if view is not None else None
    if fault.remediated and action is not None:
        who = actor_name(action.actor)
        return f"{name} was ended at {when} by {action_label(action.name, action.args)} ({who})"
    return {
        "ttl": f"{name} expired at {when} (its TTL ran out) and nobody fixed it",
        "duration": f"{name} expired at {when} (the scenario's duration ran out)"
        " and nobody fixed it",
        "operator": f"an operator reverted {name} at {when}",
        "teardown": f"{name} was reverted at {when} when the drill ended",
        "abort": f"{name} was reverted at {when} when the drill was aborted",
        "remediated": f"{name} was ended at {when} by a remediation",
    }.get(str(fault.reason), f"{name} ended at {when} ({fault.raw_reason or 'no reason given'})")


def recovered_at(event: Event) -> float:
    """When the service recovered: the start of the window the detector confirmed
    (`healthy_since_t`), else the event's own time (logs written before it)."""
    since = service_recovered(event).get("healthy_since_t")
    if isinstance(since, int | float) and not isinstance(since, bool):
        return min(float(since), event.t)
    return event.t

"""The incident clocks of DESIGN.md, as pure functions over a drill's events.

T0 is the true fault start (the first `fault.injected`), which only the
simulator knows. Each clock is measured in drill seconds, converted to real
incident seconds with the drill's `time_scale`, and compared with the
playbook's target for the scenario's TRUE severity. A clock that never
stopped is reported as missing (value None and a reason), never as zero.

| clock | starts | stops |
|---|---|---|
| detection_latency | T0 | first `alert.firing` at or after T0 |
| mttd | T0 | first `incident.acknowledged` / `incident.declared` by a responder |
| mtta | first `page.sent` | first acknowledgement at or after it |
| time_to_identify | T0 | status changed to IDENTIFIED |
| time_to_recover | T0 | `service.recovered` once no fault is active, credited to a fix |
| mttr | T0 | last `incident.resolved`, only if a credited recovery came by then |

A recovery is credited only when every fault that broke the SLIs (active when
an alert fired) was ended by a responder's action before it: a recovery after a
fault expired (TTL, duration) or was reverted by an operator FAILS the recovery
clocks, with the reason, instead of timing nobody's fix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pydantic import BaseModel

from scoring.drill import DrillView, Scope
from scoring.events import Event
from scoring.phrases import clock
from scoring.playbook import Playbook, SeverityLevel
from scoring.recovery import (
    Recovery,
    breakers,
    fault_end_phrase,
    recovered_at,
    recovery,
    recovery_event,
)

__all__ = [
    "CLOCKS",
    "ClockResult",
    "Recovery",
    "breakers",
    "compute_clocks",
    "fault_end_phrase",
    "measure_clock",
    "recovery",
    "recovery_event",
]

RESPONSE_TYPES = ("incident.acknowledged", "incident.declared")


class ClockResult(BaseModel):
    """One measured clock; `drill_s` in drill time, `scaled_s` in real incident time."""

    name: str
    label: str
    start_t: float | None = None
    stop_t: float | None = None
    drill_s: float | None = None
    scaled_s: float | None = None
    target_s: float | None = None
    passed: bool | None = None
    margin_s: float | None = None
    reason: str | None = None
    note: str | None = None
    no_credit: bool = False

    @property
    def missed(self) -> bool:
        """Started but never stopped (a clock that never started is not applicable)."""
        return self.start_t is not None and self.stop_t is None

    @property
    def status(self) -> str:
        """PASS, FAIL, MISSED, n/a (never started) or "no target"."""
        if self.start_t is None:
            return "n/a"
        if self.stop_t is None:
            return "FAIL" if self.no_credit else "MISSED"
        if self.passed is None:
            return "no target"
        return "PASS" if self.passed else "FAIL"


@dataclass(frozen=True)
class _Span:
    start: float | None
    stop: float | None
    reason: str | None = None
    note: str | None = None
    failed: bool = False


Measure = Callable[[DrillView, Scope, Scope], _Span]


@dataclass(frozen=True)
class ClockSpec:
    """How one clock is measured and which playbook target applies to it."""

    name: str
    label: str
    measure: Measure
    target: Callable[[SeverityLevel], float | None]


def _not_started(view: DrillView) -> str:
    return "no fault was injected, so there was no incident to time"


def _never(view: DrillView, what: str, instead: str) -> str:
    # Say why the clock never stopped: an abort explains it better than silence.
    if view.aborted is not None:
        why = view.aborted.data.get("reason")
        suffix = f" ({why})" if why else ""
        return f"the drill was aborted at {clock(view.aborted.t)}{suffix} before {what}"
    if view.interrupted:
        return f"the drill was {view.interruption()} before {what}"
    return f"{instead} by the end of the log at {clock(view.end_t)}"


def _detection(view: DrillView, scope: Scope, team: Scope) -> _Span:
    if view.t0 is None:
        return _Span(None, None, _not_started(view))
    alert = view.first("alert.firing", after=view.t0)
    if alert is None:
        return _Span(view.t0, None, _never(view, "any alert fired", "no alert fired"))
    return _Span(view.t0, alert.t)


def _mttd(view: DrillView, scope: Scope, team: Scope) -> _Span:
    if view.t0 is None:
        return _Span(None, None, _not_started(view))
    noticed = view.first_of(RESPONSE_TYPES, after=view.t0, scope=scope)
    if noticed is None:
        return _Span(
            view.t0,
            None,
            _never(
                view,
                "anyone acknowledged or declared the incident",
                "nobody had acknowledged or declared the incident",
            ),
        )
    alert = view.first("alert.firing", after=view.t0)
    note = None
    if alert is None or noticed.t < alert.t:
        note = "the responder noticed before any alert fired"
    return _Span(view.t0, noticed.t, note=note)


def _mtta(view: DrillView, scope: Scope, team: Scope) -> _Span:
    if view.t0 is None:
        return _Span(None, None, _not_started(view))
    page = view.first("page.sent", after=view.t0)
    if page is None:
        return _Span(None, None, _never(view, "a page was sent", "no page was sent"))
    ack = view.first("incident.acknowledged", after=page.t, scope=scope)
    if ack is not None:
        return _Span(page.t, ack.t)
    earlier = view.first_of(RESPONSE_TYPES, after=view.t0, scope=scope)
    if earlier is not None and earlier.t <= page.t:
        # Already on it when the page went out: the page needed no acknowledging.
        return _Span(
            page.t, page.t, note="the incident was already declared when the page went out"
        )
    return _Span(
        page.t, None, _never(view, "the page was acknowledged", "the page was not acknowledged")
    )


def _identify(view: DrillView, scope: Scope, team: Scope) -> _Span:
    if view.t0 is None:
        return _Span(None, None, _not_started(view))
    identified = view.first(
        "incident.status_changed",
        after=view.t0,
        scope=scope,
        where=lambda e: e.data.get("to") == "IDENTIFIED",
    )
    if identified is None:
        return _Span(
            view.t0,
            None,
            _never(view, "the status was set to IDENTIFIED", "the status never reached IDENTIFIED"),
        )
    return _Span(view.t0, identified.t)


def _recover(view: DrillView, scope: Scope, team: Scope) -> _Span:
    if view.t0 is None:
        return _Span(None, None, _not_started(view))
    found = recovery(view)
    if found.measured is None:
        return _Span(
            view.t0,
            None,
            _never(
                view,
                "the service was measured as recovered",
                "the service was not measured as recovered",
            ),
        )
    if found.credited is None:
        return _Span(view.t0, None, found.reason, failed=True)
    return _Span(view.t0, recovered_at(found.credited))


def _mttr(view: DrillView, scope: Scope, team: Scope) -> _Span:
    if view.t0 is None:
        return _Span(None, None, _not_started(view))
    resolved = view.last("incident.resolved", scope=team)
    if resolved is None:
        return _Span(
            view.t0,
            None,
            _never(view, "the incident was resolved", "the incident was not resolved"),
        )
    found = recovery(view)
    if found.measured is not None and found.credited is None:
        return _Span(view.t0, None, f"the recovery earned no credit: {found.reason}", failed=True)
    recovered = found.credited
    if recovered is None or recovered.t > resolved.t:
        when = f"at {clock(recovered.t)}" if recovered else "at all"
        return _Span(
            view.t0,
            None,
            f"the incident was resolved at {clock(resolved.t)} but the service recovered {when};"
            " a resolution counts only once recovery is measured",
        )
    return _Span(view.t0, resolved.t)


CLOCKS: tuple[ClockSpec, ...] = (
    ClockSpec(
        "detection_latency", "Detection latency (alert)", _detection, lambda s: s.mttd_target_s
    ),
    ClockSpec("mttd", "MTTD (responder)", _mttd, lambda s: s.mttd_target_s),
    ClockSpec("mtta", "MTTA", _mtta, lambda s: s.response_time_s),
    ClockSpec("time_to_identify", "Time to identify", _identify, lambda s: None),
    ClockSpec("time_to_recover", "Time to recover", _recover, lambda s: s.mttr_target_s),
    ClockSpec("mttr", "MTTR (resolve)", _mttr, lambda s: s.mttr_target_s),
)


def measure_clock(
    spec: ClockSpec, view: DrillView, severity: SeverityLevel, scope: Scope, team: Scope
) -> ClockResult:
    """Measure one clock for the actors in `scope` (of `team`) and judge it against its target."""
    found = spec.measure(view, scope, team)
    target = spec.target(severity)
    drill_s = scaled = margin = None
    passed: bool | None = None
    if found.start is not None and found.stop is None:
        # Missed: a failure, never a zero; a recovery that was nobody's fix fails outright.
        passed = False if target is not None or found.failed else None
    elif found.start is not None and found.stop is not None:
        drill_s = max(0.0, found.stop - found.start)
        scaled = view.scaled(drill_s)
        passed = None if target is None else scaled <= target
        margin = None if target is None else target - scaled
    # A clock that never started (no fault, no page) has nothing to judge: all None.
    return ClockResult(
        name=spec.name,
        label=spec.label,
        start_t=found.start,
        stop_t=found.stop,
        drill_s=drill_s,
        scaled_s=scaled,
        target_s=target,
        passed=passed,
        margin_s=margin,
        reason=found.reason,
        note=found.note,
        no_credit=found.failed,
    )


def compute_clocks(
    events: Iterable[Event] | DrillView,
    playbook: Playbook,
    true_severity: str,
    scope: Scope | None = None,
    team: Scope | None = None,
) -> dict[str, ClockResult]:
    """Every clock of the drill, keyed by name, judged for the TRUE severity."""
    view = events if isinstance(events, DrillView) else DrillView(events)
    team = team if team is not None else view.responders()
    scope = scope if scope is not None else team
    severity = playbook.severities[true_severity]
    return {spec.name: measure_clock(spec, view, severity, scope, team) for spec in CLOCKS}

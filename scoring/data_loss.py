"""RPO and RTO of a data-loss drill, from the event log alone.

RPO is what the restore could not bring back: the orders the shop had acknowledged
that the restored database lacks, and the time span they cover (the restore's own
measurement, logged with its `action.executed`). RTO runs from T0 to the restore
that brought the deleted rows back (the shop serving the restored database); when the
responders stopped the writes (`writes.stop`), to the `writes.resume` that followed a
passing `data.verify` after that restore: the shop is back only once it takes orders
on data someone checked. The damage window runs from T0 to the first step that
stopped the damage growing (`job.stop` or `writes.stop`).
"""

from __future__ import annotations

from pydantic import BaseModel

from scoring.drill import DrillView
from scoring.events import Event
from scoring.playbook import DataLossTargets

# Actions that log what they lost or brought back (`measured`): a restore to a point
# in time, a promotion of the streaming standby.
MEASURED_ACTIONS = ("db.restore", "db.failover_to_replica")


class DataLoss(BaseModel):
    """How much data a drill lost for good and how long it took to get the rest back."""

    restored: bool
    restore_target: str | None = None
    lost_orders: int | None = None
    lost_span_s: float | None = None
    restored_orders: int | None = None
    still_missing: int | None = None
    restore_s: float | None = None
    rto_s: float | None = None
    rto_end: str | None = None  # what ended the RTO: the restore, or writes resumed
    damage_window_s: float | None = None
    rpo_target_s: float
    rto_target_s: float
    rpo_passed: bool
    rto_passed: bool
    summary: str


def _restores(view: DrillView) -> list[Event]:
    return [
        e
        for e in view.of("action.executed")
        if e.data.get("action") in MEASURED_ACTIONS and e.data.get("measured")
    ]


def _ok(view: DrillView, action: str) -> list[Event]:
    return [
        e
        for e in view.of("action.executed")
        if e.data.get("action") == action and e.data.get("result") == "ok"
    ]


def _resumed_after_verify(view: DrillView, since: float) -> Event | None:
    """The first writes.resume after a passing data.verify, both after `since`."""
    verified = [
        e.t
        for e in _ok(view, "data.verify")
        if e.t >= since and ((e.data.get("measured") or {}).get("integrity") or {}).get("passed")
    ]
    if not verified:
        return None
    return next((e for e in _ok(view, "writes.resume") if e.t >= verified[0]), None)


def measure(view: DrillView, targets: DataLossTargets) -> DataLoss | None:
    """None for a drill without a restore to a point in time."""
    restores = _restores(view)
    if not restores:
        return None
    last = restores[-1]  # only a restore that acted logs what it measured
    m = last.data["measured"]
    recovered = last.data.get("result") == "ok" and not m.get("still_missing")
    rto = last.t - view.t0 if recovered and view.t0 is not None else None
    end = last.data["action"] + " serving again"
    if rto is not None and view.t0 is not None and _ok(view, "writes.stop"):
        resumed = _resumed_after_verify(view, last.t)
        rto = resumed.t - view.t0 if resumed is not None else None
        end = "writes resumed after a passing data.verify"
    contained = [
        e.t for e in _ok(view, "job.stop") + _ok(view, "writes.stop") if e.t >= (view.t0 or 0.0)
    ]
    window = min(contained) - view.t0 if contained and view.t0 is not None else None
    span = float(m.get("lost_span_s", 0.0))
    rpo_ok = span <= targets.rpo_s
    rto_ok = rto is not None and rto <= targets.rto_s
    if rto is None and recovered:
        summary = (
            "The restore brought the rows back, but the writes stopped were never resumed "
            "after a passing data.verify: the service was not back."
        )
    elif rto is None:
        summary = (
            f"No restore brought the deleted rows back ({m.get('still_missing', '?')} still "
            "missing): the data loss was never recovered."
        )
    else:
        back = m.get("restored_orders") or 0
        summary = (
            f"RPO: {m['lost_orders']} acknowledged order(s) lost, covering {span:.1f}s "
            f"(target {targets.rpo_s:.0f}s); RTO: {rto:.1f}s from T0 to "
            f"{end} (target {targets.rto_s:.0f}s)"
            + (f"; {back} deleted order(s) restored." if back else ".")
        )
    if window is not None:
        summary += f" Damage window: {window:.1f}s from T0 until the damage was stopped."
    return DataLoss(
        restored=recovered,
        restore_target=m.get("restore_target"),
        lost_orders=m.get("lost_orders"),
        lost_span_s=span,
        restored_orders=m.get("restored_orders"),
        still_missing=m.get("still_missing"),
        restore_s=m.get("restore_s"),
        rto_s=round(rto, 3) if rto is not None else None,
        rto_end=end if rto is not None else None,
        damage_window_s=round(window, 3) if window is not None else None,
        rpo_target_s=targets.rpo_s,
        rto_target_s=targets.rto_s,
        rpo_passed=rpo_ok,
        rto_passed=rto_ok,
        summary=summary,
    )

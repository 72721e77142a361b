"""RPO and RTO of a data-loss drill, from the event log alone.

RPO is what the restore could not bring back: the orders the shop had acknowledged
that the restored database lacks, and the time span they cover (the restore's own
measurement, logged with its `action.executed`). RTO runs from T0 to the restore
that brought the deleted rows back (the shop serving the restored database).
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


def measure(view: DrillView, targets: DataLossTargets) -> DataLoss | None:
    """None for a drill without a restore to a point in time."""
    restores = _restores(view)
    if not restores:
        return None
    last = restores[-1]  # only a restore that acted logs what it measured
    m = last.data["measured"]
    recovered = last.data.get("result") == "ok" and not m.get("still_missing")
    rto = last.t - view.t0 if recovered and view.t0 is not None else None
    span = float(m.get("lost_span_s", 0.0))
    rpo_ok = span <= targets.rpo_s
    rto_ok = rto is not None and rto <= targets.rto_s
    if rto is None:
        summary = (
            f"No restore brought the deleted rows back ({m.get('still_missing', '?')} still "
            "missing): the data loss was never recovered."
        )
    else:
        back = m.get("restored_orders") or 0
        summary = (
            f"RPO: {m['lost_orders']} acknowledged order(s) lost, covering {span:.1f}s "
            f"(target {targets.rpo_s:.0f}s); RTO: {rto:.1f}s from T0 to "
            f"{last.data['action']} serving again (target {targets.rto_s:.0f}s)"
            + (f"; {back} deleted order(s) restored." if back else ".")
        )
    return DataLoss(
        restored=rto is not None,
        restore_target=m.get("restore_target"),
        lost_orders=m.get("lost_orders"),
        lost_span_s=span,
        restored_orders=m.get("restored_orders"),
        still_missing=m.get("still_missing"),
        restore_s=m.get("restore_s"),
        rto_s=round(rto, 3) if rto is not None else None,
        rpo_target_s=targets.rpo_s,
        rto_target_s=targets.rto_s,
        rpo_passed=rpo_ok,
        rto_passed=rto_ok,
        summary=summary,
    )

"""RPO and RTO of a data-loss drill, from the event log alone.

RPO is what the restore could not bring back: the orders the shop had acknowledged
that the restored database lacks, and the time span they cover (the restore's own
measurement, logged with its `action.executed`). RTO runs from T0 to the restore
that brought the deleted rows back (the shop serving the restored database); when the
responders stopped the writes (`writes.stop`), to the `writes.resume` that followed a
passing `data.verify` after that restore: the shop is back only once it takes orders
on data someone checked. The damage window runs from T0 to the first step that
stopped the damage growing (`job.stop` or `writes.stop`).

Every restore counts: a second restore loses the orders written since the first, so
the orders lost are the sum over the restores, and the span the longest. The load's
canary orders are the outside witness (`canary.checked`, written at teardown from the
load's journal and the serving database only): the acknowledged canaries lost is the
drill's measured RPO, shown beside the restores' own count. Whether the affected
customers were told is the last `users.notify` against the last `data.verify`'s count.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from scoring.drill import DrillView
from scoring.events import Event
from scoring.playbook import DataLossTargets

# Actions that log what they lost or brought back (`measured`): a restore to a point
# in time, a promotion of the streaming standby.
MEASURED_ACTIONS = ("db.restore", "db.failover_to_replica")
CANARY_EVENT = "canary.checked"


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
    restores: int = 0
    lost_ids: list[int] = []
    restored_ids: list[int] = []
    canary_acknowledged: int | None = None  # the outside witness (None: no canaries)
    canary_lost: int | None = None
    canary_lost_span_s: float | None = None
    canary_lost_ids: list[int] = []
    affected_customers: int | None = None  # the last data.verify's count
    notified_customers: int | None = None  # the last users.notify's count
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


def _summed(restores: list[Event]) -> dict[str, Any]:
    """What every restore lost and brought back, together (the last one's target and
    what it left missing: it is the state the shop serves)."""
    m: dict[str, Any] = dict(restores[-1].data["measured"]) if restores else {}
    all_m = [e.data["measured"] for e in restores]
    m["lost_orders"] = sum(int(x.get("lost_orders") or 0) for x in all_m)
    m["restored_orders"] = sum(int(x.get("restored_orders") or 0) for x in all_m)
    m["lost_span_s"] = max((float(x.get("lost_span_s") or 0.0) for x in all_m), default=0.0)
    m["lost_ids"] = [i for x in all_m for i in x.get("lost_ids") or []]
    m["restored_ids"] = sorted({i for x in all_m for i in x.get("restored_ids") or []})
    return m


def _people(view: DrillView) -> tuple[int | None, int | None]:
    """(customers the last data.verify found affected, customers the last users.notify told)."""
    affected = notified = None
    for e in _ok(view, "data.verify"):
        found = ((e.data.get("measured") or {}).get("integrity") or {}).get("affected_customers")
        if isinstance(found, list):
            affected = len(found)
    for e in _ok(view, "users.notify"):
        told = (e.data.get("measured") or {}).get("notified")
        if isinstance(told, int) and e.t >= (view.t0 or 0.0):
            notified = told
    return affected, notified


def _canary_sentence(canary: dict[str, Any], lost_orders: int | None) -> str:
    lost, acked = int(canary.get("lost") or 0), int(canary.get("acknowledged") or 0)
    text = (
        f" Canary witness: {lost} of {acked} canary order(s) acknowledged with 201 are "
        f"missing or changed"
    )
    if lost:
        text += f", written over {float(canary.get('lost_span_s') or 0.0):.1f}s"
    if lost_orders is not None:
        text += f" (the restores counted {lost_orders} order(s) lost in all)"
    return text + "."


def measure(view: DrillView, targets: DataLossTargets) -> DataLoss | None:
    """None for a drill without a restore to a point in time or canary orders."""
    restores = _restores(view)
    checked = view.of(CANARY_EVENT)
    canary: dict[str, Any] = dict(checked[-1].data) if checked else {}
    if not restores and not canary:
        return None
    m = _summed(restores)
    last = restores[-1] if restores else None
    recovered = last is not None and last.data.get("result") == "ok" and not m.get("still_missing")
    rto = last.t - view.t0 if last is not None and recovered and view.t0 is not None else None
    end = (last.data["action"] if last is not None else "db.restore") + " serving again"
    if rto is not None and last is not None and view.t0 is not None and _ok(view, "writes.stop"):
        resumed = _resumed_after_verify(view, last.t)
        rto = resumed.t - view.t0 if resumed is not None else None
        end = "writes resumed after a passing data.verify"
    contained = [
        e.t for e in _ok(view, "job.stop") + _ok(view, "writes.stop") if e.t >= (view.t0 or 0.0)
    ]
    window = min(contained) - view.t0 if contained and view.t0 is not None else None
    span = float(m.get("lost_span_s", 0.0))
    canary_span = float(canary.get("lost_span_s") or 0.0)
    rpo_ok = max(span, canary_span) <= targets.rpo_s
    affected, notified = _people(view)
    rto_ok = rto is not None and rto <= targets.rto_s
    if not restores:
        summary = "No restore or failover measured what it lost or brought back."
    elif rto is None and recovered:
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
    if canary:
        summary += _canary_sentence(canary, m["lost_orders"] if restores else None)
    if affected:
        summary += (
            f" Affected customers notified: {notified} of {affected}."
            if notified
            else f" The {affected} affected customer(s) were not notified (users.notify)."
        )
    return DataLoss(
        restored=recovered,
        restore_target=m.get("restore_target"),
        lost_orders=m.get("lost_orders") if restores else None,
        lost_span_s=span,
        restored_orders=m.get("restored_orders"),
        still_missing=m.get("still_missing"),
        restore_s=m.get("restore_s"),
        rto_s=round(rto, 3) if rto is not None else None,
        rto_end=end if rto is not None else None,
        damage_window_s=round(window, 3) if window is not None else None,
        rpo_target_s=targets.rpo_s,
        rto_target_s=targets.rto_s,
        restores=len(restores),
        lost_ids=m.get("lost_ids") or [],
        restored_ids=m.get("restored_ids") or [],
        canary_acknowledged=canary.get("acknowledged"),
        canary_lost=canary.get("lost"),
        canary_lost_span_s=canary.get("lost_span_s"),
        canary_lost_ids=canary.get("lost_ids") or [],
        affected_customers=affected,
        notified_customers=notified,
        rpo_passed=rpo_ok,
        rto_passed=rto_ok,
        summary=summary,
    )

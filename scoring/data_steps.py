"""The order of a data incident's steps, from the event log only.

The playbook's order exists for reasons a responder must learn, so each slip is
one sentence that says why:
- restoring before the damage is stopped (`db.restore TIME` before `job.stop` while a
  `data.rogue_job` runs): the job damages the restored database at once, and every
  restore throws away the writes since its target;
- resuming writes (`writes.resume`) without a passing `data.verify` since the last
  restore: new orders then land on data nobody has checked.
"""

from __future__ import annotations

from collections.abc import Sequence

from scoring.drill import DrillView
from scoring.phrases import clock
from scoring.windows import Action

DATA_FAULTS = frozenset({"data.bad_migration", "data.rogue_job"})
# Each slip costs this share of the remediation points (at most two slips).
SLIP_SHARE = 0.125


def _has_arg(action: Action) -> bool:
    args = action.args
    if isinstance(args, dict):
        return any(str(v) for v in args.values())
    if isinstance(args, list | tuple):
        return any(str(v) for v in args)
    return bool(args)


def _verify_passed(view: DrillView, action: Action) -> bool:
    if action.executed_seq is None or action.result != "ok":
        return False
    for event in view.of("action.executed"):
        if event.seq == action.executed_seq:
            integrity = (event.data.get("measured") or {}).get("integrity") or {}
            return bool(integrity.get("passed"))
    return False


def order_slips(view: DrillView, actions: Sequence[Action]) -> list[str]:
    """The teaching sentences for the steps taken out of order (empty: none)."""
    if view.t0 is None or not any(f.kind in DATA_FAULTS for f in view.faults):
        return []
    acted = [a for a in actions if a.start >= view.t0 and a.finished and not a.unavailable]
    slips = []
    restores = [a for a in acted if a.name == "db.restore" and _has_arg(a)]
    stops = [a for a in acted if a.name == "job.stop" and a.result == "ok"]
    if restores and any(f.kind == "data.rogue_job" for f in view.faults):
        first = restores[0]
        if not stops or first.start < stops[0].start:
            when = f" (job.stop came at {clock(stops[0].start)})" if stops else ""
            slips.append(
                f"the database was restored at {clock(first.start)} before the batch job "
                f"was stopped{when}: a job that still runs damages the restored database "
                "at once, and every restore throws away the writes since its target, so "
                "stop the damage first"
            )
    for resume in (a for a in acted if a.name == "writes.resume" and a.result == "ok"):
        since = max((r.start for r in restores if r.start < resume.start), default=view.t0)
        checked = any(
            a.name == "data.verify" and since <= a.start < resume.start and _verify_passed(view, a)
            for a in acted
        )
        if not checked:
            slips.append(
                f"writes were resumed at {clock(resume.start)} without a passing data.verify "
                "after the restore: new orders then land on data nobody has checked, and a "
                "bad restore is found only once customers depend on it"
            )
            break
    return slips

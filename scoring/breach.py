"""A credential drill's blast radius, from the event log only.

The engine writes one `breach.exposure` event per leaked-key fault at teardown,
from two sources: the shop's audit log (rows returned to the attacker's address
with the leaked key, first and last successful read) and the attacker process's
own tally. This module reads it back beside the fault's window and the
responders' `users.notify`:

- records exposed: customer records that left (the audit log's count), and
  whether the attacker's tally agrees;
- time to contain: T0 -> the attacker's last successful read, when a
  responder's action ended the leak (otherwise the leak ran until the drill
  ended and there is no containment to time);
- notified: whether a `users.notify` succeeded after containment (the
  playbook's recovery step "notify affected users").
"""

from __future__ import annotations

from pydantic import BaseModel

from scoring.criteria.remediation import matches
from scoring.drill import DrillView
from scoring.events import Event

__all__ = ["BREACH_EVENT", "NOTIFY_ACTION", "BreachSummary", "breach_summary"]

BREACH_EVENT = "breach.exposure"
NOTIFY_ACTION = "users.notify"


class BreachSummary(BaseModel):
    """What left the shop in a leaked-key fault, and how the responders handled it."""

    fault_id: str
    key_id: str
    client: str
    records_exposed: int  # from the shop's audit log
    attacker_rows: int | None  # from the attacker's own tally
    sources_agree: bool
    requests: int
    refused: int
    contained: bool  # a responder's action ended the leak
    contained_by: str | None
    first_read_t: float | None  # drill time of the first and last successful read
    last_read_t: float | None
    time_to_contain_s: float | None  # T0 -> last successful read, when contained
    action_after_s: float | None  # T0 -> the containing action (the responder's speed)
    notified: bool
    notified_t: float | None
    sentence: str


def _number(value: object) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _drill_t(anchor: Event, wall: object) -> float | None:
    """Drill time of a wall-clock second, through an event's own (t, wall) pair."""
    if not isinstance(wall, int | float):
        return None
    return round(anchor.t + (float(wall) - anchor.wall.timestamp()), 3)


def _notify(view: DrillView, key_id: str) -> tuple[float | None, bool]:
    """(when, whether) a users.notify of this key succeeded."""
    for action in view.actions:
        if action.result == "ok" and matches(f"{NOTIFY_ACTION}:{key_id}", action.name, action.args):
            return action.start, True
    return None, False


def _summary(view: DrillView, event: Event) -> BreachSummary | None:
    data = event.data
    fault_id = str(data.get("fault_id", ""))
    window = next((f for f in view.faults if f.fault_id == fault_id), None)
    injected = next(
        (e for e in view.of("fault.injected") if e.data.get("fault_id") == fault_id), None
    )
    if window is None or injected is None:
        return None
    key_id, client = str(data.get("key_id", "")), str(data.get("client", ""))
    records = _number(data.get("records_exposed")) or 0
    attacker = _number(data.get("attacker_rows"))
    first_t = _drill_t(injected, data.get("first_read_wall"))
    last_t = _drill_t(injected, data.get("last_read_wall"))
    contained = window.remediated
    by = view.action(window.action_key) if contained else None
    to_contain = acted = None
    if contained and view.t0 is not None:
        to_contain = round(max((last_t if last_t is not None else view.t0) - view.t0, 0.0), 1)
        acted = round(by.start - view.t0, 1) if by is not None else None
    notified_t, notified = _notify(view, key_id)
    agree = attacker is None or attacker == records
    if contained:
        what = f"{by.name} {acted:g} s after T0" if by and acted is not None else "an action"
        how = f"the last record left {to_contain:g} s after T0, contained by {what}"
    else:
        how = "never contained: the leak ran until the drill ended"
    told = (
        "the affected customers were notified"
        if notified
        else "the affected customers were not notified (users.notify)"
    )
    tally = "" if agree else f" (the attacker's own tally says {attacker})"
    sentence = (
        f"{records} customer record(s) left with key {key_id} to {client}{tally}; {how}; {told}."
    )
    return BreachSummary(
        fault_id=fault_id,
        key_id=key_id,
        client=client,
        records_exposed=records,
        attacker_rows=attacker,
        sources_agree=agree,
        requests=_number(data.get("requests")) or 0,
        refused=_number(data.get("refused")) or 0,
        contained=contained,
        contained_by=by.name if by else None,
        first_read_t=first_t,
        last_read_t=last_t,
        time_to_contain_s=to_contain,
        action_after_s=acted,
        notified=notified,
        notified_t=notified_t,
        sentence=sentence,
    )


def breach_summary(view: DrillView) -> list[BreachSummary]:
    """One summary per `breach.exposure` event of a fault in the log."""
    found = (_summary(view, event) for event in view.of(BREACH_EVENT))
    return [summary for summary in found if summary is not None]

"""A credential stuffing's damage, from the event log only.

The engine writes one `breach.accounts` event per credential-stuffing fault at
teardown, from two sources: the shop's audit log (successful logins from the
attacker's address) and the stuffer's own tally. This module reads it back
beside the fault's window and the responders' account actions:

- accounts compromised: the accounts the attacker really logged into (the audit
  log's count), and whether the stuffer's tally agrees;
- time to contain: T0 -> the attacker's last attempt that reached the login (not
  refused by a block), when a responder's action ended the fault;
- secured: whether every compromised account was locked or reset
  (`accounts.lock` / `accounts.reset`), the follow-up after containment.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from scoring.drill import DrillView
from scoring.events import Event

__all__ = ["ACCOUNTS_EVENT", "StuffingSummary", "stuffing_summary"]

ACCOUNTS_EVENT = "breach.accounts"
SECURING_ACTIONS = ("accounts.lock", "accounts.reset")


class StuffingSummary(BaseModel):
    """What a credential stuffing got, and how the responders handled it."""

    fault_id: str
    client: str
    attempts: int
    failed: int
    refused: int
    accounts_compromised: list[str]  # from the shop's audit log
    attacker_compromised: int | None  # from the stuffer's own tally
    sources_agree: bool
    contained: bool
    contained_by: str | None
    time_to_contain_s: float | None
    secured: list[str]  # compromised accounts a responder locked or reset
    sentence: str


def _drill_t(anchor: Event, wall: object) -> float | None:
    if not isinstance(wall, int | float) or isinstance(wall, bool):
        return None
    return round(anchor.t + (float(wall) - anchor.wall.timestamp()), 3)


def _emails(args: Any) -> set[str]:
    values: list[Any]
    if isinstance(args, dict):
        values = list(args.values())
    elif isinstance(args, list | tuple):
        values = list(args)
    else:
        values = [args] if args is not None else []
    return {e.strip() for v in values for e in str(v).split(",") if e.strip()}


def _secured(view: DrillView) -> set[str]:
    found: set[str] = set()
    for action in view.actions:
        if action.result == "ok" and action.name in SECURING_ACTIONS:
            found |= _emails(action.args)
    return found


def _summary(view: DrillView, event: Event) -> StuffingSummary | None:
    data = event.data
    fault_id = str(data.get("fault_id", ""))
    window = next((f for f in view.faults if f.fault_id == fault_id), None)
    injected = next(
        (e for e in view.of("fault.injected") if e.data.get("fault_id") == fault_id), None
    )
    if window is None or injected is None:
        return None
    opened = sorted(str(a) for a in data.get("accounts_compromised") or [])
    tally = data.get("attacker_compromised")
    attacker = len(tally) if isinstance(tally, list) else None
    agree = attacker is None or sorted(str(a) for a in tally or []) == opened
    contained = window.remediated
    by = view.action(window.action_key) if contained else None
    to_contain = None
    last = _drill_t(injected, data.get("last_reached_wall"))
    if contained and view.t0 is not None:
        to_contain = round(max((last if last is not None else view.t0) - view.t0, 0.0), 1)
    secured = sorted(set(opened) & _secured(view))
    client = str(data.get("client", ""))
    how = (
        f"contained by {by.name if by else 'an action'}, the last attempt reached the login "
        f"{to_contain:g} s after T0"
        if contained and to_contain is not None
        else "never contained: the stuffing ran until the drill ended"
    )
    tail = "" if agree else f" (the attacker's own tally says {attacker})"
    left = len(opened) - len(secured)
    follow = (
        "every compromised account was locked or reset"
        if opened and not left
        else f"{left} compromised account(s) left open (accounts.lock / accounts.reset)"
        if opened
        else "no account to secure"
    )
    sentence = (
        f"{len(opened)} account(s) compromised by {client}{tail} in "
        f"{int(data.get('attempts') or 0)} login attempt(s); {how}; {follow}."
    )
    return StuffingSummary(
        fault_id=fault_id,
        client=client,
        attempts=int(data.get("attempts") or 0),
        failed=int(data.get("failed") or 0),
        refused=int(data.get("refused") or 0),
        accounts_compromised=opened,
        attacker_compromised=attacker,
        sources_agree=agree,
        contained=contained,
        contained_by=by.name if by else None,
        time_to_contain_s=to_contain,
        secured=secured,
        sentence=sentence,
    )


def stuffing_summary(view: DrillView) -> list[StuffingSummary]:
    """One summary per `breach.accounts` event of a fault in the log."""
    found = (_summary(view, event) for event in view.of(ACCOUNTS_EVENT))
    return [summary for summary in found if summary is not None]

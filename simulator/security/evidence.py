"""What left the shop in a credential drill, for the event log (`breach.exposure`,
and for a credential stuffing the accounts opened, `breach.accounts`).

Two sources that must agree: the shop's audit log (rows returned to the
attacker's address with the leaked key) and the attacker process's own tally.
Containment is the attacker's last successful request, taken from the audit log.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from simulator.env.state import load_state
from simulator.faults.manager import FaultManager
from simulator.security.audit import audit_path, login_tallies, read_audit

STUFFING_KIND = "security.credential_stuffing"


def breach_evidence(state_dir: Path) -> list[dict[str, Any]]:
    """One record per leaked-key fault of this environment (none: an empty list)."""
    state = load_state(state_dir)
    if state is None:
        return []
    entries = [e for e in FaultManager(state_dir).entries() if e.kind == "security.leaked_key"]
    if not entries:
        return []
    audit = read_audit(audit_path(state))
    found = []
    for entry in entries:
        key_id = str(entry.params.get("key_id", "reports"))
        source = str(entry.params.get("source", "127.0.0.2"))
        mine = [a for a in audit if a.key_id == key_id and a.client == source]
        ok = [a for a in mine if 200 <= a.status < 300]
        tally: dict[str, Any] = {}
        with contextlib.suppress(OSError, ValueError):
            tally = json.loads(Path(str(entry.undo.get("tally"))).read_text())
        found.append(
            {
                "fault_id": entry.id,
                "key_id": key_id,
                "client": source,
                "records_exposed": sum(a.rows for a in ok),
                "requests": len(mine),
                "refused": len(mine) - len(ok),
                "first_read_wall": min((a.ts for a in ok), default=None),
                "last_read_wall": max((a.ts for a in ok), default=None),
                "attacker_rows": tally.get("rows"),
                "attacker_finished_dump": bool(tally.get("done")),
            }
        )
    return found


def stuffing_evidence(state_dir: Path) -> list[dict[str, Any]]:
    """One record per credential-stuffing fault: accounts the attacker really opened.

    From the shop's audit log (successful logins from the attacker's address) and
    the stuffer's own tally; the two must agree."""
    state = load_state(state_dir)
    if state is None:
        return []
    entries = [e for e in FaultManager(state_dir).entries() if e.kind == STUFFING_KIND]
    if not entries:
        return []
    found = []
    for entry in entries:
        source = str(entry.params.get("source", "127.0.0.3"))
        audit = read_audit(audit_path(state), entry.injected_at)
        mine = next((t for t in login_tallies(audit) if t.client == source), None)
        tally: dict[str, Any] = {}
        with contextlib.suppress(OSError, ValueError):
            tally = json.loads(Path(str(entry.undo.get("tally"))).read_text())
        found.append(
            {
                "fault_id": entry.id,
                "client": source,
                "attempts": mine.attempts if mine else 0,
                "failed": mine.failed if mine else 0,
                "refused": mine.refused if mine else 0,
                "accounts_compromised": list(mine.accounts) if mine else [],
                "first_success_wall": mine.first_success_wall if mine else None,
                "last_success_wall": mine.last_success_wall if mine else None,
                "last_attempt_wall": mine.last_attempt_wall if mine else None,
                "last_reached_wall": mine.last_reached_wall if mine else None,
                "attacker_compromised": tally.get("compromised"),
                "reused_in_list": len(entry.undo.get("reused") or []),
            }
        )
    return found


def security_evidence(state_dir: Path) -> list[tuple[str, dict[str, Any]]]:
    """The event log's records of a credential drill: (event name, data), leaks first."""
    return [("breach.exposure", e) for e in breach_evidence(state_dir)] + [
        ("breach.accounts", e) for e in stuffing_evidence(state_dir)
    ]

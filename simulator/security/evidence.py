"""What left the shop in a credential drill, for the event log (`breach.exposure`).

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
from simulator.security.audit import audit_path, read_audit


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

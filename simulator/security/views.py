"""The credential diagnostics: the audit log summed up, and [DRILL] leaks found outside."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from simulator.env.state import EnvState
from simulator.security.audit import audit_path, login_summary, read_audit, summary

PASTE_GLOB = "paste-DRILL-*.txt"


def audit(state: EnvState, window_s: float = 600.0) -> dict[str, Any]:
    """Who used which API key, from which address, with what answer and how many rows;
    who tried to log in from which address, how often it failed, which accounts it opened."""
    entries = read_audit(audit_path(state), time.time() - window_s)
    return {
        "window_s": window_s,
        "by_key_and_client": summary(entries),
        "logins_by_client": login_summary(entries),
    }


def leaks(state: EnvState) -> dict[str, Any]:
    """Secrets seen outside the shop (a threat-intel feed; in a drill, [DRILL] pastes)."""
    found = []
    for path in sorted(Path(state.data_dir).glob(PASTE_GLOB)):
        try:
            found.append({"source": "public paste", "text": path.read_text()[:2000]})
        except OSError:
            continue
    return {"found": found}

"""What a diagnosis rule concludes: the area, the fix, the severity, and why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Views = dict[str, Any]
RECENT_DEPLOY_S = 15 * 60


@dataclass(frozen=True)
class Diagnosis:
    area: str  # a key of the playbook's routing
    action: str
    arg: str | None
    severity: str | None  # None: take it from the alerts (or the measured impact)
    evidence: str
    # Playbook steps right after the fix (a breach: notify the affected users).
    then: tuple[tuple[str, str | None], ...] = ()

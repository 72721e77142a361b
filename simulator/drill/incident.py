"""The incident and its lifecycle state machine, per the playbook.

NEW -> INVESTIGATING -> IDENTIFIED -> MONITORING -> RESOLVED, with steps back
when a hypothesis turns out wrong (IDENTIFIED or MONITORING -> INVESTIGATING).
Anything else is refused with a sentence naming the legal next statuses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from scoring.names import INCIDENT_STATUSES, SEVERITIES

TRANSITIONS: dict[str, frozenset[str]] = {
    "NEW": frozenset({"INVESTIGATING"}),
    "INVESTIGATING": frozenset({"IDENTIFIED"}),
    "IDENTIFIED": frozenset({"MONITORING", "INVESTIGATING"}),
    "MONITORING": frozenset({"RESOLVED", "INVESTIGATING"}),
    "RESOLVED": frozenset(),
}
assert set(TRANSITIONS) == set(INCIDENT_STATUSES)


class IncidentError(ValueError):
    """A responder asked for something the lifecycle does not allow."""


def new_incident_id(now: datetime | None = None) -> str:
    """INC-YYYYMMDD-HHMMSS, as the playbook's update template names incidents."""
    return (now or datetime.now(UTC)).strftime("INC-%Y%m%d-%H%M%S")


@dataclass
class Incident:
    id: str
    status: str = "NEW"
    severity: str | None = None
    team: str | None = None
    acknowledged_by: str | None = None
    history: list[str] = field(default_factory=lambda: ["NEW"])

    def check_transition(self, to: str) -> None:
        if to not in TRANSITIONS:
            raise IncidentError(
                f"unknown status '{to}'; statuses are {', '.join(INCIDENT_STATUSES)}"
            )
        if to not in TRANSITIONS[self.status]:
            allowed = ", ".join(sorted(TRANSITIONS[self.status])) or "none (it is resolved)"
            raise IncidentError(
                f"the incident cannot go from {self.status} to {to}; next can be: {allowed}"
            )

    def move(self, to: str) -> str:
        """Change status; returns the status it came from."""
        self.check_transition(to)
        before, self.status = self.status, to
        self.history.append(to)
        return before

    def check_severity(self, severity: str) -> None:
        if severity not in SEVERITIES:
            raise IncidentError(
                f"unknown severity '{severity}'; use one of {', '.join(SEVERITIES)}"
            )

    @property
    def resolved(self) -> bool:
        return self.status == "RESOLVED"

"""The incident and its lifecycle state machine, per the playbook.

NEW -> INVESTIGATING -> IDENTIFIED -> MONITORING -> RESOLVED is the usual path.
Responders also take the short cuts the playbook allows: the cause can be plain
from the start (NEW -> IDENTIFIED), and a quick fix can be applied before the
cause is named (INVESTIGATING -> MONITORING; the playbook lists quick fixes
next to the investigation steps). Steps back when a hypothesis turns out wrong
(IDENTIFIED or MONITORING -> INVESTIGATING), and MONITORING -> IDENTIFIED once a
mitigation bought time to name the cause. RESOLVED comes only from MONITORING:
the playbook resolves after a period of monitoring with no issues. Anything else
is refused with a sentence naming the legal next statuses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from scoring.names import INCIDENT_STATUSES, SEVERITIES

TRANSITIONS: dict[str, frozenset[str]] = {
    "NEW": frozenset({"INVESTIGATING", "IDENTIFIED"}),
    "INVESTIGATING": frozenset({"IDENTIFIED", "MONITORING"}),
    "IDENTIFIED": frozenset({"MONITORING", "INVESTIGATING"}),
    "MONITORING": frozenset({"RESOLVED", "INVESTIGATING", "IDENTIFIED"}),
    "RESOLVED": frozenset(),
}
assert set(TRANSITIONS) == set(INCIDENT_STATUSES)
MEANING = {
    "NEW": "paged, nobody working it yet",
    "INVESTIGATING": "looking for the cause",
    "IDENTIFIED": "the cause is named",
    "MONITORING": "a fix is applied; watching the SLIs",
    "RESOLVED": "recovery confirmed; the incident is closed",
}


def state_machine_help() -> str:
    """`incident status --help`: every status, what it means and where it can go next."""
    lines = [
        "Move the incident to STATUS. The statuses and where each can go next:",
        "",
        "\b",
    ]
    for status in INCIDENT_STATUSES:
        nexts = ", ".join(s for s in INCIDENT_STATUSES if s in TRANSITIONS[status]) or "-"
        lines.append(f"  {status:<13} {MEANING[status]:<35} -> {nexts}")
    lines += [
        "",
        "Scoring asks for what the playbook asks: IDENTIFIED declared before the fix"
        " (naming the cause is part of the response), MONITORING before RESOLVED, and"
        " RESOLVED only once recovery is measured. Going straight from NEW to IDENTIFIED"
        " costs nothing.",
    ]
    return "\n".join(lines)


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

"""Pages and the playbook's escalation ladder, on the drill's (scaled) clock.

The first alert of a drill opens the incident and pages level 1. Steps whose
condition is `unacknowledged` fire if nobody acknowledged by their cumulative
offset from the first page; `unresolved` steps if the incident is still open.
Offsets are real incident minutes divided by the drill's time_scale.
"""

from __future__ import annotations

from dataclasses import dataclass

from scoring.playbook import EscalationStep
from simulator.drill.eventlog import EventLog
from simulator.drill.incident import new_incident_id
from simulator.drill.responses import Responses


@dataclass
class Page:
    page_id: str
    alert_id: str
    level: int
    target: str
    t: float


@dataclass
class EscalationDue:
    level: int
    target: str


class Pager:
    def __init__(self, ladder: list[EscalationStep], time_scale: float) -> None:
        self.ladder = sorted(ladder, key=lambda s: s.level)
        self.time_scale = time_scale
        self.first: Page | None = None
        self.level = 0
        offset = 0.0
        self._offsets: list[float] = []
        for step in self.ladder:
            offset += step.after_s
            self._offsets.append(offset / time_scale)

    def page(self, alert_id: str, t: float) -> Page | None:
        """Page level 1 for the drill's first alert; later alerts join the incident."""
        if self.first is not None:
            return None
        step = self.ladder[0]
        self.first = Page(
            page_id="PG-1", alert_id=alert_id, level=step.level, target=step.target, t=t
        )
        self.level = step.level
        return self.first

    def due(
        self, t: float, *, acknowledged: bool, resolved: bool, severity: str | None
    ) -> list[EscalationDue]:
        """Steps that came due by time `t` and have not fired yet."""
        if self.first is None or resolved:
            return []
        fired = []
        for step, offset in zip(self.ladder, self._offsets, strict=True):
            if step.level <= self.level or t - self.first.t < offset:
                continue
            if step.condition == "unacknowledged" and acknowledged:
                continue
            if step.severities and severity not in step.severities:
                continue
            self.level = step.level
            fired.append(EscalationDue(step.level, step.target))
        return fired


def send_first_page(pager: Pager, log: EventLog, responses: Responses, alert_id: str) -> None:
    """The drill's first alert opens the incident and pages level 1 on the console."""
    page = pager.page(alert_id, log.now())
    if page is None:
        return
    if responses.incident is None:
        responses.declare_by_page(new_incident_id())
    log.append(
        "page.sent",
        {
            "page_id": page.page_id,
            "alert_id": alert_id,
            "level": page.level,
            "target": page.target,
            "channel": "console",
        },
    )


def escalate(pager: Pager, log: EventLog, responses: Responses, now: float) -> None:
    """Page the next rungs of the ladder that came due, as events."""
    incident = responses.incident
    if incident is None:
        return
    for step in pager.due(
        now,
        acknowledged=incident.acknowledged_by is not None,
        resolved=incident.resolved,
        severity=incident.severity,
    ):
        page_id = pager.first.page_id if pager.first else "PG-1"
        log.append(
            "page.escalated", {"page_id": page_id, "level": step.level, "target": step.target}
        )

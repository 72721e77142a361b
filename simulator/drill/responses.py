"""What a responder can do in a drill, and how each act is recorded.

The autopilot, the console and the terminal commands all go through this one
API; every call becomes an event attributed to its actor ("autopilot",
"trainee:NAME", "facilitator"). Nothing here exposes the answer key.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scoring.events import Event
from scoring.names import NOTIFY_CHANNELS, TEAMS
from scoring.playbook import Playbook
from simulator.drill import diagnostics
from simulator.drill.eventlog import EventLog
from simulator.drill.incident import Incident, IncidentError
from simulator.drill.updates import check_update
from simulator.env.state import load_state
from simulator.faults.errors import FaultError, NotApplicable
from simulator.remediation.apply import RemediationResult, apply


class Responses:
    def __init__(
        self,
        log: EventLog,
        playbook: Playbook,
        state_dir: Path,
        on_faults_changed: Callable[[], None] | None = None,
    ) -> None:
        self.log = log
        self.playbook = playbook
        self.state_dir = state_dir
        self.incident: Incident | None = None
        # Called right after every remediation: the engine logs, from the fault
        # manager's record, how the faults it touched ended.
        self.on_faults_changed = on_faults_changed
        self.action_seqs: dict[str, int] = {}  # action id -> seq of its action.started

    def _require(self) -> Incident:
        if self.incident is None:
            raise IncidentError("there is no incident yet: nothing has paged")
        return self.incident

    def declare_by_page(self, incident_id: str) -> Incident:
        """The first page opens the incident (status NEW) unless a responder did."""
        if self.incident is None:
            self.incident = Incident(id=incident_id)
        return self.incident

    def declare(self, actor: str, incident_id: str) -> Event | None:
        """A responder noticed first: open the incident before any alert."""
        if self.incident is not None:
            return None
        self.incident = Incident(id=incident_id)
        return self.log.append("incident.declared", {"incident_id": incident_id}, actor)

    def acknowledge(self, actor: str, page_id: str | None = None) -> Event:
        incident = self._require()
        if incident.acknowledged_by is not None:
            raise IncidentError(
                f"{incident.id} was acknowledged already by {incident.acknowledged_by}"
            )
        incident.acknowledged_by = actor
        return self.log.append(
            "incident.acknowledged", {"incident_id": incident.id, "page_id": page_id}, actor
        )

    def set_severity(self, actor: str, severity: str, evidence: str | None = None) -> Event:
        incident = self._require()
        incident.check_severity(severity)
        incident.severity = severity
        return self.log.append(
            "incident.severity_set",
            _with({"incident_id": incident.id, "severity": severity}, evidence),
            actor,
        )

    def notify(self, actor: str, channel: str, evidence: str | None = None) -> Event:
        """Tell people about the incident: page everyone on call, page the primary,
        post in Slack, or open a ticket (the playbook maps each severity to one)."""
        incident = self._require()
        if channel not in NOTIFY_CHANNELS:
            raise IncidentError(
                f"unknown notification '{channel}'; choose one of {', '.join(NOTIFY_CHANNELS)}"
            )
        return self.log.append(
            "incident.notified",
            _with({"incident_id": incident.id, "channel": channel}, evidence),
            actor,
        )

    def assign(self, actor: str, team: str, evidence: str | None = None) -> Event:
        incident = self._require()
        if team not in TEAMS:
            raise IncidentError(f"unknown team '{team}'; teams are {', '.join(TEAMS)}")
        incident.team = team
        return self.log.append(
            "incident.assigned", _with({"incident_id": incident.id, "team": team}, evidence), actor
        )

    def set_status(self, actor: str, status: str) -> Event:
        incident = self._require()
        before = incident.move(status.upper())
        event = self.log.append(
            "incident.status_changed",
            {"incident_id": incident.id, "from": before, "to": incident.status},
            actor,
        )
        if incident.resolved:
            self.log.append("incident.resolved", {"incident_id": incident.id}, actor)
        return event

    def post_update(self, actor: str, fields: dict[str, str]) -> Event:
        """An update following the playbook's template; missing fields are allowed
        (and cost points), unknown ones are refused."""
        incident = self._require()
        check_update(fields, self.playbook.update_template)
        return self.log.append(
            "incident.update_posted", {"incident_id": incident.id, "fields": dict(fields)}, actor
        )

    async def diagnose(self, actor: str, name: str) -> dict[str, Any]:
        state = load_state(self.state_dir)
        if state is None:
            raise IncidentError("the environment is not up")
        result = await asyncio.to_thread(diagnostics.view, state, name)
        self.log.append("diagnostic.viewed", {"name": name}, actor)
        return result

    async def run_action(
        self, actor: str, action: str, arg: str | None = None, evidence: str | None = None
    ) -> Event:
        """Really apply a remediation. `action.started` is logged before it acts (when
        the responder acted), `action.executed` when it finished; the faults it ended
        are logged by the engine from the fault manager's record, not here."""
        action_id = "a-" + uuid.uuid4().hex[:8]
        args = [arg] if arg else []
        started = self.log.append(
            "action.started",
            _with({"action_id": action_id, "action": action, "args": args}, evidence),
            actor,
        )
        self.action_seqs[action_id] = started.seq
        begun = time.monotonic()
        ended: list[str] = []
        measured: dict[str, Any] = {}
        try:
            result = await asyncio.to_thread(self._apply, action, arg, action_id)
        except NotApplicable as exc:  # it cannot act here: it did nothing at all
            outcome, detail = "unavailable", str(exc)
        except (FaultError, ValueError) as exc:
            outcome, detail = "error", str(exc)
        else:
            outcome, detail = "ok", result.detail
            ended = [entry.id for entry in result.ended]
            measured = result.measured
        return self.log.append(
            "action.executed",
            _with(
                {
                    "action_id": action_id,
                    "action": action,
                    "args": args,
                    "result": outcome,
                    "detail": detail,
                    "duration_s": round(time.monotonic() - begun, 3),
                    "ended": ended,
                },
                evidence,
            )
            | ({"measured": measured} if measured else {}),
            actor,
        )

    def _apply(self, action: str, arg: str | None, action_id: str) -> RemediationResult:
        try:
            return apply(self.state_dir, action, arg, action_id)
        finally:
            if self.on_faults_changed is not None:
                self.on_faults_changed()


def _with(data: dict[str, Any], evidence: str | None) -> dict[str, Any]:
    if evidence:
        data["evidence"] = evidence
    return data

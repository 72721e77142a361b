"""The autopilot: an automated responder that follows the playbook.

It sees only what a trainee sees (pages, alerts, the diagnostic views) and
never the scenario's answer key or the fault journal. Every decision is an
event carrying the evidence behind it. It is the baseline trainees are
compared with, and the responder in CI.
"""

from __future__ import annotations

import asyncio
from typing import Any

from simulator.drill import triage
from simulator.drill.diagnosis import Diagnosis, diagnose
from simulator.drill.diagnostics import VIEWS
from simulator.drill.engine import Drill
from simulator.drill.updates import (
    UpdateFacts,
    check_update,
    compose_update,
    describe_alerts,
    worst,
)

ACTOR = "autopilot"
SETTLE_S = 2.0  # let the first alerts settle before classifying
RECOVERY_WAIT_S = 40.0  # then look again and try the next fix
MAX_ACTIONS = 3
POLL_S = 0.5


class Autopilot:
    def __init__(self, drill: Drill) -> None:
        self.drill = drill
        self.log = drill.log
        self.api = drill.responses
        self.playbook = drill.options.playbook
        self.tried: set[str] = set()
        self.fixes: list[str] = []  # the actions applied, in order
        self.cause: Diagnosis | None = None  # the diagnosis last acted on
        self.views: dict[str, Any] = {}  # what the last investigation saw

    async def run(self) -> None:
        """Respond to the drill's incident from the first page to the review."""
        # A page, or a customer's ticket / a failed synthetic check (nothing paged).
        first = await self._wait_for_any(("page.sent", "report.received"))
        if first is None:
            return
        await asyncio.sleep(SETTLE_S)
        page = self.log.of_type("page.sent")
        self.api.acknowledge(ACTOR, page[0].data.get("page_id") if page else None)
        self.api.set_status(ACTOR, "INVESTIGATING")
        found = await self._investigate()
        sev, why = triage.decide(
            found,
            self._alerts(),
            self.views,
            self.playbook.triage,
            self.playbook.alert_severity,
        )
        self.api.set_severity(ACTOR, sev, evidence=why)
        channel = self.playbook.triage.notification[sev]
        self.api.notify(ACTOR, channel, evidence=f"{sev}: the playbook says {channel}")
        area = found.area if found else "infrastructure"
        team = self.playbook.routing.get(area, "sre")
        self.api.assign(
            ACTOR,
            team,
            evidence=f"{found.evidence if found else 'no cause found'}"
            f" -> {area} -> {team} (playbook routing)",
        )
        self._update("INVESTIGATING", found, "Acknowledged; checking dashboards and logs.")
        while found is not None and len(self.tried) < MAX_ACTIONS and not self.drill.aborted:
            if self.api.incident and self.api.incident.status == "INVESTIGATING":
                self.api.set_status(ACTOR, "IDENTIFIED")
            self._update("IDENTIFIED", found, f"Applying {self._label(found)}.")
            self.tried.add(found.action)
            await self.api.run_action(ACTOR, found.action, found.arg, evidence=found.evidence)
            for step, arg in found.then:  # the playbook's steps after this fix
                done = await self.api.run_action(
                    ACTOR, step, arg, evidence=f"after {self._label(found)}: {found.evidence}"
                )
                affected = _affected(done.data) if step == "data.verify" else []
                if affected:  # the playbook: notify the users whose data was lost
                    await self.api.run_action(
                        ACTOR,
                        "users.notify",
                        None,
                        evidence=f"data.verify names {len(affected)} affected customer(s)",
                    )
            self.cause = found
            self.fixes.append(self._label(found))
            self.api.set_status(ACTOR, "MONITORING")
            self._update(
                "MONITORING",
                found,
                f"Watching the SLIs for {self.drill.scenario.confirm_recovery_s:g} s inside"
                " their thresholds before resolving.",
            )
            if await self._wait_for("service.recovered", RECOVERY_WAIT_S) is not None:
                break
            self.api.set_status(ACTOR, "INVESTIGATING")
            found = await self._investigate()
            if found is None:
                self._update(
                    "INVESTIGATING",
                    None,
                    f"{self.fixes[-1]} did not bring the SLIs back; looking further.",
                )
        if await self._wait_for("service.recovered") is None:
            return
        if self.api.incident and self.api.incident.status != "MONITORING":
            # Recovered without a fix of ours (the fault ended by itself): the playbook
            # resolves only after monitoring, so say so first.
            self.api.set_status(ACTOR, "MONITORING")
        self.api.set_status(ACTOR, "RESOLVED")
        self._update(
            "RESOLVED",
            self.cause,
            "Post-incident review; add an alert on the signal that showed the cause first.",
        )
        self.log.append("review.submitted", self._review(team), ACTOR)

    async def _investigate(self) -> Diagnosis | None:
        views: dict[str, Any] = {}
        for name in VIEWS:
            views[name] = await self.api.diagnose(ACTOR, name)
        self.views = views
        return diagnose(views, exclude=self.tried)

    async def _wait_for_any(self, event_types: tuple[str, ...]) -> Any:
        """The first event of any of `event_types`, or None when the drill ends first."""
        while not self.drill.aborted and self.drill.phase not in ("teardown", "done"):
            found = self.log.of_type(*event_types)
            if found:
                return found[0]
            await asyncio.sleep(POLL_S)
        return None

    async def _wait_for(self, event_type: str, timeout_s: float | None = None) -> Any:
        """The first event of `event_type` (already logged or to come), or None."""
        waited = 0.0
        while not self.drill.aborted and self.drill.phase not in ("teardown", "done"):
            found = self.log.of_type(event_type)
            if found:
                return found[0]
            if timeout_s is not None and waited >= timeout_s:
                return None
            await asyncio.sleep(POLL_S)
            waited += POLL_S
        return None

    def _alerts(self) -> list[dict[str, Any]]:
        resolved = {e.data.get("alert_id") for e in self.log.of_type("alert.resolved")}
        return [
            e.data
            for e in self.log.of_type("alert.firing")
            if e.data.get("alert_id") not in resolved
        ]

    def _label(self, found: Diagnosis) -> str:
        return f"{found.action} {found.arg}" if found.arg else found.action

    def _alerts_seen(self) -> list[dict[str, Any]]:
        return [e.data for e in self.log.of_type("alert.firing")]

    def _update(self, status: str, cause: Diagnosis | None, next_steps: str) -> None:
        """Post an update from the template's fields, written from what it saw."""
        incident = self.api.incident
        if incident is None:
            return
        facts = UpdateFacts(
            incident_id=incident.id,
            severity=self.playbook.severities[incident.severity].label if incident.severity else "",
            status=status,
            alerts_now=self._alerts(),
            alerts_seen=self._alerts_seen(),
            sample=self.drill.sample,
            cause=cause,
            fixes=tuple(self.fixes),
            next_steps=next_steps,
        )
        # A team may have edited the template: fill in the fields it has.
        fields = compose_update(facts, self.playbook.update_template)
        check_update(fields, self.playbook.update_template)
        self.api.post_update(ACTOR, fields)

    def _review(self, team: str) -> dict[str, Any]:
        """The post-incident review, in the console's fields and action-item table."""
        seen = self._alerts_seen()
        cause = self.cause
        first = describe_alerts([seen[0]]) if seen else "no alert"
        fixes = " then ".join(self.fixes) or "no action"
        return {
            "fields": {
                "what_happened": f"First alert: {first}; worst: "
                f"{describe_alerts([worst(seen)]) if seen else 'none'}; {fixes} applied; the"
                " service recovered and stayed inside its thresholds for the confirmation"
                " window.",
                "why": f"{cause.area}: {cause.evidence}" if cause else "not confirmed",
                "went_well": "The diagnostic views named the cause; the fix matched it."
                if cause
                else "The service recovered.",
                "went_badly": f"{len(self.fixes)} actions were needed before it recovered."
                if len(self.fixes) > 1
                else "Nothing notable.",
                "improvements": "Add an alert on the signal that showed the cause first.",
            },
            "action_items": [
                {
                    "item": "Add an alert on the signal that showed the cause first"
                    + (f" ({cause.evidence})" if cause else ""),
                    "owner": team,
                    "due": "",
                    "status": "Open",
                }
            ],
        }


def _affected(executed: dict[str, Any]) -> list[int]:
    """The customers a data.verify's integrity report names as affected (lost or
    corrupt orders); none when the check did not run."""
    integrity = executed.get("measured", {}).get("integrity") or {}
    return list(integrity.get("affected_customers") or [])

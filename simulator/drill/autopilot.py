"""The autopilot: an automated responder that follows the playbook.

It sees only what a trainee sees (pages, alerts, the diagnostic views) and
never the scenario's answer key or the fault journal. Every decision is an
event carrying the evidence behind it. It is the baseline trainees are
compared with, and the responder in CI.
"""

from __future__ import annotations

import asyncio
from typing import Any

from simulator.drill.diagnosis import Diagnosis, diagnose, severity
from simulator.drill.diagnostics import VIEWS
from simulator.drill.engine import Drill

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

    async def run(self) -> None:
        """Respond to the drill's incident from the first page to the review."""
        page = await self._wait_for("page.sent")
        if page is None:
            return
        await asyncio.sleep(SETTLE_S)
        self.api.acknowledge(ACTOR, page.data.get("page_id"))
        self.api.set_status(ACTOR, "INVESTIGATING")
        found = await self._investigate()
        sev, why = severity(found, self._alerts(), self.playbook.alert_severity)
        self.api.set_severity(ACTOR, sev, evidence=why)
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
            self.api.set_status(ACTOR, "MONITORING")
            self._update("MONITORING", found, "Fix applied; watching the SLIs recover.")
            if await self._wait_for("service.recovered", RECOVERY_WAIT_S) is not None:
                break
            self.api.set_status(ACTOR, "INVESTIGATING")
            found = await self._investigate()
        if await self._wait_for("service.recovered") is None:
            return
        self.api.set_status(ACTOR, "RESOLVED")
        self._update(
            "RESOLVED", found, "Recovered: SLIs inside thresholds for the confirmation window."
        )
        self.log.append(
            "review.submitted",
            {
                "fields": {
                    "what_happened": found.evidence if found else "unknown",
                    "actions": ", ".join(sorted(self.tried)) or "none",
                    "follow_up": "add an alert on the signal that showed the cause first",
                }
            },
            ACTOR,
        )

    async def _investigate(self) -> Diagnosis | None:
        views: dict[str, Any] = {}
        for name in VIEWS:
            views[name] = await self.api.diagnose(ACTOR, name)
        return diagnose(views, exclude=self.tried)

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

    def _update(self, status: str, found: Diagnosis | None, next_steps: str) -> None:
        incident = self.api.incident
        if incident is None:
            return
        label = self.playbook.severities[incident.severity].label if incident.severity else "?"
        fields = {
            "incident_id": incident.id,
            "severity": label,
            "status": status,
            "summary": "Shop degraded: "
            + ", ".join(sorted({f"{a['name']} {a['severity']}" for a in self._alerts()})),
            "impact": self._impact(),
            "root_cause": f"{found.area}: {found.evidence}" if found else "unknown so far",
            "next_steps": next_steps,
        }
        # A team may have edited the template: fill in the fields it has.
        template = set(self.playbook.update_template)
        self.api.post_update(ACTOR, {k: v for k, v in fields.items() if k in template})

    def _impact(self) -> str:
        sample = self.drill.sample
        if sample is None or sample.error_rate is None:
            return "unknown; the shop's metrics are unavailable"
        return (
            f"{sample.error_rate:.0%} of requests failing, p99 "
            f"{(sample.p99_ms or 0):.0f} ms at {(sample.rps or 0):.0f} req/s"
        )

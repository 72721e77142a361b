"""`chaosdrill verify`: does our alerting still fire, against real faults?

Each scenario runs as a drill with the autopilot. Its expectations become
JUnit test cases with the measured figures in their messages: every expected
alert fired at its severity (or worse) within its budget, and the service
recovered after the remediation. The autopilot's triage accuracy is reported
alongside.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from scoring.events import Event
from scoring.expectations import Expectations
from simulator.drill.autopilot import ACTOR
from simulator.drill.results import DrillResult


@dataclass
class Case:
    scenario: str
    name: str
    passed: bool
    message: str
    seconds: float = 0.0


@dataclass
class Triage:
    severity: bool
    team: bool
    remediation: bool


@dataclass
class Verdict:
    scenario: str
    cases: list[Case] = field(default_factory=list)
    triage: Triage | None = None

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.cases)


def judge(
    scenario_id: str, result: DrillResult, events: list[Event], expected: Expectations
) -> Verdict:
    """Turn one drill's result into test cases."""
    verdict = Verdict(scenario_id)
    for alert in result.scorecard.alerts:
        name = f"alert {alert.name}/{alert.severity} fires within {alert.within_s:.0f}s"
        if alert.passed:
            message = (
                f"fired {alert.latency_s:.1f}s after the fault at severity {alert.fired_severity}"
            )
        elif alert.fired_at is not None:
            message = (
                f"fired only after {alert.latency_s:.1f}s (budget "
                f"{alert.within_s:.0f}s) at severity {alert.fired_severity}"
            )
        else:
            message = f"never fired at {alert.severity} or worse during the drill"
        verdict.cases.append(Case(scenario_id, name, alert.passed, message, alert.latency_s or 0.0))
    verdict.cases.append(_recovery_case(scenario_id, events))
    verdict.triage = _triage(events, expected)
    return verdict


def _recovery_case(scenario_id: str, events: list[Event]) -> Case:
    """Recovery that belongs to the fix: the first `service.recovered` after the last
    end of a fault that a remediation caused. A fault that expired (its TTL or
    duration) earns nothing, whatever the SLIs did afterwards."""
    injected = next((e for e in events if e.type == "fault.injected"), None)
    actions = [e for e in events if e.type == "action.executed" and e.data.get("result") == "ok"]
    ends = [e for e in events if e.type == "fault.reverted"]
    fixed = [e for e in ends if str(e.data.get("reason", "")).split(":")[0] == "remediated"]
    name = "service recovers after remediation"
    if injected is None:
        return Case(scenario_id, name, False, "no fault was injected (the drill stopped early)")
    tried = ", ".join(str(a.data.get("action")) for a in actions) or "nothing"
    if not fixed:
        how = ", ".join(sorted({str(e.data.get("reason")) for e in ends})) or "never"
        return Case(
            scenario_id,
            name,
            False,
            f"no remediation ended the fault (it ended: {how}); actions taken: {tried}",
        )
    last_fix = max(fixed, key=lambda e: e.seq)
    recovered = next(
        (e for e in events if e.type == "service.recovered" and e.seq > last_fix.seq), None
    )
    if recovered is None:
        return Case(
            scenario_id,
            name,
            False,
            f"no measured recovery after the fix at {last_fix.t - injected.t:.1f}s; "
            f"actions taken: {tried}",
        )
    fixed_by = ", ".join(_fixing_actions(fixed, events)) or tried
    seconds = recovered.t - injected.t
    return Case(
        scenario_id,
        name,
        True,
        f"recovered {seconds:.1f}s after the fault (SLIs inside thresholds for "
        f"{recovered.data.get('confirm_window_s')}s) after {fixed_by}",
        seconds,
    )


def _fixing_actions(fixed: list[Event], events: list[Event]) -> list[str]:
    """The actions that the remediated ends name (by action_id, or legacy action_seq)."""
    by_id = {
        str(e.data.get("action_id")): e
        for e in events
        if e.type in ("action.started", "action.executed") and e.data.get("action_id")
    }
    by_seq = {e.seq: e for e in events}
    names: list[str] = []
    for end in fixed:
        action = by_id.get(str(end.data.get("action_id"))) or by_seq.get(
            int(end.data.get("action_seq") or 0)
        )
        if action is not None and str(action.data.get("action")) not in names:
            names.append(str(action.data.get("action")))
    return names


def _triage(events: list[Event], expected: Expectations) -> Triage:
    def last(type_: str, key: str) -> str | None:
        found = [e.data.get(key) for e in events if e.type == type_ and e.actor == ACTOR]
        return str(found[-1]) if found else None

    actions = [e for e in events if e.type == "action.executed" and e.actor == ACTOR]
    first = actions[0] if actions else None
    fixed = first is not None and expected.accepts(
        str(first.data.get("action")), (first.data.get("args") or [None])[0]
    )
    return Triage(
        severity=last("incident.severity_set", "severity") == expected.severity,
        team=last("incident.assigned", "team") == expected.team,
        remediation=fixed,
    )


def write_junit(verdicts: list[Verdict], path: Path) -> None:
    suite = ET.Element(
        "testsuite",
        name="chaosdrill verify",
        tests=str(sum(len(v.cases) for v in verdicts)),
        failures=str(sum(not c.passed for v in verdicts for c in v.cases)),
    )
    for verdict in verdicts:
        for case in verdict.cases:
            element = ET.SubElement(
                suite,
                "testcase",
                classname=f"scenario.{case.scenario}",
                name=case.name,
                time=f"{case.seconds:.3f}",
            )
            if case.passed:
                ET.SubElement(element, "system-out").text = case.message
            else:
                ET.SubElement(element, "failure", message=case.message).text = case.message
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


def accuracy(verdicts: list[Verdict]) -> dict[str, tuple[int, int]]:
    """Correct / total for each triage decision of the autopilot."""
    triaged = [v.triage for v in verdicts if v.triage is not None]
    return {
        name: (sum(getattr(t, name) for t in triaged), len(triaged))
        for name in ("severity", "team", "remediation")
    }

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

from scoring.drill import DrillView
from scoring.events import Event
from scoring.expectations import Expectations
from scoring.recovery import recovered_at, recovery
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
    if not expected.alerts:
        verdict.cases.append(_reported_case(scenario_id, events))
    verdict.cases.append(_recovery_case(scenario_id, events))
    verdict.triage = _triage(events, expected)
    return verdict


def _reported_case(scenario_id: str, events: list[Event]) -> Case:
    """A scenario that expects no SLI alert is detected by a report (a customer's
    ticket or the synthetic storefront check) after the fault."""
    view = DrillView(events)
    name = "a customer report or synthetic check detects it"
    if view.t0 is None:
        return Case(scenario_id, name, False, "no fault was injected (the drill stopped early)")
    t0 = view.t0
    reports = [e for e in view.of("report.received") if e.t >= t0]
    pages = [e for e in view.of("page.sent") if e.t >= t0]
    paged = f"; an SLI alert also paged after {pages[0].t - t0:.1f}s" if pages else ", no SLI page"
    if not reports:
        return Case(scenario_id, name, False, f"no report arrived during the drill{paged}")
    first = reports[0]
    return Case(
        scenario_id,
        name,
        True,
        f"{first.data.get('channel')} {first.data.get('report_id')} arrived"
        f" {first.t - t0:.1f}s after the fault{paged}",
        first.t - t0,
    )


def _recovery_case(scenario_id: str, events: list[Event]) -> Case:
    """Recovery that belongs to the fix, judged exactly as the scorecard judges it: a
    `service.recovered` counts only after the end that a remediation caused; a fault
    that expired (TTL, duration) or was reverted by an operator earns nothing."""
    view = DrillView(events)
    name = "service recovers after remediation"
    if view.t0 is None:
        return Case(scenario_id, name, False, "no fault was injected (the drill stopped early)")
    found = recovery(view)
    tried = ", ".join(a.name for a in view.actions if a.result == "ok") or "nothing"
    if found.measured is None:
        return Case(scenario_id, name, False, f"no measured recovery; actions taken: {tried}")
    if found.credited is None:
        return Case(scenario_id, name, False, f"{found.reason}; actions taken: {tried}")
    fixes = [view.action(f.action_key) for f in view.faults if f.remediated]
    fixed_by = ", ".join(a.name for a in fixes if a is not None) or "a remediation"
    seconds = recovered_at(found.credited) - view.t0
    return Case(
        scenario_id,
        name,
        True,
        f"recovered {seconds:.1f}s after the fault (SLIs inside thresholds for "
        f"{found.credited.data.get('confirm_window_s')}s) after {fixed_by}",
        seconds,
    )


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

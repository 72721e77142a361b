"""Whole drills with `--detector prometheus`: Debian's Prometheus scrapes the drill's
shop, Alertmanager delivers to the engine's webhook, the page goes out and the
autopilot works the incident; `verify` with a team's rules file.

`run_drill` and the CLI commands get the detector from
`simulator.prometheus.select.detector_factory`; until they pass it through,
these tests build the Drill the way `run_drill` does.
"""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from scoring.events import Event, read_jsonl
from scoring.playbook import Playbook, load_playbook
from simulator.drill.assemble import assemble
from simulator.drill.detectors import DetectorFactory, DetectorLike
from simulator.drill.engine import DrillOptions
from simulator.drill.results import DrillResult
from simulator.drill.verify import judge, write_junit
from simulator.faults.registry import check_params
from simulator.prometheus import write_rules
from simulator.prometheus.detector import PrometheusDetector
from simulator.prometheus.errors import PrometheusError
from simulator.prometheus.select import detector_factory
from simulator.prometheus.servers import find_binary
from simulator.prometheus.teamrules import coverage_cases
from simulator.scenario.loader import find_scenario
from simulator.scenario.model import Scenario

pytestmark = [pytest.mark.prometheus, pytest.mark.e2e, pytest.mark.integration]


@pytest.fixture(scope="module", autouse=True)
def prometheus_binaries() -> None:
    """Selected `prometheus` tests FAIL without the binaries (CI installs them)."""
    try:
        for kind in ("prometheus", "alertmanager", "promtool"):
            find_binary(kind)
    except PrometheusError as exc:
        pytest.fail(f"{exc} (or run `bash .ci/system-setup`)")


class Recorded:
    """A detector factory that remembers the detectors it made (to check their processes)."""

    def __init__(self, factory: DetectorFactory) -> None:
        self.factory = factory
        self.pids: list[int] = []

    def __call__(
        self, shop_url: str, playbook: Playbook, clock: Callable[[], float]
    ) -> DetectorLike:
        detector = self.factory(shop_url, playbook, clock)
        assert isinstance(detector, PrometheusDetector) and detector.stack is not None
        self.pids += [detector.stack.prometheus.pid, detector.stack.alertmanager.pid]
        return detector


def drill(
    scenario: Scenario, playbook: Playbook, root: Path, factory: DetectorFactory
) -> DrillResult:
    """What `run_drill(..., detector_factory=factory)` does: the autopilot responds."""
    assembled = assemble(
        DrillOptions(
            scenario=scenario,
            playbook=playbook,
            report_dir=root / "report",
            state_root=root / "state",
            detector_factory=factory,
        ),
        autopilot=True,
    )
    try:
        asyncio.run(assembled.run())
        return assembled.results(store_history=False)
    finally:
        assembled.close()


def first(events: list[Event], type_: str, **data: object) -> Event:
    found = [
        e for e in events if e.type == type_ and all(e.data.get(k) == v for k, v in data.items())
    ]
    errors = [e.data for e in events if e.type == "autopilot.error"]
    assert found, f"no {type_} {data} in {[e.type for e in events]}; autopilot errors: {errors}"
    return found[0]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def playbook() -> Playbook:
    return load_playbook()


@pytest.fixture(scope="module")
def app_crash(playbook: Playbook) -> Scenario:
    return find_scenario("app-crash", check_params=check_params, playbook=playbook)


def test_an_alertmanager_delivery_pages_and_the_autopilot_resolves(
    tmp_path: Path, playbook: Playbook, app_crash: Scenario
) -> None:
    factory = detector_factory("prometheus")
    assert factory is not None
    recorded = Recorded(factory)
    result = drill(app_crash, playbook, tmp_path, recorded)
    events = read_jsonl(result.files["log"])

    injected = first(events, "fault.injected", kind="app.crash")
    firing = first(events, "alert.firing", name="availability", severity="critical")
    assert str(firing.data["alert_id"]).startswith("P")  # from Alertmanager, not the builtin rules
    assert firing.data["threshold"] == playbook.thresholds.availability.critical
    assert firing.t > injected.t
    page = first(events, "page.sent", alert_id=firing.data["alert_id"])
    first(events, "incident.acknowledged", page_id=page.data["page_id"])
    restart = first(events, "action.executed", action="service.restart")
    recovered = first(events, "service.recovered")
    resolved = first(events, "alert.resolved", alert_id=firing.data["alert_id"])
    assert page.t < restart.t < recovered.t
    assert resolved.t > restart.t  # Prometheus saw the restarted shop answer again
    first(events, "drill.finished", outcome="resolved")

    # What `verify --detector prometheus` judges: the expected alert and the recovery.
    verdict = judge(app_crash.id, result, events, app_crash.expected)
    assert verdict.passed, [c.message for c in verdict.cases]
    assert not any(alive(pid) for pid in recorded.pids), "Prometheus/Alertmanager left running"


def test_verify_with_team_rules_missing_the_critical_alert_fails(
    tmp_path: Path, playbook: Playbook, app_crash: Scenario
) -> None:
    # The team's file: the playbook's rules, but nobody wrote availability/critical.
    full, _ = write_rules(playbook, tmp_path / "exported")
    document = yaml.safe_load(full.read_text())
    rules = document["groups"][0]["rules"]
    document["groups"][0]["rules"] = [
        r for r in rules if (r["alert"], r["labels"]["severity"]) != ("availability", "critical")
    ]
    team = tmp_path / "team-rules.yml"
    team.write_text(yaml.safe_dump(document))

    assert coverage_cases(app_crash.id, full, app_crash.expected.alerts) == []
    missing = coverage_cases(app_crash.id, team, app_crash.expected.alerts)
    assert len(missing) == 1 and not missing[0].passed
    assert str(team) in missing[0].message and "availability" in missing[0].message

    factory = detector_factory("prometheus", rules_file=team)
    assert factory is not None
    result = drill(app_crash, playbook, tmp_path, factory)
    events = read_jsonl(result.files["log"])
    fired = {(e.data["name"], e.data["severity"]) for e in events if e.type == "alert.firing"}
    assert ("availability", "high") in fired  # the team's other rules do fire...
    assert ("availability", "critical") not in fired  # ...the missing one cannot

    verdict = judge(app_crash.id, result, events, app_crash.expected)
    verdict.cases[:0] = missing
    alert_case = next(c for c in verdict.cases if c.name.startswith("alert availability/critical"))
    assert not alert_case.passed and "never fired at critical" in alert_case.message
    junit = tmp_path / "junit.xml"
    write_junit([verdict], junit)
    failures = [f.get("message", "") for f in ET.parse(junit).getroot().iter("failure")]
    assert any(
        "has no rule `alert: availability` with labels.severity critical" in f for f in failures
    )
    assert not verdict.passed

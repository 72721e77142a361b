"""`verify --alertmanager-config FILE [--deliveries FILE] [--coverage FILE]`, wired.

    team = TeamCheck.prepare(am_file, deliveries_file, rules_file, scenario_ids, save_dir)
    factory = detector_factory("prometheus", rules_file, team=team.factory)  # promtool check
    static = team.static_cases()  # amtool config routes test: if one fails, stop here
    ... run each drill ...
    verdict.cases += team.cases(scenario.id, events, expected_alert_names)
    team.finish(coverage_file)   # the coverage report, and its JUnit case

`prepare` does every static check before anything starts: `amtool check-config`
on the team's file, integrations the drill cannot capture, the deliveries file
against the config's receivers and the scenarios chosen. A mistake is one
sentence (PrometheusError); nothing has been started or injected.
`static_cases` then asks Alertmanager's routing code where each expected alert
goes (see `static`); a failing one is an expectation failed (exit 1), and
`verify` stops there too, before any fault.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scoring.events import Event
from simulator.drill.verify import Case
from simulator.prometheus.errors import PrometheusError
from simulator.prometheus.teamrules import alerts_in
from simulator.teamalerting.amconfig import TeamConfig, check_config, load_config
from simulator.teamalerting.coverage import Coverage, ScenarioRun
from simulator.teamalerting.deliveries import Deliveries, judge, load_deliveries
from simulator.teamalerting.observer import TeamAlertmanager
from simulator.teamalerting.static import route_cases

NOTIFICATIONS_NAME = "team-notifications.{scenario}.jsonl"


@dataclass
class TeamCheck:
    config: TeamConfig
    deliveries: Deliveries
    rules: list[str]
    save_dir: Path
    rules_file: Path | None = None
    runs: list[TeamAlertmanager] = field(default_factory=list)
    coverage: Coverage | None = None
    judged: int = 0  # runs already judged: a drill that never started its detector adds none

    @classmethod
    def prepare(
        cls,
        am_file: Path,
        deliveries_file: Path | None,
        rules_file: Path | None,
        scenario_ids: Sequence[str],
        save_dir: Path,
        known_ids: Sequence[str] = (),
    ) -> TeamCheck:
        check_config(am_file)
        config = load_config(am_file)
        deliveries = (
            load_deliveries(deliveries_file, list(config.receivers), scenario_ids, known_ids)
            if deliveries_file is not None
            else Deliveries(scenarios={})
        )
        rules = sorted({name for name, _ in alerts_in(rules_file)}) if rules_file else []
        known = set(rules)
        for scenario, expected in deliveries.scenarios.items():
            for delivery in expected:
                if known and delivery.alert not in known:
                    raise PrometheusError(
                        f"{deliveries_file}: scenarios.{scenario}: alert {delivery.alert!r} is "
                        f"not a rule of {rules_file} (it has {', '.join(rules)})"
                    )
        return cls(config, deliveries, rules, save_dir, rules_file)

    def static_cases(self) -> list[Case]:
        """Each expected delivery through `amtool config routes test`, before any fault."""
        return route_cases(self.config.path, self.deliveries, self.rules_file)

    def factory(self, clock: Callable[[], float]) -> TeamAlertmanager:
        """A fresh run of the team's Alertmanager for one drill (remembered for `cases`)."""
        run = TeamAlertmanager(self.config, clock, self.save_dir)
        self.runs.append(run)
        return run

    def cases(
        self, scenario: str, events: Sequence[Event], expected_alerts: set[str]
    ) -> list[Case]:
        """The delivery cases of the drill that just ran, and its share of the coverage."""
        if len(self.runs) == self.judged:
            return [
                Case(
                    scenario,
                    "team Alertmanager ran",
                    False,
                    "the drill ended before its detector started (see the drill's log)",
                )
            ]
        run = self.runs[-1]
        self.judged = len(self.runs)
        self.save_notifications(scenario, run)
        t0 = next((e.t for e in events if e.type == "fault.injected"), None)
        expected = self.deliveries.scenarios.get(scenario, [])
        fired: dict[str, float] = {}
        for alert in run.alerts.values():
            if t0 is not None:
                fired.setdefault(alert.name, alert.first_seen - t0)
        reached = {n.receiver for n in run.notifications if n.firing and n.accepted}
        coverage = self.coverage or Coverage(self.rules or [], list(self.config.receivers))
        coverage.runs.append(
            ScenarioRun(scenario, fired, expected_alerts | {d.alert for d in expected}, reached)
        )
        if not self.rules:  # no team rules file: cover what fired
            coverage.rules = sorted(set(coverage.rules) | set(fired))
        self.coverage = coverage
        return judge(scenario, expected, run, t0, self.config.path)

    def save_notifications(self, scenario: str, run: TeamAlertmanager) -> Path:
        """Every notification the sinks got in this drill, one JSON object a line, next
        to the rewritten config: what each receiver would have shown, for inspection."""
        path = self.save_dir / NOTIFICATIONS_NAME.format(scenario=scenario)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(n.as_dict()) + "\n" for n in run.notifications))
        return path

    def finish(self, coverage_file: Path | None) -> Case | None:
        """Write the coverage report (if asked); its summary as a JUnit case."""
        if self.coverage is None:
            return None
        if coverage_file is not None:
            self.coverage.write(coverage_file)
        return self.coverage.case()

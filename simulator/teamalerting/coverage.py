"""The coverage of a team's rules and receivers over the drills of one `verify`.

For every alert rule in the team's rules file: the scenarios that made it fire
and when (seconds after the fault); rules that never fired in any scenario;
rules that fired where no scenario expected them (noise); receivers nothing
reached. Written as Markdown or JSON (by the file's suffix) and summed up in
one JUnit case that never fails the build on its own: coverage is a report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.drill.verify import Case


@dataclass
class ScenarioRun:
    """What one drill showed: the alerts that fired (seconds after the fault), the
    alerts it expected, and the receivers that were reached."""

    scenario: str
    fired: dict[str, float]
    expected: set[str]
    reached: set[str]


@dataclass
class Coverage:
    rules: list[str]
    receivers: list[str]
    runs: list[ScenarioRun] = field(default_factory=list)

    def fired_in(self, rule: str) -> list[tuple[str, float]]:
        return [(r.scenario, r.fired[rule]) for r in self.runs if rule in r.fired]

    @property
    def never_fired(self) -> list[str]:
        return [rule for rule in self.rules if not self.fired_in(rule)]

    @property
    def noise(self) -> list[tuple[str, str]]:
        """(rule, scenario) where a rule fired that the scenario did not expect."""
        return [(n, r.scenario) for r in self.runs for n in sorted(r.fired) if n not in r.expected]

    @property
    def unreached(self) -> list[str]:
        reached = set().union(*(r.reached for r in self.runs)) if self.runs else set()
        return [name for name in self.receivers if name not in reached]

    def as_dict(self) -> dict[str, Any]:
        return {
            "rules": {
                rule: [
                    {"scenario": s, "seconds_after_fault": round(t, 1)}
                    for s, t in self.fired_in(rule)
                ]
                for rule in self.rules
            },
            "never_fired": self.never_fired,
            "noise": [{"rule": n, "scenario": s} for n, s in self.noise],
            "receivers_not_reached": self.unreached,
        }

    def markdown(self) -> str:
        lines = [
            "# Alerting coverage",
            "",
            "| rule | fired in (seconds after the fault) |",
            "|---|---|",
        ]
        for rule in self.rules:
            fired = ", ".join(f"{s} ({t:.1f}s)" for s, t in self.fired_in(rule))
            lines.append(f"| {rule} | {fired or '**never fired**'} |")
        lines += ["", "## Never fired", ""] + [f"- {r}" for r in self.never_fired or ["(none)"]]
        noise = [f"- {n} in {s}" for n, s in self.noise] or ["- (none)"]
        lines += ["", "## Fired where no scenario expected it (noise)", "", *noise]
        lines += ["", "## Receivers nothing reached", ""]
        lines += [f"- {r}" for r in self.unreached or ["(none)"]]
        return "\n".join(lines) + "\n"

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".json":
            path.write_text(json.dumps(self.as_dict(), indent=2) + "\n")
        else:
            path.write_text(self.markdown())

    def summary(self) -> str:
        fired = len(self.rules) - len(self.never_fired)
        return (
            f"{fired} of {len(self.rules)} rules fired; never fired: "
            f"{', '.join(self.never_fired) or 'none'}; noise: "
            f"{', '.join(f'{n} in {s}' for n, s in self.noise) or 'none'}; receivers not "
            f"reached: {', '.join(self.unreached) or 'none'}"
        )

    def case(self) -> Case:
        return Case("coverage", "alerting coverage", True, self.summary())

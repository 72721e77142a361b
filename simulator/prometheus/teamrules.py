"""A team's own Prometheus rules file, as `chaosdrill verify --rules FILE` reads it.

The drill maps alerts by (alertname, label severity), so a scenario that
expects `availability/critical` needs a rule `alert: availability` with
`labels: {severity: critical}` (or a worse severity). `coverage_cases` says,
before any fault is injected, which expected alerts the file cannot fire.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

from scoring.names import ALERT_SEVERITIES
from scoring.yaml_source import load_located_yaml
from simulator.drill.verify import Case
from simulator.prometheus.errors import PrometheusError


class ExpectedAlertLike(Protocol):
    """The shape of `scenario.expected.alerts[]`."""

    @property
    def name(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def within_s(self) -> float: ...


def alerts_in(path: Path) -> set[tuple[str, str]]:
    """The (alertname, severity) pairs a Prometheus rules file can fire."""
    if not path.is_file():
        raise PrometheusError(f"cannot read the rules file {path}: no such file")
    # The one guarded reader: alias bombs, deep nesting and huge files are refused.
    document = load_located_yaml(path, PrometheusError, what="rules").data
    groups = document.get("groups") if isinstance(document, dict) else None
    if not isinstance(groups, list):
        raise PrometheusError(f"{path}: a Prometheus rules file needs a top-level `groups:` list")
    found: set[tuple[str, str]] = set()
    for group in groups:
        for rule in (group or {}).get("rules") or []:
            if isinstance(rule, dict) and "alert" in rule:
                labels = rule.get("labels") or {}
                found.add((str(rule["alert"]), str(labels.get("severity", ""))))
    return found


def covers(alerts: Iterable[tuple[str, str]], name: str, severity: str) -> bool:
    """Whether some alert named `name` fires at `severity` or worse."""
    if severity not in ALERT_SEVERITIES:
        return False
    worse_or_equal = ALERT_SEVERITIES[: ALERT_SEVERITIES.index(severity) + 1]
    return any(n == name and s in worse_or_equal for n, s in alerts)


def coverage_cases(
    scenario_id: str, rules_file: Path, expected: Sequence[ExpectedAlertLike]
) -> list[Case]:
    """One failing JUnit case per expected alert the rules file has no rule for."""
    alerts = alerts_in(rules_file)
    cases = []
    for alert in expected:
        if covers(alerts, alert.name, alert.severity):
            continue
        have = sorted(f"{n}/{s or '(no severity)'}" for n, s in alerts if n == alert.name)
        cases.append(
            Case(
                scenario_id,
                f"rules file has alert {alert.name}/{alert.severity}",
                False,
                f"{rules_file} has no rule `alert: {alert.name}` with labels.severity "
                f"{alert.severity} (or worse), which this scenario expects within "
                f"{alert.within_s:.0f}s; it has "
                + (", ".join(have) if have else f"no alert named {alert.name}"),
            )
        )
    return cases

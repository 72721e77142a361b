"""Static route checks, before any fault: does the team's routing tree send each
expected alert to its expected receiver at all?

For every expected delivery, `amtool config routes test` (Alertmanager's own
routing code) is asked where an alert with the labels it would carry goes:
`alertname`, the labels its rule in the team's rules file sets (each rule of
that name whose labels agree with the expectation's `labels:`), the
expectation's own `labels:` and `drill="true"` (every drill alert carries it).
Label values that are templates (`{{ $labels.x }}`) cannot be known before the
alert exists and are left out; labels that come from the series (`job`,
`instance`) are known only if the expectation names them in `labels:`.

A route that cannot reach the expected receiver, or reaches a `not_to` one, is
a failing case with the same one-line diff a drill would give; `verify` then
stops before anything is started. Inhibition needs the alerts themselves and is
judged in the drill.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from scoring.yaml_source import load_located_yaml
from simulator.drill.verify import Case
from simulator.prometheus.config import DRILL_LABEL
from simulator.prometheus.errors import PrometheusError
from simulator.prometheus.servers import find_binary
from simulator.teamalerting.deliveries import Deliveries, Delivery
from simulator.teamalerting.routes import ROUTES_TIMEOUT_S, parse_tree, route_args

TOOL = "amtool config routes test"


def rule_labels(rules_file: Path | None) -> dict[str, list[dict[str, str]]]:
    """alertname -> the static label sets of its rules (templated values left out)."""
    if rules_file is None:
        return {}
    document = load_located_yaml(rules_file, PrometheusError, what="rules").data
    found: dict[str, list[dict[str, str]]] = {}
    groups = document.get("groups") if isinstance(document, dict) else None
    for group in groups if isinstance(groups, list) else []:
        for rule in (group or {}).get("rules") or []:
            if isinstance(rule, dict) and "alert" in rule:
                labels = {
                    str(k): str(v)
                    for k, v in (rule.get("labels") or {}).items()
                    if "{{" not in str(v)
                }
                found.setdefault(str(rule["alert"]), []).append(labels)
    return found


def label_sets(delivery: Delivery, rules: dict[str, list[dict[str, str]]]) -> list[dict[str, str]]:
    """The label sets the expected alert can have, as far as the files say."""
    agreeing = [
        labels
        for labels in rules.get(delivery.alert, [])
        if all(labels.get(k, v) == v for k, v in delivery.labels.items())
    ] or [{}]
    return [
        {**labels, **delivery.labels, "alertname": delivery.alert, DRILL_LABEL: "true"}
        for labels in agreeing
    ]


def routes_test(config: Path, labels: dict[str, str]) -> dict[str, str]:
    """receiver -> matchers of the route that chose it (in order), from amtool."""
    try:
        result = subprocess.run(
            [
                find_binary("amtool"),
                "config",
                "routes",
                "test",
                f"--config.file={config}",
                "--tree",
                *route_args(labels),
            ],
            capture_output=True,
            text=True,
            timeout=ROUTES_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PrometheusError(f"{TOOL} on {config} could not run: {exc}") from None
    found = parse_tree(result.stdout)
    if result.returncode != 0 or not found:
        detail = " ".join(ln for ln in result.stderr.splitlines() if "Warning:" not in ln)
        raise PrometheusError(f"{TOOL} on {config} failed: {detail.strip() or result.stdout}")
    return found


def show(labels: dict[str, str]) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


def route_cases(config: Path, deliveries: Deliveries, rules_file: Path | None) -> list[Case]:
    """One case per expected delivery (and per must-not receiver), from routing alone."""
    rules = rule_labels(rules_file)
    cases: list[Case] = []
    for scenario, expected in deliveries.scenarios.items():
        for delivery in expected:
            if delivery.receiver is not None:
                cases += _cases(config, scenario, delivery, delivery.receiver, rules)
    return cases


def _cases(
    config: Path,
    scenario: str,
    delivery: Delivery,
    receiver: str,
    rules: dict[str, list[dict[str, str]]],
) -> list[Case]:
    name = f"{scenario}: {delivery.alert} routes to {receiver} ({TOOL})"
    missed: list[str] = []
    reached: dict[str, list[str]] = {other: [] for other in delivery.not_to}
    chosen: list[str] = []
    for labels in label_sets(delivery, rules):
        routes = routes_test(config, labels)
        if receiver in routes:
            chosen.append(routes[receiver])
        else:
            went = ", ".join(f"`{r}`" for r in routes)
            where = "; ".join(routes.values())
            missed.append(
                f"`{delivery.alert}` {show(labels)} goes to {went}, expected `{receiver}`; "
                f"matched route: {where}"
            )
        for other in delivery.not_to:
            if other in routes:
                reached[other].append(
                    f"`{delivery.alert}` {show(labels)} goes to `{other}`, which must not be "
                    f"notified; matched route: {routes[other]}"
                )
    cases = [
        Case(scenario, name, False, " | ".join(missed))
        if missed
        else Case(scenario, name, True, f"matched route: {'; '.join(sorted(set(chosen)))}")
    ]
    for other, problems in reached.items():
        label = f"{scenario}: {delivery.alert} does not route to {other} ({TOOL})"
        cases.append(
            Case(scenario, label, False, " | ".join(problems))
            if problems
            else Case(scenario, label, True, f"no route sends it to `{other}`")
        )
    return cases

"""The playbook's alert rules as a Prometheus rule file.

Each `AlertRule` (name, sli, op, threshold, severity, for_s, clear_s) becomes one
Prometheus alerting rule:

    alert: <name>                       # error_rate, latency_p99, availability
    expr: <sli_expr(sli, window)> <op> <threshold>
    for: <for_s>s                       # omitted when 0, like the builtin detector
    keep_firing_for: <clear_s>s         # the builtin detector's clear hysteresis
    labels: {severity: critical|high|medium}

The security rules (canary_token_used, export_volume, login_failure_surge) bring
their own PromQL (`simulator.detection.security`) and a `team` label (routing.security), so
a team's Alertmanager can route them to Security; export_volume has one
series per key_id, which the engine counts as one alert.

So an alert reaching Alertmanager maps 1:1 to the builtin detector's
(name, severity). The SLI expressions come from `simulator.detection.promql`
(same route exclusions). Availability is `up` of the scrape job averaged over
the window: Prometheus's own scrape of /metrics is the liveness check (the
builtin detector also probes /healthz; a scrape that fails or times out is
the same "not answering" for every fault we inject, without a blackbox
exporter process).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from simulator.detection.promql import sli_expr
from simulator.detection.rules import AlertRule

GROUP_NAME = "chaosdrill-playbook"
# A short window, for drills scraped every second (the builtin detector's
# traffic window is 1-5 s); production scrapes every 15-60 s want "2m" or more.
DEFAULT_WINDOW = "3s"
DEFAULT_JOB = "shop"
UNITS = {
    "error_rate": "ratio",
    "p99_ms": "ms",
    "availability": "ratio",
    "canary_uses": "canary uses",
    "export_ratio": "x the key's export limit",
    "login_failure_rate": "failed logins/s",
}


@dataclass(frozen=True)
class RuleFileOptions:
    """How the PromQL is written: the rate window and the scrape job of the target."""

    window: str = DEFAULT_WINDOW
    job: str = DEFAULT_JOB
    evaluation_interval: str = "1s"


def number(value: float) -> str:
    """A threshold as PromQL and YAML write it: 0.05, 1000, 0.995 (no float noise)."""
    text = format(value, ".15g")
    return text


def seconds(value: float) -> str:
    """A Prometheus duration for `value` seconds (whole milliseconds)."""
    millis = round(value * 1000)
    return f"{millis // 1000}s" if millis % 1000 == 0 else f"{millis}ms"


def alert_expr(rule: AlertRule, options: RuleFileOptions) -> str:
    """The PromQL condition of one rule; an SLI with several series is aggregated to one.
    A rule with its own PromQL (the security rules: limits per key) keeps it."""
    if rule.promql is not None:
        return rule.promql
    expr = sli_expr(rule.sli, options.window, options.job)
    if rule.sli == "availability":
        # One value for the job (a scaled-out target has several `up` series).
        expr = f"avg({expr})"
    return f"({expr}) {rule.op} {number(rule.threshold)}"


def summary(rule: AlertRule) -> str:
    """A human line for the alert's annotations."""
    where = "above" if rule.op == ">" else "below"
    unit = UNITS.get(rule.sli, "")
    return f"{rule.sli} {where} {number(rule.threshold)} {unit} (playbook {rule.severity})".strip()


def render_rule(rule: AlertRule, options: RuleFileOptions) -> dict[str, Any]:
    """One Prometheus alerting rule as a mapping (YAML key order kept)."""
    body: dict[str, Any] = {"alert": rule.name, "expr": alert_expr(rule, options)}
    if rule.for_s > 0:
        body["for"] = seconds(rule.for_s)
    if rule.clear_s > 0:
        body["keep_firing_for"] = seconds(rule.clear_s)
    body["labels"] = {"severity": rule.severity}
    if rule.team is not None:
        body["labels"]["team"] = rule.team  # for a team's Alertmanager to route on
    body["annotations"] = {
        "summary": summary(rule),
        "sli": rule.sli,
        "threshold": number(rule.threshold),
        # Machine-readable for the engine's webhook (AlertFiring.value).
        "value": '{{ printf "%.6g" $value }}',
    }
    return body


def render_rules(
    rules: Sequence[AlertRule], options: RuleFileOptions | None = None
) -> dict[str, Any]:
    """A whole rule file (one group) for `rules`."""
    options = options or RuleFileOptions()
    return {
        "groups": [
            {
                "name": GROUP_NAME,
                "interval": options.evaluation_interval,
                "rules": [render_rule(rule, options) for rule in rules],
            }
        ]
    }


def dump(document: dict[str, Any], header: str = "") -> str:
    """YAML text of a rule or test file, with `header` as leading comment lines."""
    comment = "".join(f"# {line}\n".replace("# \n", "#\n") for line in header.splitlines())
    body = yaml.safe_dump(document, sort_keys=False, width=1000, allow_unicode=True)
    return comment + body

"""A `promtool test rules` file for the exported rules, built from the same thresholds.

Synthetic series at 1 s intervals put each SLI between two thresholds and
past the worst one; each test expects exactly the severities whose threshold
is crossed, with their `value` annotation. 5xx on operator routes (/healthz,
/chaos/...) must not count, healthy traffic fires nothing, and availability
checks `for` and `keep_firing_for` (the builtin detector's for_s and clear_s).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from simulator.detection.rules import ALERT_SPECS, AlertRule
from simulator.prometheus.errors import PrometheusError
from simulator.prometheus.rulefile import RuleFileOptions, number, summary

REQUESTS_PER_S = 1000  # counter increments per second: a ratio is whole errors per 1000
USER = 'route="/products/{product_id}",method="GET"'
HEALTHY_P99_S = 0.02
DURATION = re.compile(r"^(\d+)(ms|s|m|h)$")
UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def duration_s(text: str) -> float:
    """Seconds of a simple Prometheus duration (500ms, 3s, 2m, 1h)."""
    match = DURATION.match(text)
    if match is None:
        raise PrometheusError(f"window {text!r}: use a duration like 3s, 30s or 2m")
    return int(match.group(1)) * UNIT_S[match.group(2)]


@dataclass(frozen=True)
class Plan:
    """The timeline of the tests, long enough for the window, `for` and `keep_firing_for`."""

    job: str
    window_s: int
    hold_s: int  # the longest `for` of availability
    clear_s: int  # its `keep_firing_for`

    @property
    def eval_at(self) -> int:
        """When the steady cases are evaluated: the window full, every `for` over."""
        return self.window_s + 2 * self.hold_s + 20

    @property
    def down_at(self) -> int:
        return 20

    @property
    def up_at(self) -> int:
        return self.down_at + self.window_s + self.hold_s + 10

    @property
    def length(self) -> int:
        return max(self.eval_at, self.up_at + self.window_s + self.clear_s) + 20


@dataclass(frozen=True)
class Level:
    """A synthetic SLI value and the severities it must fire."""

    value: float
    fires: tuple[str, ...]


def levels(rules: Sequence[AlertRule]) -> list[Level]:
    """Values between successive thresholds of one alert name, and past the worst one."""
    ordered = sorted(rules, key=lambda r: r.threshold, reverse=rules[0].op == "<")
    values = [(a.threshold + b.threshold) / 2 for a, b in itertools.pairwise(ordered)]
    worst = ordered[-1].threshold
    values.append((worst + 1) / 2 if rules[0].sli == "error_rate" else worst * 1.5)
    return [Level(v, tuple(r.severity for r in ordered if r.breached(v))) for v in values]


def counter(per_s: float, plan: Plan) -> str:
    return f"0+{number(per_s)}x{plan.length}"


def error_series(errors_per_1000: int, plan: Plan) -> list[dict[str, str]]:
    """User traffic with this many 5xx per 1000, plus 5xx on operator routes (excluded)."""
    ok, bad = REQUESTS_PER_S - errors_per_1000, errors_per_1000
    return [
        {"series": f'http_requests_total{{{USER},status="200"}}', "values": counter(ok, plan)},
        {"series": f'http_requests_total{{{USER},status="500"}}', "values": counter(bad, plan)},
        {
            "series": 'http_requests_total{route="/healthz",method="GET",status="503"}',
            "values": counter(REQUESTS_PER_S, plan),
        },
        {
            "series": 'http_requests_total{route="/chaos/errors",method="PUT",status="500"}',
            "values": counter(REQUESTS_PER_S, plan),
        },
    ]


def latency_series(p99_s: float, plan: Plan) -> list[dict[str, str]]:
    """A histogram whose p99 is exactly `p99_s`: 98 % fast, 2 % in a bucket centred on it.

    Rank 0.99 lies half-way into the slow bucket and histogram_quantile
    interpolates linearly inside a bucket, so the p99 is the bucket's middle.
    """
    fast_le = min(0.05, p99_s / 10)
    slow = REQUESTS_PER_S // 50
    buckets = [
        (number(fast_le), REQUESTS_PER_S - slow),
        (number(2 * p99_s - fast_le), REQUESTS_PER_S),
        ("+Inf", REQUESTS_PER_S),
    ]
    return [
        {
            "series": f'http_request_duration_seconds_bucket{{{USER},le="{le}"}}',
            "values": counter(count, plan),
        }
        for le, count in buckets
    ]


def up_series(values: str, plan: Plan) -> dict[str, str]:
    return {"series": f'up{{job="{plan.job}",instance="127.0.0.1:8000"}}', "values": values}


def expected_annotations(rule: AlertRule, value: str) -> dict[str, str]:
    """What the rule's annotations read for this value (see rulefile.render_rule)."""
    return {
        "summary": summary(rule),
        "sli": rule.sli,
        "threshold": number(rule.threshold),
        "value": value,
    }


def expect(
    by_name: Mapping[str, list[AlertRule]],
    at_s: float,
    fires: Mapping[str, Sequence[str]],
    value: Mapping[str, str],
) -> list[dict[str, Any]]:
    """One alert_rule_test per alert name: exactly the severities in `fires`."""
    checks = []
    for name, rules in by_name.items():
        by_severity = {r.severity: r for r in rules}
        expected = [
            {
                "exp_labels": {"severity": s},
                "exp_annotations": expected_annotations(by_severity[s], value[name]),
            }
            for s in fires.get(name, ())
        ]
        checks.append({"eval_time": f"{at_s:g}s", "alertname": name, "exp_alerts": expected})
    return checks


def g6(value: float) -> str:
    """The rule's `printf "%.6g"` in Python (Go prints these values the same way)."""
    return "%.6g" % value  # noqa: UP031 - the very format string of the rule


def render_tests(
    rules: Sequence[AlertRule], rule_file: str, options: RuleFileOptions | None = None
) -> dict[str, Any]:
    """The promtool test document for `rules` as rendered into `rule_file`."""
    options = options or RuleFileOptions()
    by_name: dict[str, list[AlertRule]] = {}
    for rule in rules:
        by_name.setdefault(rule.name, []).append(rule)
    if set(by_name) != set(ALERT_SPECS):
        raise PrometheusError(f"the rules must cover every alert: {', '.join(ALERT_SPECS)}")
    availability = by_name["availability"]
    plan = Plan(
        job=options.job,
        window_s=math.ceil(duration_s(options.window)),
        hold_s=math.ceil(max(r.for_s for r in availability)),
        clear_s=math.floor(min(r.clear_s for r in availability)),
    )
    up = up_series(f"1x{plan.length}", plan)
    cases: list[dict[str, Any]] = [
        {
            "name": "healthy traffic (5xx only on operator routes) fires nothing",
            "interval": "1s",
            "input_series": [*error_series(0, plan), *latency_series(HEALTHY_P99_S, plan), up],
            "alert_rule_test": expect(by_name, plan.eval_at, {}, {}),
        }
    ]
    for level in levels(by_name["error_rate"]):
        per_1000 = round(level.value * REQUESTS_PER_S)
        cases.append(
            {
                "name": f"error rate {per_1000 / 10:g}% fires {', '.join(level.fires)}",
                "interval": "1s",
                "input_series": [
                    *error_series(per_1000, plan),
                    *latency_series(HEALTHY_P99_S, plan),
                    up,
                ],
                "alert_rule_test": expect(
                    by_name,
                    plan.eval_at,
                    {"error_rate": level.fires},
                    {"error_rate": g6(per_1000 / REQUESTS_PER_S)},
                ),
            }
        )
    for level in levels(by_name["latency_p99"]):
        p99_ms = round(level.value)
        cases.append(
            {
                "name": f"p99 {p99_ms} ms fires {', '.join(level.fires)}",
                "interval": "1s",
                "input_series": [*error_series(0, plan), *latency_series(p99_ms / 1000, plan), up],
                "alert_rule_test": expect(
                    by_name, plan.eval_at, {"latency_p99": level.fires}, {"latency_p99": g6(p99_ms)}
                ),
            }
        )
    cases.append(availability_case(by_name, plan))
    return {"rule_files": [rule_file], "evaluation_interval": "1s", "tests": cases}


def availability_case(by_name: Mapping[str, list[AlertRule]], plan: Plan) -> dict[str, Any]:
    """Down from `plan.down_at` to `plan.up_at`: pending first, firing after `for`, kept
    firing for `keep_firing_for` after the last failed scrape left the window."""
    everything = [r.severity for r in by_name["availability"]]
    down = plan.up_at - plan.down_at
    values = f"1x{plan.down_at - 1} 0x{down - 1} 1x{plan.length - plan.up_at}"
    checks = []
    if plan.hold_s >= 1:
        checks += expect(by_name, plan.down_at, {}, {})  # pending, not firing yet
    # A window of nothing but failed scrapes: availability 0.
    at = plan.down_at + plan.window_s + plan.hold_s + 1
    checks += expect(by_name, at, {"availability": everything}, {"availability": "0"})
    # The last failed scrape leaves the window at up_at - 1 + window; the alert keeps
    # the value of its last true evaluation: one failed scrape of window + 1.
    last_true = plan.up_at - 1 + plan.window_s
    kept = g6(plan.window_s / (plan.window_s + 1))
    if plan.clear_s >= 2:
        checks += expect(
            by_name,
            last_true + plan.clear_s // 2,
            {"availability": everything},
            {"availability": kept},
        )
    checks += expect(by_name, last_true + plan.clear_s + 3, {}, {})
    return {
        "name": f"down {plan.down_at}s-{plan.up_at}s: for {plan.hold_s}s, "
        f"keep firing {plan.clear_s}s",
        "interval": "1s",
        "input_series": [
            *error_series(0, plan),
            *latency_series(HEALTHY_P99_S, plan),
            up_series(values, plan),
        ],
        "alert_rule_test": checks,
    }

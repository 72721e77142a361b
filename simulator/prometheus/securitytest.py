"""`promtool test rules` cases for the exported security rules.

Synthetic counters at 1 s intervals: a canary used once fires canary_token_used
and stops after the window and `keep_firing_for`; the partner's key exporting at
its normal rate fires nothing, an unlisted key exporting a few rows per second
and the partner at more than its limit fire export_volume, each with its key_id;
failed logins at 5 a second fire login_failure_surge, which clears once they stop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from simulator.detection.rules import AlertRule
from simulator.detection.security import CANARY_ALERT, EXPORT_ALERT, LOGIN_ALERT
from simulator.prometheus.rulefile import number, summary

USED_AT_S = 30  # the canary is used once, here


def _g6(value: float) -> str:
    return "%.6g" % value  # noqa: UP031 - the very format string of the rule


def _alert(rule: AlertRule, value: float, **labels: str) -> dict[str, Any]:
    exp_labels = {"severity": rule.severity, **labels}
    if rule.team is not None:
        exp_labels["team"] = rule.team
    return {
        "exp_labels": exp_labels,
        "exp_annotations": {
            "summary": summary(rule),
            "sli": rule.sli,
            "threshold": number(rule.threshold),
            "value": _g6(value),
        },
    }


def security_cases(
    rules: Sequence[AlertRule], window_s: float, limits: dict[str, float], floor: float
) -> list[dict[str, Any]]:
    """Cases for the security rules among `rules` (none when there are none)."""
    by_name = {r.name: r for r in rules}
    cases: list[dict[str, Any]] = []
    canary = by_name.get(CANARY_ALERT)
    if canary is not None:
        after = USED_AT_S + int(window_s) + int(canary.clear_s) + 3
        cases.append(
            {
                "name": "one use of the canary key fires canary_token_used, then it clears",
                "interval": "1s",
                "input_series": [
                    {
                        "series": 'canary_token_used_total{token="key"}',
                        "values": f"0x{USED_AT_S} 1x{after + 10}",
                    },
                    {"series": 'canary_token_used_total{token="record"}', "values": "0x90"},
                ],
                "alert_rule_test": [
                    {"eval_time": f"{USED_AT_S - 2}s", "alertname": CANARY_ALERT, "exp_alerts": []},
                    {
                        "eval_time": f"{USED_AT_S + 2}s",
                        "alertname": CANARY_ALERT,
                        "exp_alerts": [_alert(canary, 1.0)],
                    },
                    {"eval_time": f"{after}s", "alertname": CANARY_ALERT, "exp_alerts": []},
                ],
            }
        )
    export = by_name.get(EXPORT_ALERT)
    if export is not None:
        series, fired = [], []
        for key_id, limit in sorted(limits.items()):
            normal = round(limit / 3)  # well inside the limit: fires nothing
            fast = round(limit * 1.5)
            series.append(
                {
                    "series": f'customer_export_rows_total{{key_id="{key_id}"}}',
                    "values": f"0+{normal}x39 {normal * 40}+{fast}x40",
                }
            )
            fired.append(_alert(export, fast / limit, key_id=key_id))
        stranger = round(floor * 5)
        series.append(
            {
                "series": 'customer_export_rows_total{key_id="reports"}',
                "values": f"0x39 0+{stranger}x40",
            }
        )
        fired.append(_alert(export, stranger / floor, key_id="reports"))
        at = 40 + int(window_s) + 5  # the window holds only the fast part
        cases.append(
            {
                "name": "keys at their normal rate fire nothing; above their limit, export_volume",
                "interval": "1s",
                "input_series": series,
                "alert_rule_test": [
                    {"eval_time": "35s", "alertname": EXPORT_ALERT, "exp_alerts": []},
                    {"eval_time": f"{at}s", "alertname": EXPORT_ALERT, "exp_alerts": fired},
                ],
            }
        )
    login = by_name.get(LOGIN_ALERT)
    if login is not None:
        cases.append(_login_case(login, window_s))
    return cases


def _login_case(rule: AlertRule, window_s: float) -> dict[str, Any]:
    """Failed logins: none for 40 s, then a surge for 40 s, then none again."""
    per_s = max(5, int(rule.threshold * 5))
    surge_end = 80
    after = surge_end + int(window_s) + int(rule.clear_s) + 3
    return {
        "name": "a surge of failed logins fires login_failure_surge, then it clears",
        "interval": "1s",
        "input_series": [
            {
                "series": 'login_failures_total{reason="wrong_password"}',
                "values": f"0x39 0+{per_s}x40 {per_s * 40}x{after - surge_end + 10}",
            },
            {
                "series": 'login_failures_total{reason="unknown_account"}',
                "values": f"0x{after + 10}",
            },
        ],
        "alert_rule_test": [
            {"eval_time": "35s", "alertname": LOGIN_ALERT, "exp_alerts": []},
            {
                "eval_time": f"{40 + int(window_s) + 5}s",
                "alertname": LOGIN_ALERT,
                "exp_alerts": [_alert(rule, float(per_s))],
            },
            {"eval_time": f"{after}s", "alertname": LOGIN_ALERT, "exp_alerts": []},
        ],
    }

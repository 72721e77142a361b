"""Configuration files for a drill's own Prometheus and Alertmanager.

Both evaluate as fast as this machine allows for a drill: scrape and rule
evaluation every second, and Alertmanager sends the first alert of each
alertname with no group wait, so it reaches the engine's webhook about 1-2 s
after its condition became true; later changes of the same alertname follow
at the next group interval (1 s). A resolved alert is sent too
(`send_resolved`).

Inhibit rules keep one alert per alertname at its highest severity: critical
inhibits high and medium, high inhibits medium. Grouping by alertname puts
the severities of one SLI in one delivery, so severities that resolve
together reach the engine together (never "critical resolved, high still
firing" for an instant). The engine's tracker inhibits the same way on its
side, whatever Alertmanager lets through.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from scoring.names import ALERT_SEVERITIES

SCRAPE_INTERVAL = "1s"
# Under the interval: a hung target must read as down (up == 0) before the next scrape.
SCRAPE_TIMEOUT = "800ms"
EVALUATION_INTERVAL = "1s"
GROUP_INTERVAL = "1s"
REPEAT_INTERVAL = "4h"  # a drill never needs the same page twice
RECEIVER = "chaosdrill-engine"
DRILL_LABEL = "drill"  # on every alert of a drill: drill="true"


def prometheus_config(
    *,
    shop_target: str,
    alertmanager_target: str,
    rule_files: list[Path],
    job: str = "shop",
    extra_alertmanagers: Sequence[str] = (),
) -> dict[str, Any]:
    """prometheus.yml: scrape the shop's /metrics as `job`, alert through the engine's
    Alertmanager (and a team's own, `extra_alertmanagers`, which get every alert too).

    Every alert carries the label `drill="true"` (an external label), so a team's
    dashboards and incident metrics can leave drills out.
    """
    targets = [alertmanager_target, *extra_alertmanagers]
    return {
        "global": {
            "scrape_interval": SCRAPE_INTERVAL,
            "scrape_timeout": SCRAPE_TIMEOUT,
            "evaluation_interval": EVALUATION_INTERVAL,
            "external_labels": {DRILL_LABEL: "true"},
        },
        "rule_files": [str(path) for path in rule_files],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": targets}]}]},
        "scrape_configs": [
            {
                "job_name": job,
                "metrics_path": "/metrics",
                "static_configs": [{"targets": [shop_target]}],
            }
        ],
    }


def inhibit_rules() -> list[dict[str, Any]]:
    """A more severe alert of an alertname inhibits the less severe ones of the same name."""
    rules = []
    for rank, source in enumerate(ALERT_SEVERITIES[:-1]):
        lower = ALERT_SEVERITIES[rank + 1 :]
        target = f'severity="{lower[0]}"' if len(lower) == 1 else f'severity=~"{"|".join(lower)}"'
        rules.append(
            {
                "source_matchers": [f'severity="{source}"'],
                "target_matchers": [target],
                "equal": ["alertname"],
            }
        )
    return rules


def alertmanager_config(webhook_url: str) -> dict[str, Any]:
    """alertmanager.yml: each alertname at once to the engine's webhook, inhibited by severity."""
    return {
        "route": {
            "receiver": RECEIVER,
            "group_by": ["alertname"],  # an SLI's severities in one delivery
            "group_wait": "0s",
            "group_interval": GROUP_INTERVAL,
            "repeat_interval": REPEAT_INTERVAL,
        },
        "inhibit_rules": inhibit_rules(),
        "receivers": [
            {
                "name": RECEIVER,
                "webhook_configs": [{"url": webhook_url, "send_resolved": True}],
            }
        ],
    }


def write_yaml(path: Path, document: dict[str, Any]) -> Path:
    """Write `document` as YAML to `path`; returns the path."""
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path

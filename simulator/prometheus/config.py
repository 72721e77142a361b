"""Configuration files for a drill's own Prometheus and Alertmanager.

Both evaluate as fast as this machine allows for a drill: scrape and rule
evaluation every second, and Alertmanager sends each alert on its own
(`group_by: ['...']`) with no group wait, so an alert reaches the engine's
webhook about 1-2 s after its condition became true. A resolved alert is
sent too (`send_resolved`), at the next group interval (1 s).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

SCRAPE_INTERVAL = "1s"
# Under the interval: a hung target must read as down (up == 0) before the next scrape.
SCRAPE_TIMEOUT = "800ms"
EVALUATION_INTERVAL = "1s"
GROUP_INTERVAL = "1s"
REPEAT_INTERVAL = "4h"  # a drill never needs the same page twice
RECEIVER = "chaosdrill-engine"


def prometheus_config(
    *, shop_target: str, alertmanager_target: str, rule_files: list[Path], job: str = "shop"
) -> dict[str, Any]:
    """prometheus.yml: scrape the shop's /metrics as `job`, alert through one Alertmanager."""
    return {
        "global": {
            "scrape_interval": SCRAPE_INTERVAL,
            "scrape_timeout": SCRAPE_TIMEOUT,
            "evaluation_interval": EVALUATION_INTERVAL,
        },
        "rule_files": [str(path) for path in rule_files],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [alertmanager_target]}]}]},
        "scrape_configs": [
            {
                "job_name": job,
                "metrics_path": "/metrics",
                "static_configs": [{"targets": [shop_target]}],
            }
        ],
    }


def alertmanager_config(webhook_url: str) -> dict[str, Any]:
    """alertmanager.yml: every alert alone, at once, to the engine's webhook."""
    return {
        "route": {
            "receiver": RECEIVER,
            "group_by": ["..."],  # no grouping: one notification per alert instance
            "group_wait": "0s",
            "group_interval": GROUP_INTERVAL,
            "repeat_interval": REPEAT_INTERVAL,
        },
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

"""Which route of the team's tree an alert matched, in Alertmanager's own words.

`amtool config routes test --tree` walks the real routing code over a label set
and prints the matching routes (`{team=~"web.*"}  receiver: frontend-slack`);
this module asks it, so a wrong delivery names the route that sent it there.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from simulator.prometheus.servers import find_binary

ROUTES_TIMEOUT_S = 30


def matched_routes(config: Path, labels: dict[str, str]) -> dict[str, str]:
    """receiver -> the matchers of the route that chose it, for an alert with `labels`.
    Empty when amtool cannot say (its answer is not needed for the verdict itself)."""
    args = [f'{name}="{_escape(value)}"' for name, value in sorted(labels.items())]
    try:
        result = subprocess.run(
            [
                find_binary("amtool"),
                "config",
                "routes",
                "test",
                f"--config.file={config}",
                "--tree",
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=ROUTES_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return {}
    found: dict[str, str] = {}
    for line in result.stdout.splitlines():
        matchers, sep, receiver = line.partition("receiver:")
        if sep:
            route = matchers.strip().lstrip("│├└─ ").strip() or "default-route"
            found.setdefault(receiver.strip(), route)
    return found


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')

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
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return {}
    return parse_tree(result.stdout)


def route_args(labels: dict[str, str]) -> list[str]:
    """`name="value"` arguments for amtool, in a stable order."""
    return [f'{name}="{_escape(value)}"' for name, value in sorted(labels.items())]


def parse_tree(stdout: str) -> dict[str, str]:
    """receiver -> matchers of its route, from `amtool config routes test --tree`."""
    found: dict[str, str] = {}
    for line in stdout.splitlines():
        matchers, sep, receiver = line.partition("receiver:")
        if sep:
            route = matchers.strip().lstrip("│├└─ ").strip() or "default-route"
            found.setdefault(receiver.strip(), route)
    return found


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')

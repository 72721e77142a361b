"""Is the shop healthy again? The proof a revert worked, before an environment is stopped.

`cleanup` and the watchdog of an abandoned environment revert the faults and
then stop everything. In between they wait until the shop answers its API
normally for a short while, and say so: whoever reads the line (or watches the
port) knows the revert really healed the service, not just that it ran.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from simulator.env.http import client

HOLD_S = 3.0  # healthy this long in a row counts as healthy again
WAIT_S = 15.0  # give up after this long (a shop that was broken anyway)
PROBE_INTERVAL_S = 0.2


def answers(url: str) -> bool:
    """The shop's health check and catalog both answer 200 (a refused connection: not yet)."""
    try:
        return all(
            client().get(url + path, timeout=1.0).status_code == 200
            for path in ("/healthz", "/products")
        )
    except httpx.HTTPError:
        return False


def healthy_again(
    url: str,
    hold_s: float = HOLD_S,
    wait_s: float = WAIT_S,
    cancelled: Callable[[], bool] = lambda: False,
) -> float | None:
    """Seconds until the shop at `url` was healthy for `hold_s` in a row, or None."""
    start = time.monotonic()
    since: float | None = None
    while time.monotonic() - start < wait_s + hold_s and not cancelled():
        now = time.monotonic()
        if answers(url):
            since = now if since is None else since
            if now - since >= hold_s:
                return since - start
        else:
            since = None
            if now - start >= wait_s:
                return None
        time.sleep(PROBE_INTERVAL_S)
    return None

"""Outside probes that wait: a refused or reset connection, a timeout or a
process that is gone means "not yet", never an error of the test.

A shop that restarts (a crash, a bad release, its revert) refuses connections
for a moment, and a pid read from the state file may already be gone when
/proc is read. A probe that raises there fails a test that is only waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

# What "not there yet" looks like from outside: httpx's transport errors
# (refused, reset, timed out) and OS errors (a /proc entry of a process that
# just exited, a socket refused).
NOT_YET: tuple[type[BaseException], ...] = (httpx.TransportError, OSError)


def holds(predicate: Callable[[], bool]) -> bool:
    """`predicate()`, with a transport or OS error counted as False."""
    try:
        return predicate()
    except NOT_YET:
        return False


def wait_until(predicate: Callable[[], bool], timeout_s: float, interval_s: float = 0.25) -> bool:
    """Poll `predicate` until it holds or `timeout_s` runs out (then one last try).

    A transport or OS error while polling counts as "not yet".
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if holds(predicate):
            return True
        time.sleep(interval_s)
    return holds(predicate)


def get_or_none(url: str, timeout_s: float = 5.0) -> httpx.Response | None:
    """GET `url`; None when the connection is refused, reset or times out."""
    try:
        return httpx.get(url, timeout=timeout_s)
    except httpx.TransportError:
        return None


def answers(url: str, status: int = 200, timeout_s: float = 5.0) -> bool:
    """`url` answers with `status`; False on a transport error."""
    response = get_or_none(url, timeout_s)
    return response is not None and response.status_code == status


def healthy(base_url: str, timeout_s: float = 2.0) -> bool:
    """The shop at `base_url` is live, ready and serves its catalogue."""
    return all(
        answers(f"{base_url}{path}", 200, timeout_s)
        for path in ("/healthz", "/readyz", "/products")
    )


def version_of(base_url: str, timeout_s: float = 5.0) -> str | None:
    """The version the shop reports, in one request; None while it restarts."""
    response = get_or_none(f"{base_url}/version", timeout_s)
    if response is None or response.status_code != 200:
        return None
    return str(response.json()["version"])

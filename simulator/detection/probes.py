"""Synthetic checks of the target over HTTP, each strictly bounded in time.

A hung target (SIGSTOPped, deadlocked) accepts TCP connections into its backlog
and never answers, so every check runs under a hard `asyncio.wait_for` on top
of httpx's per-operation timeouts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from simulator.detection.exposition import ExpositionError, MetricsSnapshot, parse_metrics
from simulator.detection.samples import CheckResult

CHECK_TIMEOUT_S = 0.8
SCRAPE_CHECK = "scrape"


@dataclass(frozen=True)
class ProbeSpec:
    """A GET the detector sends every tick; `{id}` in the path rotates over 1..`rotate`."""

    name: str
    path: str
    rotate: int = 0

    def path_for(self, tick: int) -> str:
        """The path to request at tick number `tick`."""
        if self.rotate <= 0:
            return self.path
        return self.path.format(id=1 + tick % self.rotate)


# Liveness plus real transactions of the shop (seeded: products 1..200,
# customers 1..300): they exercise the request path, and keep the error rate
# and latency defined when no load runs.
DEFAULT_PROBES: tuple[ProbeSpec, ...] = (
    ProbeSpec("healthz", "/healthz"),
    ProbeSpec("product", "/products/{id}", rotate=200),
    ProbeSpec("orders", "/orders?customer_id={id}&limit=5", rotate=300),
)


def new_client(timeout_s: float = CHECK_TIMEOUT_S) -> httpx.AsyncClient:
    """An HTTP client for checks: no keep-alive, so a restarted target is met on a
    fresh connection instead of a dead pooled one."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout_s),
        limits=httpx.Limits(max_keepalive_connections=0),
        trust_env=False,
    )


async def check(
    client: httpx.AsyncClient,
    name: str,
    url: str,
    timeout_s: float = CHECK_TIMEOUT_S,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[CheckResult, httpx.Response | None]:
    """GET `url` within `timeout_s`; ok means a 2xx/3xx answer."""
    start = clock()
    response: httpx.Response | None = None
    error: str | None = None
    try:
        response = await asyncio.wait_for(client.get(url), timeout_s)
    except TimeoutError:
        error = f"no answer within {timeout_s:g}s"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:200]
    end = clock()
    status = None if response is None else response.status_code
    ok = status is not None and 200 <= status < 400
    if status is not None and not ok:
        error = f"HTTP {status}"
    result = CheckResult(name, end, ok, status, (end - start) * 1000.0, error)
    return result, response


async def scrape(
    client: httpx.AsyncClient,
    base_url: str,
    timeout_s: float = CHECK_TIMEOUT_S,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[CheckResult, MetricsSnapshot | None]:
    """Scrape `base_url`/metrics; the snapshot is None if the scrape failed."""
    result, response = await check(client, SCRAPE_CHECK, f"{base_url}/metrics", timeout_s, clock)
    if response is None or not result.ok:
        return result, None
    try:
        return result, parse_metrics(response.text, result.t)
    except ExpositionError as exc:
        bad = CheckResult(result.name, result.t, False, result.status, result.latency_ms, str(exc))
        return bad, None

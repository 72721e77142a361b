"""SLI samples from a team's Prometheus (its query API), for a target this host cannot
scrape itself: a service inside a cluster (`--backend kubernetes`).

Every `interval_s` it evaluates the SLIs' PromQL with `/api/v1/query` (the shop's by
default: `simulator.detection.promql`, the same traffic the builtin detector measures;
or a team's own, `sli_queries`) and hands the engine an `SliSample`, as the builtin
detector would. `check()` asks each query before the drill (sli_queries.check); in
the drill, a query that fails or has no value leaves that SLI None (unknown, never
"fine"); `scrape_ok` is whether every query answered. Requests are bounded in time;
one slow Prometheus skips a tick, not the drill.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable

import httpx

from simulator.detection.detector import DetectorOutput
from simulator.detection.samples import SliSample
from simulator.prometheus.sli_queries import DEFAULT, SLI_NAMES, SliQuery, check, default_queries

QUERIED = SLI_NAMES
TIMEOUT_S = 0.8
INTERVAL_S = 1.0  # between evaluations, unless the caller names its own
log = logging.getLogger(__name__)


class PrometheusSlis:
    """The sample source of a detector whose SLIs come from PromQL (not a scrape)."""

    def __init__(
        self,
        prometheus_url: str,
        clock: Callable[[], float] = time.monotonic,
        *,
        job: str = "shop",
        window: str = "1m",
        interval_s: float | None = None,
        queries: list[SliQuery] | None = None,
    ) -> None:
        self.url = prometheus_url.rstrip("/")
        self.clock = clock
        # Each SLI's query and where it was named; the shop's (on `job`) if not named.
        self.named = {
            sli: SliQuery(sli, expr, DEFAULT) for sli, expr in default_queries(job, window).items()
        }
        self.named.update({q.sli: q for q in queries or ()})
        self.queries = {sli: q.expr for sli, q in self.named.items()}
        self.interval_s = INTERVAL_S if interval_s is None else interval_s
        self.last_sample: SliSample | None = None
        self._listeners: list[Callable[[DetectorOutput], None]] = []
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def check(self) -> None:
        """Every query parses and answers a series there (bounded), or one sentence."""
        check(self.url, list(self.named.values()))

    def add_listener(self, listener: Callable[[DetectorOutput], None]) -> None:
        self._listeners.append(listener)

    async def _value(self, client: httpx.AsyncClient, expr: str) -> float | None:
        try:
            response = await client.get(f"{self.url}/api/v1/query", params={"query": expr})
            response.raise_for_status()
            result = response.json()["data"]["result"]
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            log.warning("prometheus query %s: %s", expr, exc)
            raise
        if not result:
            return None  # no series: no traffic (or no such metric)
        value = float(result[0]["value"][1])
        return None if math.isnan(value) or math.isinf(value) else value

    async def tick(self, client: httpx.AsyncClient) -> SliSample:
        """One evaluation of every SLI; its sample goes to the listeners."""
        values: dict[str, float | None] = {}
        answered = True
        for sli, expr in self.queries.items():
            try:
                values[sli] = await self._value(client, expr)
            except (httpx.HTTPError, ValueError, KeyError, TypeError):
                values[sli], answered = None, False
        rps = values["rps"]
        sample = SliSample(
            t=self.clock(),
            rps=rps,
            error_rate=values["error_rate"],
            p50_ms=values["p50_ms"],
            p99_ms=values["p99_ms"],
            availability=values["availability"],
            requests=(rps or 0.0) * 60.0,
            window_s=60.0,
            scrape_ok=answered,
        )
        self.last_sample = sample
        for listener in list(self._listeners):
            try:
                listener(sample)
            except Exception:  # a broken consumer must not stop detection
                log.exception("sample listener %r failed", listener)
        return sample

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=TIMEOUT_S, trust_env=False) as client:
            while not self._stopping.is_set():
                await self.tick(client)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self.interval_s)

    def start(self) -> asyncio.Task[None]:
        if self._task is None or self._task.done():
            self._stopping.clear()
            self._task = asyncio.get_running_loop().create_task(self.run(), name="prom-slis")
        return self._task

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

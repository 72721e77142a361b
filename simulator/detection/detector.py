"""The builtin detector: every tick, scrape and probe the target, compute SLIs,
evaluate the alert rules, and hand samples and alert transitions to the engine.

It keeps ticking whatever the target does (down, hung, restarting): every
check is bounded by CHECK_TIMEOUT_S, and a failed check is data, not an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence

import httpx

from simulator.detection.alerts import AlertEvaluator, AlertFiring, AlertResolved
from simulator.detection.probes import (
    CHECK_TIMEOUT_S,
    DEFAULT_PROBES,
    ProbeSpec,
    check,
    new_client,
    scrape,
)
from simulator.detection.rules import AlertRule
from simulator.detection.samples import CheckResult, SliSample
from simulator.detection.security import SecurityWindow
from simulator.detection.sli import SliConfig, SliWindow

INTERVAL_S = 1.0

DetectorOutput = SliSample | AlertFiring | AlertResolved
Listener = Callable[[DetectorOutput], None]

log = logging.getLogger(__name__)


class BuiltinDetector:
    """Scrapes `base_url`/metrics and probes it every `interval_s` seconds.

    Outputs (SliSample, then the AlertFiring/AlertResolved of that sample) go to
    listeners added with `add_listener` and to every `stream()` iterator. Times
    are those of `clock` (monotonic by default; the engine may pass its drill
    clock).
    """

    def __init__(
        self,
        base_url: str,
        rules: Sequence[AlertRule],
        *,
        interval_s: float | None = None,
        sli_config: SliConfig | None = None,
        probes: Sequence[ProbeSpec] = DEFAULT_PROBES,
        timeout_s: float = CHECK_TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
        id_prefix: str = "",
        security: SecurityWindow | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.rules = list(rules)
        self.interval_s = INTERVAL_S if interval_s is None else interval_s
        self.timeout_s = min(timeout_s, self.interval_s)
        self.probes = tuple(probes)
        self.clock = clock
        self.window = SliWindow(sli_config)
        # The canary and export signals of the security rules; None: not measured.
        self.security = security
        self.evaluator = AlertEvaluator(self.rules, id_prefix)
        self.last_sample: SliSample | None = None
        self.ticks = 0
        self._listeners: list[Listener] = []
        self._queues: list[asyncio.Queue[DetectorOutput | None]] = []
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._in_flight: dict[str, asyncio.Future[tuple[CheckResult, httpx.Response | None]]] = {}

    # -- outputs -----------------------------------------------------------------
    def add_listener(self, listener: Listener) -> None:
        """Call `listener` with every output; a listener that raises is logged and skipped."""
        self._listeners.append(listener)

    async def stream(self) -> AsyncIterator[DetectorOutput]:
        """Every output from now on, until the detector stops."""
        queue: asyncio.Queue[DetectorOutput | None] = asyncio.Queue()
        self._queues.append(queue)
        try:
            while (item := await queue.get()) is not None:
                yield item
        finally:
            self._queues.remove(queue)

    def _emit(self, output: DetectorOutput) -> None:
        for listener in list(self._listeners):
            try:
                listener(output)
            except Exception:  # a broken consumer must not stop detection
                log.exception("detector listener %r failed", listener)
        for queue in self._queues:
            queue.put_nowait(output)

    # -- running -----------------------------------------------------------------
    async def tick(self, client: httpx.AsyncClient) -> SliSample:
        """One tick: scrape and liveness probes (awaited, concurrently), SLIs, rules.

        Transaction probes run in the background and join the tick at which they
        have finished: a slow product page (a latency fault) must not hold back
        the sample that would report it.
        """
        number = self.ticks
        self.ticks += 1
        liveness = self.window.config.availability_checks
        awaited = []
        for spec in self.probes:
            if spec.name not in liveness and spec.name in self._in_flight:
                continue  # the previous one is still out: one at a time per probe
            url = self.base_url + spec.path_for(number)
            call = check(client, spec.name, url, self.timeout_s, self.clock)
            if spec.name in liveness:
                awaited.append(call)
            else:
                self._in_flight[spec.name] = asyncio.ensure_future(call)
        (scrape_result, snapshot), results = await asyncio.gather(
            scrape(client, self.base_url, self.timeout_s, self.clock), asyncio.gather(*awaited)
        )
        checks = (scrape_result, *(result for result, _ in results), *self._finished_probes())
        sample = self.window.update(self.clock(), snapshot, checks)
        if self.security is not None:
            sample = self.security.annotate(sample, snapshot)
        self.last_sample = sample
        self._emit(sample)
        for transition in self.evaluator.evaluate(sample):
            self._emit(transition)
        return sample

    def _finished_probes(self) -> list[CheckResult]:
        finished = []
        for name, task in list(self._in_flight.items()):
            if task.done():
                del self._in_flight[name]
                if not task.cancelled() and task.exception() is None:
                    finished.append(task.result()[0])
        return finished

    async def cancel_probes(self) -> None:
        """Cancel background probes still in flight (before their client closes)."""
        tasks = list(self._in_flight.values())
        self._in_flight.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def run(self) -> None:
        """Tick every `interval_s` on a fixed schedule until `stop()`; overruns skip slots."""
        async with new_client(self.timeout_s) as client:
            start = self.clock()
            slot = 0
            while not self._stopping.is_set():
                try:
                    await self.tick(client)
                except Exception:  # keep detecting; a bug in one tick is logged loudly
                    log.exception("detector tick failed")
                slot = max(slot + 1, int((self.clock() - start) / self.interval_s) + 1)
                delay = start + slot * self.interval_s - self.clock()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), max(delay, 0.0))
            await self.cancel_probes()
        for queue in self._queues:
            queue.put_nowait(None)

    def start(self) -> asyncio.Task[None]:
        """Run the detector as a task of the running loop."""
        if self._task is None or self._task.done():
            self._stopping.clear()
            self._task = asyncio.get_running_loop().create_task(self.run(), name="detector")
        return self._task

    async def stop(self) -> None:
        """Stop ticking and wait for the current tick to end (at most one check timeout)."""
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None

    @property
    def firing(self) -> dict[tuple[str, str], AlertFiring]:
        """Alerts firing now, by (name, severity)."""
        return self.evaluator.firing

"""The builtin detector against the real shop under real load and real faults.

The shop and the payment provider run as processes on 127.0.0.1; faults go
through the shop's chaos endpoints or are signals to its pid. A small bounded
thread load stands in for Locust here (cheaper to start; the benchmark uses
Locust). Time limits below are generous: they bound the test, they do not
measure detection latency (bench/detection_latency.py does).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx
import pytest

from scoring.playbook import load_playbook
from simulator.detection import (
    AlertFiring,
    AlertResolved,
    BuiltinDetector,
    DetectorOutput,
    SliSample,
    rules_from_playbook,
)
from simulator.detection.rules import DEFAULT_TIMING
from simulator.env.processes import ManagedProcess, start_provider, start_shop

pytestmark = pytest.mark.integration

TOKEN = "detection-test-token"
CHAOS = {"X-Chaos-Token": TOKEN}
# The default timing with short clear times, to keep the tests quick; the
# hysteresis itself is unit-tested.
TIMING = {key: replace(timing, clear_s=2.0) for key, timing in DEFAULT_TIMING.items()}


class BackgroundLoad:
    """Threads sending GETs to the catalog at a bounded rate, for at most `max_s`."""

    PATHS = ("/products?limit=20", "/products/{id}", "/products/search?q=a", "/customers/{id}")

    def __init__(self, url: str, threads: int = 4, rps_per_thread: float = 25.0, max_s: float = 60):
        self.url, self.threads, self.pause = url, threads, 1.0 / rps_per_thread
        self.max_requests = int(rps_per_thread * max_s)
        self.deadline = time.monotonic() + max_s
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []
        self.answered: list[float] = []  # when each request got its answer (monotonic)

    def in_window(self, start: float, end: float) -> int:
        return sum(1 for t in list(self.answered) if start <= t <= end)

    def _work(self, seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=self.url, timeout=3.0, trust_env=False) as client:
            for _ in range(self.max_requests):
                if self._stop.is_set() or time.monotonic() > self.deadline:
                    return
                path = rng.choice(self.PATHS).format(id=rng.randint(1, 200))
                with contextlib.suppress(httpx.HTTPError):  # down on purpose, at times
                    client.get(path)
                    self.answered.append(time.monotonic())
                self._stop.wait(self.pause)

    def __enter__(self) -> BackgroundLoad:
        for seed in range(self.threads):
            worker = threading.Thread(target=self._work, args=(seed,), daemon=True)
            worker.start()
            self._workers.append(worker)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=5.0)


@dataclass
class Recorder:
    """Everything the detector handed out, in order."""

    outputs: list[DetectorOutput] = field(default_factory=list)

    def __call__(self, output: DetectorOutput) -> None:
        self.outputs.append(output)

    @property
    def samples(self) -> list[SliSample]:
        return [o for o in self.outputs if isinstance(o, SliSample)]

    def fired(self, name: str, severity: str | None = None) -> list[AlertFiring]:
        return [
            o
            for o in self.outputs
            if isinstance(o, AlertFiring)
            and o.name == name
            and (severity is None or o.severity == severity)
        ]

    def resolved(self, alert_id: str) -> bool:
        return any(isinstance(o, AlertResolved) and o.alert_id == alert_id for o in self.outputs)

    def assert_one_alert_per_sli(self) -> None:
        """At no time two alerts of one SLI: lower severities are inhibited."""
        shown: dict[str, AlertFiring] = {}
        changes = [o for o in self.outputs if isinstance(o, AlertFiring | AlertResolved)]
        for n, o in enumerate(changes):
            if isinstance(o, AlertFiring):
                shown[o.alert_id] = o
            else:
                assert shown.pop(o.alert_id).severity == o.severity
            names = [a.name for a in shown.values()]
            if len(names) != len(set(names)):
                # A higher severity is shown first, then the lower one it inhibits is
                # resolved at once (the SLI is never without an alert): nothing between.
                following = changes[n + 1] if n + 1 < len(changes) else None
                assert isinstance(following, AlertResolved), f"two alerts of one SLI: {shown}"
                assert following.alert_id in shown, f"two alerts of one SLI: {shown}"


async def until(check: Callable[[], bool], timeout_s: float, what: str, rec: Recorder) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            last = rec.samples[-1] if rec.samples else None
            raise AssertionError(f"{what} not seen within {timeout_s:g}s; last sample: {last}")
        await asyncio.sleep(0.1)


def detect(url: str, body: Callable[[BuiltinDetector, Recorder], Awaitable[None]]) -> Recorder:
    """Run the detector on `url` while `body` runs; return what it reported."""
    recorder = Recorder()

    async def main() -> None:
        detector = BuiltinDetector(url, rules_from_playbook(load_playbook(), TIMING))
        detector.add_listener(recorder)
        detector.start()
        try:
            await body(detector, recorder)
        finally:
            await detector.stop()

    asyncio.run(main())
    recorder.assert_one_alert_per_sli()
    return recorder


@dataclass
class ShopEnv:
    workdir: Path
    provider: ManagedProcess
    shop: ManagedProcess

    def restart_shop(self) -> None:
        self.shop = start_shop(
            self.workdir, port=self.shop.port, chaos_token=TOKEN, payment_url=self.provider.url
        )


def _shop_env(workdir: Path) -> Iterator[ShopEnv]:
    provider = start_provider(workdir, "primary")
    try:
        env = ShopEnv(
            workdir, provider, start_shop(workdir, chaos_token=TOKEN, payment_url=provider.url)
        )
        try:
            yield env
        finally:
            env.shop.stop()
    finally:
        provider.stop()


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShopEnv]:
    """One shop for the tests that only use chaos endpoints (each clears what it set)."""
    yield from _shop_env(tmp_path_factory.mktemp("detection-shop"))


@pytest.fixture
def own(tmp_path: Path) -> Iterator[ShopEnv]:
    """A shop of the test's own, for tests that kill or stop the process."""
    yield from _shop_env(tmp_path)


async def chaos(url: str, method: str, kind: str, body: dict[str, object] | None = None) -> None:
    async with httpx.AsyncClient(base_url=url, headers=CHAOS, trust_env=False) as client:
        response = await client.request(method, f"/chaos/{kind}", json=body, timeout=5.0)
        response.raise_for_status()


def test_healthy_load_fires_no_alert(shared: ShopEnv) -> None:
    async def body(detector: BuiltinDetector, rec: Recorder) -> None:
        streamed: list[DetectorOutput] = []

        async def consume() -> None:
            async for output in detector.stream():
                streamed.append(output)

        consumer = asyncio.create_task(consume())
        detector.add_listener(_broken_listener)  # must not stop detection
        await asyncio.sleep(10.0)
        await detector.stop()
        await asyncio.wait_for(consumer, 5.0)
        assert streamed == rec.outputs

    with BackgroundLoad(shared.shop.url) as load:
        rec = detect(shared.shop.url, body)
    fired = [o for o in rec.outputs if isinstance(o, AlertFiring)]
    assert fired == [], f"alerts fired under healthy load: {fired}"
    steady = [s for s in rec.samples[2:] if s.rps is not None]
    assert len(steady) >= 8
    # The detector's request rate holds at least the rate at which the client got
    # answers over the same stretch; how high that is depends on how busy the
    # machine is, not on the detector.
    start, end = steady[0].t - steady[0].window_s, steady[-1].t
    client_rps = load.in_window(start, end) / (end - start)
    detector_rps = sum(s.rps or 0.0 for s in steady) / len(steady)
    assert client_rps > 0 and detector_rps >= 0.8 * client_rps, (detector_rps, client_rps)
    assert all(s.error_rate == 0.0 and s.availability == 1.0 for s in steady)
    assert all(s.p99_ms is not None and s.p99_ms < 500 for s in steady)
    checks = {c.name for s in rec.samples for c in s.checks}
    assert checks == {"scrape", "healthz", "product", "orders"}


def _broken_listener(output: DetectorOutput) -> None:
    raise RuntimeError("a broken consumer")


def test_half_errors_fire_error_rate_critical_and_resolve_when_cleared(shared: ShopEnv) -> None:
    url = shared.shop.url

    async def body(detector: BuiltinDetector, rec: Recorder) -> None:
        await asyncio.sleep(2.0)
        await chaos(url, "PUT", "errors", {"fraction": 0.5, "ttl_s": 60})
        try:
            await until(
                lambda: bool(rec.fired("error_rate", "critical")), 10, "error_rate critical", rec
            )
        finally:
            await chaos(url, "DELETE", "errors")
        alert = rec.fired("error_rate", "critical")[0]
        assert alert.value > 0.1 and alert.threshold == 0.1
        await until(lambda: rec.resolved(alert.alert_id), 15, "error_rate resolved", rec)
        assert not rec.fired("availability"), "liveness does not go through the error fault"

    with BackgroundLoad(url):
        detect(url, body)


def test_slow_catalog_fires_latency_p99_high(shared: ShopEnv) -> None:
    url = shared.shop.url

    async def body(detector: BuiltinDetector, rec: Recorder) -> None:
        await asyncio.sleep(2.0)
        await chaos(url, "PUT", "latency", {"ms": 1500, "routes": ["/products"], "ttl_s": 60})
        try:
            await until(lambda: bool(rec.fired("latency_p99", "high")), 10, "latency_p99 high", rec)
        finally:
            await chaos(url, "DELETE", "latency")
        alert = rec.fired("latency_p99", "high")[0]
        assert 1000 < alert.value <= 2500  # interpolated inside the (1 s, 2.5 s] bucket
        assert not rec.fired("latency_p99", "critical")
        await until(lambda: rec.resolved(alert.alert_id), 15, "latency_p99 resolved", rec)

    with BackgroundLoad(url, threads=8):
        detect(url, body)


def test_killed_shop_fires_availability_and_restart_resolves_it(own: ShopEnv) -> None:
    async def body(detector: BuiltinDetector, rec: Recorder) -> None:
        await asyncio.sleep(2.0)
        os.kill(own.shop.pid, signal.SIGKILL)
        own.shop.popen.wait(timeout=5)
        await until(lambda: bool(rec.fired("availability", "critical")), 10, "availability", rec)
        alert = rec.fired("availability", "critical")[0]
        assert alert.value < 0.99
        await asyncio.to_thread(own.restart_shop)
        await until(lambda: rec.resolved(alert.alert_id), 15, "availability resolved", rec)
        # Counters restarted from zero: the rate after the restart is sane, not negative.
        await until(lambda: (rec.samples[-1].rps or 0) > 10, 10, "traffic after restart", rec)
        assert all(s.rps is None or s.rps >= 0 for s in rec.samples)
        assert not rec.fired("error_rate")

    with BackgroundLoad(own.shop.url):
        detect(own.shop.url, body)


def test_stopped_shop_does_not_block_the_detector(shared: ShopEnv) -> None:
    async def body(detector: BuiltinDetector, rec: Recorder) -> None:
        await asyncio.sleep(2.0)
        os.kill(shared.shop.pid, signal.SIGSTOP)
        try:
            stopped_at = len(rec.samples)
            await until(
                lambda: bool(rec.fired("availability", "critical")), 10, "availability", rec
            )
            await asyncio.sleep(3.0)
            during = rec.samples[stopped_at:]
            # Still ticking about once a second although nothing answers.
            assert len(during) >= 4
            assert not any(s.scrape_ok for s in during[1:])
        finally:
            os.kill(shared.shop.pid, signal.SIGCONT)
        alert = rec.fired("availability", "critical")[0]
        await until(lambda: rec.resolved(alert.alert_id), 15, "availability resolved", rec)

    with BackgroundLoad(shared.shop.url):
        detect(shared.shop.url, body)

"""The settings behind the chaos controls, each a real code path with a deadline.

Request-path settings (`ErrorInjection`, `LatencyInjection`) are read by the
chaos gate on every API request. Background faults (`CpuBurn`, `MemoryGrowth`,
`PoolLeak`) run in daemon threads from `begin()` until `end()`; `end()` never
blocks, so the reaper that calls it at the deadline cannot be held up by a
dead database.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from abc import ABC, abstractmethod
from typing import Any, Protocol

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from target_app.cache import RecommendationCache

LEAK_RETRY_S = 0.2  # how often a pool leak retries while the pool or database refuses

log = logging.getLogger("shop.error")  # the shop's error log (target_app.logs configures it)


class Setting(Protocol):
    """One active chaos setting; the controls end it at `expires_at` (monotonic)."""

    expires_at: float

    def begin(self) -> None: ...
    def end(self) -> None: ...
    def describe(self) -> dict[str, Any]: ...


def _deadline(ttl_s: float) -> float:
    return time.monotonic() + ttl_s


class _RouteScoped:
    routes: tuple[str, ...]

    def applies(self, path: str) -> bool:
        """True when no routes were named or `path` starts with one of them."""
        return not self.routes or path.startswith(self.routes)

    def begin(self) -> None:
        """Request-path settings act through the chaos gate; nothing to start."""

    def end(self) -> None:
        """Nothing to stop."""


class ErrorInjection(_RouteScoped):
    def __init__(self, fraction: float, status: int, routes: list[str], ttl_s: float) -> None:
        self.fraction, self.status, self.routes = fraction, status, tuple(routes)
        self.expires_at = _deadline(ttl_s)

    def hit(self) -> bool:
        """Decide per request whether this one fails."""
        return random.random() < self.fraction

    def describe(self) -> dict[str, Any]:
        return {"fraction": self.fraction, "status": self.status, "routes": list(self.routes)}


class LatencyInjection(_RouteScoped):
    def __init__(self, ms: float, jitter_ms: float, routes: list[str], ttl_s: float) -> None:
        self.ms, self.jitter_ms, self.routes = ms, jitter_ms, tuple(routes)
        self.expires_at = _deadline(ttl_s)

    def delay_s(self) -> float:
        """The delay of one request: `ms` plus or minus up to `jitter_ms`."""
        return max(0.0, self.ms + random.uniform(-self.jitter_ms, self.jitter_ms)) / 1000

    def describe(self) -> dict[str, Any]:
        return {"ms": self.ms, "jitter_ms": self.jitter_ms, "routes": list(self.routes)}


class Slowdown(_RouteScoped):
    """Every matching request takes `factor` times as long: the middleware holds the
    answer back by (factor - 1) x the time the handler took, so the slowdown scales
    with the route's own cost, as a slower code path or an undersized host would."""

    def __init__(self, factor: float, routes: list[str], ttl_s: float) -> None:
        self.factor, self.routes = factor, tuple(routes)
        self.expires_at = _deadline(ttl_s)

    def extra_s(self, elapsed_s: float) -> float:
        return max(0.0, (self.factor - 1.0) * elapsed_s)

    def describe(self) -> dict[str, Any]:
        return {"factor": self.factor, "routes": list(self.routes)}


class _Background(ABC):
    """A fault run by daemon threads that watch one stop flag."""

    name = "fault"

    def __init__(self, ttl_s: float, workers: int = 1) -> None:
        self.expires_at = _deadline(ttl_s)
        self.workers = workers
        self._stop = threading.Event()

    def begin(self) -> None:
        for i in range(self.workers):
            threading.Thread(target=self._run, name=f"{self.name}-{i}", daemon=True).start()

    def end(self) -> None:
        self._stop.set()

    @abstractmethod
    def _run(self) -> None:
        """The worker's loop; it returns when `self._stop` is set."""


class CpuBurn(_Background):
    name = "cpu-burn"

    def __init__(self, threads: int, duty: float, ttl_s: float) -> None:
        super().__init__(ttl_s, workers=threads)
        self.duty = duty

    def _run(self) -> None:
        # Pure-Python spinning holds the GIL too, as a CPU-hungry code path would.
        slice_s = 0.01
        while not self._stop.is_set():
            until = time.perf_counter() + slice_s * self.duty
            while time.perf_counter() < until:
                pass
            if self.duty < 1.0:
                time.sleep(slice_s * (1.0 - self.duty))

    def describe(self) -> dict[str, Any]:
        return {"threads": self.workers, "duty": self.duty}


class MemoryGrowth(_Background):
    """Grows the recommendation cache's memory (a leak through a real structure)."""

    name = "memory-growth"

    def __init__(
        self, cache: RecommendationCache, mb_per_s: float, max_mb: float, ttl_s: float
    ) -> None:
        super().__init__(ttl_s)
        self.cache, self.mb_per_s, self.max_mb = cache, mb_per_s, max_mb

    def _run(self) -> None:
        step_mb = max(1.0, self.mb_per_s / 10)
        interval = step_mb / self.mb_per_s
        limit = self.max_mb * 1024 * 1024
        while not self._stop.wait(interval):
            if self.cache.bloat_bytes() < limit:
                self.cache.bloat(int(step_mb * 1024 * 1024))
                if self._stop.is_set():  # ended while we allocated: give it back too
                    self.cache.drop_bloat()

    def end(self) -> None:
        super().end()
        self.cache.drop_bloat()

    def describe(self) -> dict[str, Any]:
        return {
            "mb_per_s": self.mb_per_s,
            "max_mb": self.max_mb,
            "held_mb": round(self.cache.bloat_bytes() / 1024 / 1024, 1),
        }


class PoolLeak(_Background):
    """Checks connections out of the app's own pool and holds them, each in an
    open transaction, until the fault ends."""

    name = "pool-leak"

    def __init__(self, engine: Engine, connections: int, ttl_s: float) -> None:
        super().__init__(ttl_s)
        self.engine, self.connections = engine, connections
        self._held: list[Connection] = []
        self._lock = threading.Lock()
        self._releaser: threading.Thread | None = None

    def held(self) -> int:
        with self._lock:
            return len(self._held)

    def _run(self) -> None:
        # Retry until the target is reached or the fault ends: a leak set while
        # the pool is busy or the database is down still leaks once it can.
        while not self._stop.is_set() and self.held() < self.connections:
            try:
                conn = self.engine.connect()
            except SQLAlchemyError:  # pool exhausted or database unreachable: retry
                self._stop.wait(LEAK_RETRY_S)
                continue
            try:
                conn.exec_driver_sql("SELECT 1")  # on PostgreSQL: idle in transaction
            except SQLAlchemyError:  # database went away between checkout and query: retry
                _release([conn])
                self._stop.wait(LEAK_RETRY_S)
                continue
            with self._lock:
                if not self._stop.is_set():
                    self._held.append(conn)
                    continue
            _release([conn])

    def end(self) -> None:
        with self._lock:
            self._stop.set()  # under the lock: no connection is added after this
            held, self._held = self._held, []
        if held:
            # Off-thread: returning a connection to a hung database can block.
            self._releaser = threading.Thread(
                target=_release, args=(held,), name="pool-leak-release", daemon=True
            )
            self._releaser.start()

    def join(self, timeout_s: float) -> None:
        """Wait (bounded) until the held connections were given back."""
        if self._releaser is not None:
            self._releaser.join(timeout_s)

    def describe(self) -> dict[str, Any]:
        return {"connections": self.connections, "held": self.held()}


def _release(connections: list[Connection]) -> int:
    """Give `connections` back to the pool; returns how many could not be given back.

    One connection that will not close must not keep the others held, so each
    failure is logged (with the error) and the loop goes on.
    """
    failed = 0
    for conn in connections:
        try:
            # Invalidate first: discards the DBAPI connection without a rollback
            # round trip (which would hang on a dead database); the pool reconnects.
            conn.invalidate()
            conn.close()
        except (SQLAlchemyError, OSError) as exc:
            failed += 1
            log.warning("pool-leak: a held connection could not be given back: %s", exc)
    return failed

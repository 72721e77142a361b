"""The service's own chaos controls: real code paths, each with a TTL.

The fault layer sets these through token-protected loopback endpoints
(`routes/chaos.py`). Every setting expires by itself: a reaper thread ends it
at its deadline even if whoever set it is gone.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine

from target_app.cache import RecommendationCache

REAP_INTERVAL_S = 0.2


@dataclass
class ErrorInjection:
    fraction: float
    status: int
    routes: tuple[str, ...]
    expires_at: float

    def applies(self, path: str) -> bool:
        return not self.routes or any(path.startswith(r) for r in self.routes)


@dataclass
class LatencyInjection:
    ms: float
    jitter_ms: float
    routes: tuple[str, ...]
    expires_at: float

    def applies(self, path: str) -> bool:
        return not self.routes or any(path.startswith(r) for r in self.routes)

    def delay_s(self) -> float:
        return max(0.0, self.ms + random.uniform(-self.jitter_ms, self.jitter_ms)) / 1000


@dataclass
class _Worker:
    """A background activity (CPU burn, memory growth, pool leak) with a stop flag."""

    expires_at: float
    params: dict[str, Any]
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)


DEFAULT_FLAGS: dict[str, Any] = {"recommendations_enabled": True, "payment_provider": "primary"}


class ChaosControls:
    def __init__(self, engine: Engine, cache: RecommendationCache) -> None:
        self.engine = engine
        self.cache = cache
        self.errors: ErrorInjection | None = None
        self.latency: LatencyInjection | None = None
        self._workers: dict[str, _Worker] = {}
        self._held: list[Connection] = []
        self.flags: dict[str, Any] = dict(DEFAULT_FLAGS)
        self._flag_expiry: dict[str, float] = {}
        self._lock = threading.RLock()
        self._reaper_stop = threading.Event()
        self._reaper: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------
    def start(self) -> None:
        self._reaper = threading.Thread(target=self._reap_loop, name="chaos-reaper", daemon=True)
        self._reaper.start()

    def shutdown(self) -> None:
        self._reaper_stop.set()
        self.clear_all()

    def _reap_loop(self) -> None:
        while not self._reaper_stop.wait(REAP_INTERVAL_S):
            self.expire(time.monotonic())

    def expire(self, now: float) -> None:
        with self._lock:
            if self.errors and self.errors.expires_at <= now:
                self.errors = None
            if self.latency and self.latency.expires_at <= now:
                self.latency = None
            for kind, worker in list(self._workers.items()):
                if worker.expires_at <= now:
                    self.clear(kind)
            for name, deadline in list(self._flag_expiry.items()):
                if deadline <= now:
                    self.flags[name] = DEFAULT_FLAGS[name]
                    del self._flag_expiry[name]

    # -- request-path faults ---------------------------------------------------
    def set_errors(self, fraction: float, status: int, routes: list[str], ttl_s: float) -> None:
        with self._lock:
            self.errors = ErrorInjection(fraction, status, tuple(routes), time.monotonic() + ttl_s)

    def set_latency(self, ms: float, jitter_ms: float, routes: list[str], ttl_s: float) -> None:
        with self._lock:
            self.latency = LatencyInjection(ms, jitter_ms, tuple(routes), time.monotonic() + ttl_s)

    # -- background faults -----------------------------------------------------
    def set_cpu_burn(self, threads: int, duty: float, ttl_s: float) -> None:
        worker = self._replace("cpu", ttl_s, {"threads": threads, "duty": duty})
        for i in range(threads):
            self._spawn(worker, f"cpu-burn-{i}", self._burn, duty)

    def set_memory_growth(self, mb_per_s: float, max_mb: float, ttl_s: float) -> None:
        worker = self._replace("memory", ttl_s, {"mb_per_s": mb_per_s, "max_mb": max_mb})
        self._spawn(worker, "memory-growth", self._grow, mb_per_s, max_mb)

    def set_pool_leak(self, connections: int, ttl_s: float) -> None:
        worker = self._replace("pool_leak", ttl_s, {"connections": connections})
        self._spawn(worker, "pool-leak", self._leak, connections)

    def _replace(self, kind: str, ttl_s: float, params: dict[str, Any]) -> _Worker:
        self.clear(kind)
        worker = _Worker(expires_at=time.monotonic() + ttl_s, params=params)
        with self._lock:
            self._workers[kind] = worker
        return worker

    def _spawn(self, worker: _Worker, name: str, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=target, args=(worker.stop, *args), name=name, daemon=True)
        worker.threads.append(thread)
        thread.start()

    @staticmethod
    def _burn(stop: threading.Event, duty: float) -> None:
        # Pure-Python spinning holds the GIL too, as a CPU-hungry code path would.
        slice_s = 0.01
        while not stop.is_set():
            until = time.perf_counter() + slice_s * duty
            while time.perf_counter() < until:
                pass
            if duty < 1.0:
                time.sleep(slice_s * (1.0 - duty))

    def _grow(self, stop: threading.Event, mb_per_s: float, max_mb: float) -> None:
        step_mb = max(1.0, mb_per_s / 10)
        interval = step_mb / mb_per_s
        while not stop.wait(interval):
            if self.cache.bloat_bytes() < max_mb * 1024 * 1024:
                self.cache.bloat(int(step_mb * 1024 * 1024))

    def _leak(self, stop: threading.Event, connections: int) -> None:
        for _ in range(connections):
            if stop.is_set():
                return
            try:
                conn = self.engine.connect()
                conn.exec_driver_sql("SELECT 1")  # opens a transaction and keeps it
            except Exception:  # the pool or database may already be gone
                if stop.wait(0.2):
                    return
                continue
            with self._lock:
                if stop.is_set():
                    conn.close()
                    return
                self._held.append(conn)

    # -- flags -----------------------------------------------------------------
    def set_flags(self, values: dict[str, Any], ttl_s: float | None) -> None:
        with self._lock:
            for name, value in values.items():
                self.flags[name] = value
                if ttl_s is None:
                    self._flag_expiry.pop(name, None)
                else:
                    self._flag_expiry[name] = time.monotonic() + ttl_s

    # -- ending ------------------------------------------------------------------
    def clear(self, kind: str) -> bool:
        """End one kind of chaos; returns whether it was active."""
        with self._lock:
            if kind == "errors":
                was, self.errors = self.errors is not None, None
                return was
            if kind == "latency":
                was, self.latency = self.latency is not None, None
                return was
            if kind == "flags":
                was = self.flags != DEFAULT_FLAGS
                self.flags = dict(DEFAULT_FLAGS)
                self._flag_expiry.clear()
                return was
            worker = self._workers.pop(kind, None)
            held, self._held = (self._held, []) if kind == "pool_leak" else ([], self._held)
        if worker is None:
            return False
        worker.stop.set()
        for conn in held:
            try:
                conn.close()
            except Exception:  # a dead database cannot take the connection back
                conn.invalidate()
        if kind == "memory":
            self.cache.drop_bloat()
        return True

    def clear_all(self) -> None:
        for kind in ("errors", "latency", "cpu", "memory", "pool_leak", "flags"):
            self.clear(kind)

    def snapshot(self) -> dict[str, Any]:
        now = time.monotonic()
        with self._lock:
            state: dict[str, Any] = {"flags": dict(self.flags)}
            if self.errors:
                state["errors"] = {
                    "fraction": self.errors.fraction,
                    "status": self.errors.status,
                    "routes": list(self.errors.routes),
                    "ttl_left_s": round(self.errors.expires_at - now, 1),
                }
            if self.latency:
                state["latency"] = {
                    "ms": self.latency.ms,
                    "jitter_ms": self.latency.jitter_ms,
                    "routes": list(self.latency.routes),
                    "ttl_left_s": round(self.latency.expires_at - now, 1),
                }
            for kind, worker in self._workers.items():
                state[kind] = {**worker.params, "ttl_left_s": round(worker.expires_at - now, 1)}
            if "pool_leak" in state:
                state["pool_leak"]["held"] = len(self._held)
        return state

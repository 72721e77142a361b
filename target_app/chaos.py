"""The service's own chaos controls: real code paths, each with a TTL.

The fault layer sets these through token-protected loopback endpoints
(`routes/chaos.py`). Every setting expires by itself: a reaper thread ends it
at its deadline even if whoever set it is gone. Setting a kind that is active
replaces it; replacing and clearing are atomic, so two concurrent requests can
never leave an orphaned worker running without a deadline.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import Any, Literal

from sqlalchemy import Engine

from target_app.cache import RecommendationCache
from target_app.chaos_faults import (
    CpuBurn,
    ErrorInjection,
    LatencyInjection,
    MemoryGrowth,
    PoolLeak,
    Setting,
    Slowdown,
)

REAP_INTERVAL_S = 0.2
KINDS = ("errors", "latency", "slowdown", "cpu", "memory", "pool_leak", "flags")


@dataclasses.dataclass(frozen=True)
class Flags:
    """Feature flags; replaced as a whole so readers never need the lock."""

    recommendations_enabled: bool = True
    payment_provider: Literal["primary", "backup"] = "primary"
    search_ranking_enabled: bool = True
    # New features behind flags, off until someone switches them on.
    storefront_v2_enabled: bool = False
    product_summaries_enabled: bool = False
    # An operator's incident switch: off, every API write is refused with 503 while
    # reads go on (the playbook's "stop all writes" for data loss or corruption).
    writes_enabled: bool = True


DEFAULT_FLAGS = Flags()
# Features an operator can switch off by name: `<name>_enabled` flags (writes are an
# incident switch, not a feature).
SWITCHABLE = tuple(
    f.name.removesuffix("_enabled")
    for f in dataclasses.fields(Flags)
    if f.name.endswith("_enabled") and f.name != "writes_enabled"
)


def flags_with_disabled(features: tuple[str, ...]) -> Flags:
    """The defaults with these features off: what the operators' configuration says
    (`TARGET_DISABLED_FEATURES`, a ConfigMap on Kubernetes), kept across restarts."""
    off: dict[str, Any] = {f"{name}_enabled": False for name in features}
    return dataclasses.replace(DEFAULT_FLAGS, **off)


class ChaosControls:
    def __init__(
        self, engine: Engine, cache: RecommendationCache, defaults: Flags = DEFAULT_FLAGS
    ) -> None:
        self.engine = engine
        self.cache = cache
        # Where flags fall back to (a TTL, a clear): the configured defaults.
        self.defaults = defaults
        self.flags = defaults
        self._active: dict[str, Setting] = {}
        self._flag_expiry: dict[str, float] = {}
        self._lock = threading.Lock()
        self._reaper_stop = threading.Event()
        self._reaper: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------
    def start(self) -> None:
        """Start the reaper that ends settings at their deadline."""
        self._reaper = threading.Thread(target=self._reap_loop, name="chaos-reaper", daemon=True)
        self._reaper.start()

    def shutdown(self) -> None:
        """Stop the reaper and end everything (held connections are given back)."""
        self._reaper_stop.set()
        with self._lock:
            leak = self._active.get("pool_leak")
        self.clear_all()
        if isinstance(leak, PoolLeak):
            leak.join(2.0)

    def _reap_loop(self) -> None:
        while not self._reaper_stop.wait(REAP_INTERVAL_S):
            self.expire(time.monotonic())

    def expire(self, now: float) -> None:
        """End every setting whose deadline is at or before `now`."""
        with self._lock:
            ended = [s for k, s in self._active.items() if s.expires_at <= now]
            self._active = {k: s for k, s in self._active.items() if s.expires_at > now}
            expired_flags = [n for n, deadline in self._flag_expiry.items() if deadline <= now]
            for name in expired_flags:
                del self._flag_expiry[name]
            if expired_flags:
                defaults = {n: getattr(self.defaults, n) for n in expired_flags}
                self.flags = dataclasses.replace(self.flags, **defaults)
        for setting in ended:  # outside the lock: ending may take a moment
            setting.end()

    # -- what the request path reads -------------------------------------------
    @property
    def errors(self) -> ErrorInjection | None:
        setting = self._active.get("errors")
        return setting if isinstance(setting, ErrorInjection) else None

    @property
    def latency(self) -> LatencyInjection | None:
        setting = self._active.get("latency")
        return setting if isinstance(setting, LatencyInjection) else None

    @property
    def slowdown(self) -> Slowdown | None:
        setting = self._active.get("slowdown")
        return setting if isinstance(setting, Slowdown) else None

    # -- setting ---------------------------------------------------------------
    def set_errors(self, fraction: float, status: int, routes: list[str], ttl_s: float) -> None:
        self._install("errors", ErrorInjection(fraction, status, routes, ttl_s))

    def set_latency(self, ms: float, jitter_ms: float, routes: list[str], ttl_s: float) -> None:
        self._install("latency", LatencyInjection(ms, jitter_ms, routes, ttl_s))

    def set_slowdown(self, factor: float, routes: list[str], ttl_s: float) -> None:
        self._install("slowdown", Slowdown(factor, routes, ttl_s))

    def set_cpu_burn(self, threads: int, duty: float, ttl_s: float) -> None:
        self._install("cpu", CpuBurn(threads, duty, ttl_s))

    def set_memory_growth(self, mb_per_s: float, max_mb: float, ttl_s: float) -> None:
        self._install("memory", MemoryGrowth(self.cache, mb_per_s, max_mb, ttl_s))

    def set_pool_leak(self, connections: int, ttl_s: float) -> None:
        self._install("pool_leak", PoolLeak(self.engine, connections, ttl_s))

    def _install(self, kind: str, setting: Setting) -> None:
        with self._lock:
            previous = self._active.get(kind)
            self._active = {**self._active, kind: setting}
        if previous is not None:
            previous.end()
        setting.begin()

    def extend(self, kind: str, ttl_s: float) -> bool:
        """Give an active setting `ttl_s` more seconds from now (a drill was extended)."""
        with self._lock:
            setting = self._active.get(kind)
            if setting is None:
                return False
            setting.expires_at = time.monotonic() + ttl_s
            return True

    def set_flags(self, values: dict[str, Any], ttl_s: float | None) -> None:
        """Set some flags; with `ttl_s` they fall back to their defaults after it."""
        with self._lock:
            self.flags = dataclasses.replace(self.flags, **values)
            for name in values:
                if ttl_s is None:
                    self._flag_expiry.pop(name, None)
                else:
                    self._flag_expiry[name] = time.monotonic() + ttl_s

    # -- ending ----------------------------------------------------------------
    def clear(self, kind: str) -> bool:
        """End one kind of chaos; returns whether it was active."""
        if kind == "flags":
            with self._lock:
                was_set = self.flags != self.defaults
                self.flags = self.defaults
                self._flag_expiry.clear()
            return was_set
        with self._lock:
            setting = self._active.get(kind)
            if setting is not None:
                self._active = {k: s for k, s in self._active.items() if k != kind}
        if setting is None:
            return False
        setting.end()
        return True

    def clear_all(self) -> list[str]:
        """End every kind; returns the kinds that were active."""
        return [kind for kind in KINDS if self.clear(kind)]

    def snapshot(self) -> dict[str, Any]:
        """The active settings with the seconds each has left, as JSON-ready data."""
        now = time.monotonic()
        # What is past its deadline ends now rather than at the reaper's next tick (late on
        # a loaded machine): the view never lists a setting with no time left.
        self.expire(now)
        with self._lock:
            active, flags = dict(self._active), self.flags
            flag_ttl = {n: round(d - now, 1) for n, d in self._flag_expiry.items()}
        changed = {
            name: value
            for name, value in dataclasses.asdict(flags).items()
            if value != getattr(self.defaults, name)
        }
        state: dict[str, Any] = {
            "flags": dataclasses.asdict(flags),
            "flags_changed": changed,  # what the flag store's audit view shows
            "flags_ttl_left_s": flag_ttl,
        }
        for kind, setting in active.items():
            state[kind] = {**setting.describe(), "ttl_left_s": round(setting.expires_at - now, 1)}
        return state

"""Figures of a load run as the engine sees them: per second and over the whole run.

`LoadAggregate` folds tick messages (deltas, see `protocol`) into live
`LoadSnapshot`s and a final `LoadSummary`. In a snapshot, `requests` and
`failures` are totals since the start, while `rps`, `failures_per_s` and the
percentiles cover that one second; a percentile is None when the endpoint had
no request in the interval. In the summary everything covers the whole run.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from simulator.load.profiles import endpoint_key
from simulator.load.protocol import TickMessage

__all__ = [
    "TOTAL",
    "Checkpoint",
    "EndpointStats",
    "ErrorCount",
    "LoadAggregate",
    "LoadSnapshot",
    "LoadSummary",
    "percentile",
]

TOTAL = "Total"
# A final tick shorter than this is counted in the summary but not shown as a second.
MIN_SNAPSHOT_INTERVAL_S = 0.5


def percentile(hist: Mapping[int, int], fraction: float) -> float | None:
    """Nearest-rank percentile (0 < fraction <= 1) of a ms -> count histogram."""
    count = sum(hist.values())
    if count <= 0:
        return None
    rank = max(1, math.ceil(fraction * count))
    seen = 0
    for ms in sorted(hist):
        seen += hist[ms]
        if seen >= rank:
            return float(ms)
    return float(max(hist))


@dataclass(frozen=True)
class EndpointStats:
    """Requests of one endpoint ("GET /products/{id}") or of all of them ("Total")."""

    name: str
    requests: int
    failures: int
    rps: float
    failures_per_s: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LoadSnapshot:
    """One second of a run: `t` seconds after the load started."""

    t: float
    users: int
    total: EndpointStats
    endpoints: dict[str, EndpointStats]

    def to_dict(self) -> dict[str, Any]:
        return {
            "t": self.t,
            "users": self.users,
            "total": self.total.to_dict(),
            "endpoints": {k: v.to_dict() for k, v in self.endpoints.items()},
        }


@dataclass(frozen=True)
class ErrorCount:
    """How often one endpoint failed with one error over the run."""

    endpoint: str
    error: str
    count: int


@dataclass(frozen=True)
class LoadSummary:
    """The whole run: totals, mean rates and percentiles over all requests."""

    duration_s: float
    total: EndpointStats
    endpoints: dict[str, EndpointStats]
    errors: list[ErrorCount] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "duration_s": self.duration_s,
            "total": self.total.to_dict(),
            "endpoints": {k: v.to_dict() for k, v in self.endpoints.items()},
            "errors": [asdict(e) for e in self.errors],
        }


def _stats(
    name: str,
    requests: int,
    failures: int,
    seconds: float,
    hist: Mapping[int, int],
    total_requests: int | None = None,
    total_failures: int | None = None,
) -> EndpointStats:
    per_s = 1.0 / seconds if seconds > 0 else 0.0
    return EndpointStats(
        name=name,
        requests=requests if total_requests is None else total_requests,
        failures=failures if total_failures is None else total_failures,
        rps=round(requests * per_s, 3),
        failures_per_s=round(failures * per_s, 3),
        p50_ms=percentile(hist, 0.50),
        p95_ms=percentile(hist, 0.95),
        p99_ms=percentile(hist, 0.99),
    )


@dataclass
class _Totals:
    requests: int = 0
    failures: int = 0
    hist: Counter[int] = field(default_factory=Counter)

    def copy(self) -> _Totals:
        return _Totals(self.requests, self.failures, Counter(self.hist))

    def minus(self, earlier: _Totals | None) -> _Totals:
        if earlier is None:
            return self
        return _Totals(
            self.requests - earlier.requests,
            self.failures - earlier.failures,
            self.hist - earlier.hist,
        )


@dataclass(frozen=True)
class Checkpoint:
    """Totals at one moment of a run (see `LoadAggregate.checkpoint`)."""

    t: float
    endpoints: dict[str, _Totals]
    total: _Totals
    errors: Counter[tuple[str, str]]


class LoadAggregate:
    """Accumulates ticks; not thread-safe (the runner's reader thread owns it)."""

    def __init__(self) -> None:
        self._endpoints: dict[str, _Totals] = {}
        self._total = _Totals()
        self._errors: Counter[tuple[str, str]] = Counter()
        self.duration_s = 0.0

    def add(self, tick: TickMessage) -> LoadSnapshot | None:
        """Fold one tick in; return its snapshot, or None for a short final piece."""
        self.duration_s = max(self.duration_s, tick.t)
        second_hist: Counter[int] = Counter()
        second: dict[str, EndpointStats] = {}
        second_requests = second_failures = 0
        for e in tick.endpoints:
            key = endpoint_key(e.method, e.name)
            totals = self._endpoints.setdefault(key, _Totals())
            totals.requests += e.requests
            totals.failures += e.failures
            totals.hist.update(e.hist)
            second_hist.update(e.hist)
            second_requests += e.requests
            second_failures += e.failures
            second[key] = _stats(
                key, e.requests, e.failures, tick.dt, e.hist, totals.requests, totals.failures
            )
        self._total.requests += second_requests
        self._total.failures += second_failures
        self._total.hist.update(second_hist)
        for err in tick.errors:
            self._errors[(endpoint_key(err.method, err.name), err.error)] += err.count
        if tick.final and tick.dt < MIN_SNAPSHOT_INTERVAL_S:
            return None
        # Endpoints seen before but idle this second still show, with their totals.
        for key, totals in self._endpoints.items():
            if key not in second:
                second[key] = _stats(key, 0, 0, tick.dt, {}, totals.requests, totals.failures)
        return LoadSnapshot(
            t=tick.t,
            users=tick.users,
            total=_stats(
                TOTAL,
                second_requests,
                second_failures,
                tick.dt,
                second_hist,
                self._total.requests,
                self._total.failures,
            ),
            endpoints=dict(sorted(second.items())),
        )

    def checkpoint(self) -> Checkpoint:
        """The totals so far, to summarise only what comes after (`summary(since=...)`)."""
        return Checkpoint(
            t=self.duration_s,
            endpoints={k: v.copy() for k, v in self._endpoints.items()},
            total=self._total.copy(),
            errors=Counter(self._errors),
        )

    def summary(
        self, max_duration_s: float | None = None, since: Checkpoint | None = None
    ) -> LoadSummary:
        """Everything folded in so far (after `since`), as rates over that time.

        `max_duration_s` caps the run's length: a distributed run's last worker
        reports arrive after its users stopped, and that tail is no load time.
        """
        end = self.duration_s if max_duration_s is None else min(self.duration_s, max_duration_s)
        base = since or Checkpoint(t=0.0, endpoints={}, total=_Totals(), errors=Counter())
        seconds = max(end - base.t, 0.0)
        endpoints = {
            key: totals.minus(base.endpoints.get(key)) for key, totals in self._endpoints.items()
        }
        total = self._total.minus(base.total)
        errors = self._errors - base.errors
        return LoadSummary(
            duration_s=round(seconds, 3),
            total=_stats(TOTAL, total.requests, total.failures, seconds, total.hist),
            endpoints={
                key: _stats(key, t.requests, t.failures, seconds, t.hist)
                for key, t in sorted(endpoints.items())
                if t.requests or t.failures or since is None
            },
            errors=[
                ErrorCount(endpoint=endpoint, error=error, count=count)
                for (endpoint, error), count in errors.most_common()
            ],
        )

"""Windowed SLIs from successive scrapes and checks: pure, no I/O, no clock.

Traffic SLIs (rate, server error rate, p50, p99) come from the increase of the
target's counters between successful scrapes, like PromQL's `rate()` and
`histogram_quantile(rate(..._bucket))`. Availability is the share of successful
liveness checks (scrape of /metrics, GET /healthz) in its window, so a target
that is down or hung reads as unavailable at the first failed check.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from simulator.detection.exposition import MetricsSnapshot
from simulator.detection.quantile import histogram_quantile
from simulator.detection.samples import CheckResult, SliSample

# Operator routes and unknown paths are not user traffic: probes of /healthz,
# the scrape itself, chaos controls and 404s for random paths must not move
# the SLIs.
EXCLUDED_ROUTES = frozenset({"/healthz", "/readyz", "/metrics", "/version", "unmatched"})
EXCLUDED_PREFIXES = ("/chaos", "/admin")
# A window edge that misses by a scheduling jitter still counts as reached.
WINDOW_SLACK_S = 0.25

K = TypeVar("K")


def is_user_route(route: str) -> bool:
    """Whether requests on this route template count toward the SLIs."""
    return route not in EXCLUDED_ROUTES and not route.startswith(EXCLUDED_PREFIXES)


@dataclass(frozen=True)
class SliConfig:
    """How far back each SLI looks.

    Availability is the share of successful liveness checks (the names in
    `availability_checks`) within `availability_window_s`.

    The traffic window is the most recent scrape intervals covering at least
    `min_window_s` and holding at least `min_requests` requests, never
    reaching back further than `max_window_s`: short under load (fast
    detection), longer when traffic is thin (no verdict from three requests).
    """

    min_window_s: float = 1.0
    max_window_s: float = 5.0
    min_requests: int = 50
    # Shorter than a tick: the checks of the current tick only, so availability
    # reads 0 at the first failed tick and 1 at the first good one; the rules'
    # for_s/clear_s decide how long that must last.
    availability_window_s: float = 0.5
    availability_checks: frozenset[str] = frozenset({"scrape", "healthz"})


@dataclass(frozen=True)
class TrafficDelta:
    """What the target served between two successful scrapes."""

    start: float
    end: float
    requests: float
    errors: float
    buckets: dict[float, float] = field(default_factory=dict)


def counter_increase(
    previous: Mapping[K, float], current: Mapping[K, float], *, restarted: bool | None = None
) -> dict[K, float]:
    """Per-series increase between two scrapes, reset-aware.

    If any series went down (or `restarted` says so) the process restarted and
    every counter started again from zero, so the increase is the current
    value: Prometheus's `rate` does this per series, and a restart resets them
    all at once. A series that did not exist before was created after the
    previous scrape: its whole value is new.
    """
    if restarted is None:
        restarted = went_down(previous, current)
    if restarted:
        return dict(current)
    return {key: value - previous.get(key, 0.0) for key, value in current.items()}


def went_down(previous: Mapping[K, float], current: Mapping[K, float]) -> bool:
    """Whether any counter series is lower now than before (a counter reset)."""
    return any(value < previous.get(key, 0.0) for key, value in current.items())


def traffic_delta(previous: MetricsSnapshot, current: MetricsSnapshot) -> TrafficDelta:
    """User traffic between two successful scrapes of the same target."""
    restarted = went_down(previous.requests, current.requests) or went_down(
        previous.buckets, current.buckets
    )
    requests = counter_increase(previous.requests, current.requests, restarted=restarted)
    buckets = counter_increase(previous.buckets, current.buckets, restarted=restarted)
    total = errors = 0.0
    for series, count in requests.items():
        if is_user_route(series.route):
            total += count
            if series.status.startswith("5"):
                errors += count
    by_le: dict[float, float] = {}
    for bucket, count in buckets.items():
        if is_user_route(bucket.route):
            by_le[bucket.le] = by_le.get(bucket.le, 0.0) + count
    return TrafficDelta(previous.t, current.t, total, errors, by_le)


class SliWindow:
    """Keeps the recent scrapes and checks and computes an SliSample per tick."""

    def __init__(self, config: SliConfig | None = None) -> None:
        self.config = config or SliConfig()
        self._last: MetricsSnapshot | None = None
        self._deltas: deque[TrafficDelta] = deque()
        self._checks: deque[CheckResult] = deque()

    def update(
        self, t: float, snapshot: MetricsSnapshot | None, checks: Iterable[CheckResult]
    ) -> SliSample:
        """Record one tick (None: the scrape failed) and return the SLIs at `t`."""
        tick_checks = tuple(checks)
        if snapshot is not None:
            if self._last is not None and snapshot.t > self._last.t:
                self._deltas.append(traffic_delta(self._last, snapshot))
            self._last = snapshot
        self._checks.extend(tick_checks)
        self._forget(t)
        traffic = self._traffic(t) if snapshot is not None else None
        return SliSample(
            t=t,
            rps=None if traffic is None else traffic.requests / (traffic.end - traffic.start),
            error_rate=None
            if traffic is None or traffic.requests <= 0
            else traffic.errors / traffic.requests,
            p50_ms=_quantile_ms(0.5, traffic),
            p99_ms=_quantile_ms(0.99, traffic),
            availability=self._availability(t),
            requests=0.0 if traffic is None else traffic.requests,
            window_s=0.0 if traffic is None else traffic.end - traffic.start,
            scrape_ok=snapshot is not None,
            checks=tick_checks,
        )

    def _forget(self, t: float) -> None:
        horizon = t - max(self.config.max_window_s, self.config.availability_window_s)
        while self._deltas and self._deltas[0].end <= horizon:
            self._deltas.popleft()
        while self._checks and self._checks[0].t <= horizon:
            self._checks.popleft()

    def _traffic(self, t: float) -> TrafficDelta | None:
        """The deltas of the traffic window summed into one (None: no data yet)."""
        config = self.config
        chosen: list[TrafficDelta] = []
        requests = 0.0
        for delta in reversed(self._deltas):
            if delta.end <= t - config.max_window_s:
                break
            chosen.append(delta)
            requests += delta.requests
            span = chosen[0].end - delta.start
            if span >= config.min_window_s - WINDOW_SLACK_S and requests >= config.min_requests:
                break
        if not chosen:
            return None
        buckets: dict[float, float] = {}
        for delta in chosen:
            for le, count in delta.buckets.items():
                buckets[le] = buckets.get(le, 0.0) + count
        errors = sum(delta.errors for delta in chosen)
        return TrafficDelta(chosen[-1].start, chosen[0].end, requests, errors, buckets)

    def _availability(self, t: float) -> float | None:
        config = self.config
        relevant = [
            check
            for check in self._checks
            if check.name in config.availability_checks
            and check.t > t - config.availability_window_s
        ]
        if not relevant:
            return None
        return sum(1 for check in relevant if check.ok) / len(relevant)


def _quantile_ms(q: float, traffic: TrafficDelta | None) -> float | None:
    if traffic is None:
        return None
    seconds = histogram_quantile(q, traffic.buckets)
    return None if seconds is None else seconds * 1000.0

"""The steady-state baseline and "degraded by X %" against it, per route.

Pure: it summarises access-log entries (the shop's JSON access log, as
`diagnostics` reads it) into per-route latency percentiles and error shares,
and compares a window of the incident with the baseline recorded during steady
state. The engine records the baseline once, over the steady period right
before the first fault (`baseline.recorded` and `baseline.json` in the
environment's state directory); the `routes` view shows
the degradation; the severity rules read it.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

BASELINE_FILE = "baseline.json"
BASELINE_WINDOW_S = 30.0  # at most; the steady period before the first fault
# A route needs this many requests in both windows before its degradation means
# anything; fewer and one slow request swings its median.
MIN_REQUESTS = 20
# Moves smaller than this many milliseconds are noise on a millisecond-fast route.
MIN_DELTA_MS = 1.0


@dataclass(frozen=True)
class RouteStats:
    """One route over one window: traffic, 5xx errors and latency percentiles (ms)."""

    requests: int
    errors_5xx: int
    p50_ms: float
    p90_ms: float
    p99_ms: float

    @property
    def error_share(self) -> float:
        return self.errors_5xx / self.requests if self.requests else 0.0


def _percentile(sorted_ms: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (q in 0..1)."""
    rank = max(1, math.ceil(q * len(sorted_ms)))
    return sorted_ms[rank - 1]


def summarize(entries: Iterable[Mapping[str, Any]]) -> dict[str, RouteStats]:
    """Per "METHOD /route" over the access-log entries given."""
    by_route: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for entry in entries:
        if entry.get("logger") == "shop.access":
            by_route[f"{entry.get('method')} {entry.get('route')}"].append(entry)
    out = {}
    for route, rows in sorted(by_route.items()):
        times = sorted(float(r.get("duration_ms", 0)) for r in rows)
        out[route] = RouteStats(
            requests=len(rows),
            errors_5xx=sum(1 for r in rows if int(r.get("status", 0)) >= 500),
            p50_ms=round(_percentile(times, 0.5), 2),
            p90_ms=round(_percentile(times, 0.9), 2),
            p99_ms=round(_percentile(times, 0.99), 2),
        )
    return out


def degradation_pct(now: RouteStats, base: RouteStats, drift: float = 1.0) -> float | None:
    """How much slower the route's median is than its baseline, in percent (None: too
    little traffic to say). Faster than baseline counts as 0. `drift` (< 1) scales a
    baseline that was taken in a busier moment than now (see `degradations`)."""
    if now.requests < MIN_REQUESTS or base.requests < MIN_REQUESTS or base.p50_ms <= 0:
        return None
    expected = base.p50_ms * drift
    delta = now.p50_ms - expected
    if delta < MIN_DELTA_MS:
        return 0.0
    return round(100 * delta / expected, 1)


def drift(now: Mapping[str, RouteStats], base: Mapping[str, RouteStats]) -> float:
    """The typical route's speed now against its baseline, when that is faster (< 1).

    On a shared host the baseline window may fall in a busy moment; then every route
    looks faster now and one slow route would hide in the difference. Measuring each
    route against the typical one corrects that. A site that is slower everywhere is
    never "corrected": that is impact, not drift.
    """
    ratios = sorted(
        now[r].p50_ms / base[r].p50_ms
        for r in now
        if r in base
        and now[r].requests >= MIN_REQUESTS
        and base[r].requests >= MIN_REQUESTS
        and base[r].p50_ms > 0
    )
    if len(ratios) < 3:
        return 1.0
    return min(1.0, ratios[len(ratios) // 2])


def degradations(now: Mapping[str, RouteStats], base: Mapping[str, RouteStats]) -> dict[str, float]:
    """Each route's degradation where both windows had enough traffic."""
    typical = drift(now, base)
    out = {}
    for route, stats in now.items():
        if route in base:
            pct = degradation_pct(stats, base[route], typical)
            if pct is not None:
                out[route] = pct
    return out


def site_degradation(now: Mapping[str, RouteStats], base: Mapping[str, RouteStats]) -> float | None:
    """The whole site's degradation: the routes' degradations weighted by their traffic."""
    per_route = degradations(now, base)
    weight = sum(now[r].requests for r in per_route)
    if not weight:
        return None
    return round(sum(pct * now[r].requests for r, pct in per_route.items()) / weight, 1)


def to_data(stats: Mapping[str, RouteStats]) -> dict[str, dict[str, Any]]:
    return {
        route: {**asdict(s), "error_share": round(s.error_share, 4)} for route, s in stats.items()
    }


def from_data(data: Mapping[str, Any]) -> dict[str, RouteStats]:
    fields = ("requests", "errors_5xx", "p50_ms", "p90_ms", "p99_ms")
    return {
        str(route): RouteStats(**{k: row[k] for k in fields})
        for route, row in data.items()
        if isinstance(row, dict)
    }


def save(state_dir: Path, stats: Mapping[str, RouteStats]) -> None:
    (state_dir / BASELINE_FILE).write_text(json.dumps(to_data(stats), indent=1))


def load(state_dir: Path) -> dict[str, RouteStats] | None:
    """The recorded baseline, or None before steady state (or outside a drill)."""
    try:
        return from_data(json.loads((state_dir / BASELINE_FILE).read_text()))
    except (OSError, ValueError, KeyError, TypeError):
        return None

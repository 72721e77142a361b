"""The measured effect of a responder's action on the SLIs.

Compares the mean of the `sli.sample` events in the window before an action
with the window after it (10 drill seconds each by default), split at the
moment the responder acted (`action.started`; the finish in a legacy log). "Worse" means a
clear step: the error rate up by 5 points, the p99 doubled and up 200 ms, or
availability down by 5 points.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from scoring.drill import DrillView
from scoring.events import Event

__all__ = ["IMPACT_WINDOW_S", "Impact", "SliMean", "measure_impact", "sli_series"]

IMPACT_WINDOW_S = 10.0
WORSE_ERROR_RATE = 0.05
WORSE_P99_FACTOR = 2.0
WORSE_P99_MS = 200.0
WORSE_AVAILABILITY = 0.05
# Smaller moves than these are noise when describing an action's effect.
CHANGE_ERROR_RATE = 0.005
CHANGE_P99_MS = 50.0


@dataclass(frozen=True)
class SliMean:
    """Means of the SLI samples in one window."""

    error_rate: float
    p99_ms: float
    availability: float
    samples: int


@dataclass(frozen=True)
class Impact:
    """SLIs before and after an action (None when no samples fell in a window)."""

    before: SliMean | None
    after: SliMean | None

    @property
    def worse(self) -> bool:
        if self.before is None or self.after is None:
            return False
        b, a = self.before, self.after
        return (
            a.error_rate - b.error_rate >= WORSE_ERROR_RATE
            or (a.p99_ms >= b.p99_ms * WORSE_P99_FACTOR and a.p99_ms - b.p99_ms >= WORSE_P99_MS)
            or b.availability - a.availability >= WORSE_AVAILABILITY
        )

    def describe(self) -> str:
        """What changed: 'error rate 2.0% → 35.0%, p99 120 → 900 ms' (or 'SLIs unchanged ...')."""
        if self.before is None or self.after is None:
            return "no SLI samples around it to measure"
        b, a = self.before, self.after
        changes = []
        if abs(a.error_rate - b.error_rate) >= CHANGE_ERROR_RATE:
            changes.append(f"error rate {b.error_rate:.1%} → {a.error_rate:.1%}")
        if abs(a.p99_ms - b.p99_ms) >= CHANGE_P99_MS:
            changes.append(f"p99 {b.p99_ms:.0f} → {a.p99_ms:.0f} ms")
        if abs(a.availability - b.availability) >= CHANGE_ERROR_RATE:
            changes.append(f"availability {b.availability:.2%} → {a.availability:.2%}")
        if not changes:
            return f"SLIs unchanged (error rate {a.error_rate:.1%}, p99 {a.p99_ms:.0f} ms)"
        return ", ".join(changes)


def sli_series(view: DrillView) -> list[Event]:
    """The drill's `sli.sample` events in time order."""
    return view.of("sli.sample")


def _mean(samples: list[Event]) -> SliMean | None:
    if not samples:
        return None
    return SliMean(
        error_rate=_avg([_number(s.data.get("error_rate")) for s in samples]),
        p99_ms=_avg([_number(s.data.get("p99_ms")) for s in samples]),
        availability=_avg([_number(s.data.get("availability"), 1.0) for s in samples]),
        samples=len(samples),
    )


def _avg(values: list[float]) -> float:
    return sum(values) / len(values)


def _number(value: object, default: float = 0.0) -> float:
    return (
        float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default
    )


def measure_impact(view: DrillView, t: float, window_s: float = IMPACT_WINDOW_S) -> Impact:
    """SLI means in [t - window, t) and (t, t + window]."""
    key = ("impact", t, window_s)
    cached = view.memo.get(key)
    if isinstance(cached, Impact):
        return cached
    impact = _measure(view, t, window_s)
    view.memo[key] = impact
    return impact


def _measure(view: DrillView, t: float, window_s: float) -> Impact:
    samples = sli_series(view)
    times = view.sli_times()
    before = samples[bisect_left(times, t - window_s) : bisect_left(times, t)]
    after = samples[bisect_right(times, t) : bisect_right(times, t + window_s)]
    return Impact(before=_mean(before), after=_mean(after))

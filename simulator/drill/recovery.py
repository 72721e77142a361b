"""Steady state before the fault, and measured recovery after it.

"Recovered" is never a button: it is the SLIs back inside the scenario's
steady-state thresholds continuously for the confirmation window, after an
impact was seen and after every fault that broke them ended, with no alert
firing when the window closes. The window runs while alerts are in their clear
hold (that hold is a confirmation too); the service recovered when the window
began (`healthy_since`).
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.detection.samples import SliSample

STEADY_SAMPLES = 3


@dataclass(frozen=True)
class Thresholds:
    max_error_rate: float
    max_p99_ms: float
    min_rps: float
    min_availability: float = 0.999


def healthy(sample: SliSample, limits: Thresholds, *, need_traffic: bool) -> tuple[bool, str]:
    """Is this sample inside the thresholds? Returns (verdict, the reason if not)."""
    if not sample.scrape_ok:
        return False, "the shop's metrics could not be scraped"
    if sample.availability is not None and sample.availability < limits.min_availability:
        return False, f"availability {sample.availability:.1%} < {limits.min_availability:.1%}"
    if sample.error_rate is not None and sample.error_rate > limits.max_error_rate:
        return False, f"error rate {sample.error_rate:.1%} > {limits.max_error_rate:.1%}"
    if sample.p99_ms is not None and sample.p99_ms > limits.max_p99_ms:
        return False, f"p99 {sample.p99_ms:.0f} ms > {limits.max_p99_ms:.0f} ms"
    if need_traffic and (sample.rps or 0.0) < limits.min_rps:
        return False, f"{sample.rps or 0:.1f} req/s < {limits.min_rps:.0f} req/s"
    return True, ""


class SteadyState:
    """Steady once STEADY_SAMPLES samples in a row are healthy, with traffic."""

    def __init__(self, limits: Thresholds) -> None:
        self.limits = limits
        self.streak = 0
        self.last_reason = "no sample yet"

    def feed(self, sample: SliSample) -> bool:
        ok, reason = healthy(sample, self.limits, need_traffic=True)
        self.streak = self.streak + 1 if ok else 0
        if not ok:
            self.last_reason = reason
        return self.streak >= STEADY_SAMPLES


class RecoveryMonitor:
    """Armed by the first sign of impact; fires once after `confirm_s` of health."""

    def __init__(self, limits: Thresholds, confirm_s: float) -> None:
        self.limits = limits
        self.confirm_s = confirm_s
        self.armed = False
        self.healthy_since: float | None = None
        self.recovered_at: float | None = None

    def arm(self) -> None:
        """Impact seen: recovery must be measured anew, from a fresh window."""
        self.armed = True
        self.recovered_at = None
        self.healthy_since = None

    def feed(self, sample: SliSample, alerts_firing: int, culprits_open: int = 0) -> bool:
        """True exactly once, at the sample that completes the confirmation window.

        `culprits_open`: faults that broke the SLIs and have not ended; while any is
        open the window cannot start. `alerts_firing` only holds the end: an alert
        still in its clear hold delays the verdict, not the start of the window.
        """
        ok, _ = healthy(sample, self.limits, need_traffic=False)
        if not ok:
            self.arm()  # impact seen (or seen again): recovery must be measured anew
        if not self.armed or self.recovered_at is not None:
            return False
        if ok and culprits_open == 0:
            if self.healthy_since is None:
                self.healthy_since = sample.t
            if sample.t - self.healthy_since >= self.confirm_s and alerts_firing == 0:
                self.recovered_at = sample.t
                return True
        else:
            self.healthy_since = None
        return False

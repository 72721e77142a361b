"""Steady state and measured recovery over synthetic SLI series (simulator/drill/recovery.py)."""

from __future__ import annotations

import pytest

from simulator.detection.samples import SliSample
from simulator.drill.recovery import (
    STEADY_SAMPLES,
    RecoveryMonitor,
    SteadyState,
    Thresholds,
    healthy,
)

LIMITS = Thresholds(max_error_rate=0.02, max_p99_ms=500.0, min_rps=5.0, min_availability=0.999)
CONFIRM_S = 10.0


def sample(
    t: float = 0.0,
    *,
    rps: float | None = 50.0,
    error_rate: float | None = 0.0,
    p99_ms: float | None = 40.0,
    availability: float | None = 1.0,
    scrape_ok: bool = True,
) -> SliSample:
    return SliSample(
        t=t,
        rps=rps,
        error_rate=error_rate,
        p50_ms=10.0 if p99_ms is not None else None,
        p99_ms=p99_ms,
        availability=availability,
        requests=(rps or 0.0) * 10,
        window_s=10.0,
        scrape_ok=scrape_ok,
    )


def bad(t: float) -> SliSample:
    return sample(t, error_rate=0.5)


# -- healthy() --------------------------------------------------------------------------


def test_a_good_sample_is_healthy() -> None:
    assert healthy(sample(), LIMITS, need_traffic=True) == (True, "")


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        (sample(scrape_ok=False), "the shop's metrics could not be scraped"),
        (sample(availability=0.99), "availability 99.0% < 99.9%"),
        (sample(error_rate=0.05), "error rate 5.0% > 2.0%"),
        (sample(p99_ms=812.0), "p99 812 ms > 500 ms"),
    ],
)
def test_each_threshold_makes_a_sample_unhealthy_with_its_reason(
    broken: SliSample, reason: str
) -> None:
    assert healthy(broken, LIMITS, need_traffic=False) == (False, reason)
    assert healthy(broken, LIMITS, need_traffic=True) == (False, reason)


def test_values_on_the_threshold_are_healthy() -> None:
    edge = sample(error_rate=0.02, p99_ms=500.0, availability=0.999, rps=5.0)
    assert healthy(edge, LIMITS, need_traffic=True) == (True, "")


def test_traffic_counts_only_when_asked() -> None:
    quiet = sample(rps=1.5)
    assert healthy(quiet, LIMITS, need_traffic=True) == (False, "1.5 req/s < 5 req/s")
    assert healthy(quiet, LIMITS, need_traffic=False) == (True, "")
    no_traffic = sample(rps=None, error_rate=None, p99_ms=None)
    assert healthy(no_traffic, LIMITS, need_traffic=True) == (False, "0.0 req/s < 5 req/s")


def test_undefined_slis_do_not_count_against_health() -> None:
    # No traffic in the window: no error rate, no quantile; that alone is not unhealthy.
    idle = sample(error_rate=None, p99_ms=None, availability=None)
    assert healthy(idle, LIMITS, need_traffic=False) == (True, "")


def test_a_failed_scrape_outranks_everything_else() -> None:
    verdict = healthy(sample(scrape_ok=False, error_rate=0.9), LIMITS, need_traffic=True)
    assert verdict == (False, "the shop's metrics could not be scraped")


# -- SteadyState -----------------------------------------------------------------------


def test_steady_after_three_healthy_samples_in_a_row() -> None:
    assert STEADY_SAMPLES == 3
    steady = SteadyState(LIMITS)
    assert [steady.feed(sample(t)) for t in range(4)] == [False, False, True, True]


def test_an_unhealthy_sample_restarts_the_count_and_says_why() -> None:
    steady = SteadyState(LIMITS)
    assert steady.last_reason == "no sample yet"
    assert not steady.feed(sample(0))
    assert not steady.feed(sample(1))
    assert not steady.feed(sample(2, p99_ms=900.0))
    assert steady.last_reason == "p99 900 ms > 500 ms"
    assert not steady.feed(sample(3))
    assert not steady.feed(sample(4))
    assert steady.feed(sample(5))


def test_steady_state_needs_traffic() -> None:
    steady = SteadyState(LIMITS)
    assert not any(steady.feed(sample(t, rps=0.5)) for t in range(10))
    assert steady.last_reason == "0.5 req/s < 5 req/s"


# -- RecoveryMonitor -------------------------------------------------------------------


def feed_series(monitor: RecoveryMonitor, series: list[SliSample], alerts: int = 0) -> list[float]:
    """The times at which the monitor said 'recovered'."""
    return [s.t for s in series if monitor.feed(s, alerts)]


def test_never_recovered_before_an_impact_was_seen() -> None:
    monitor = RecoveryMonitor(LIMITS, CONFIRM_S)
    assert feed_series(monitor, [sample(t) for t in range(60)]) == []
    assert monitor.recovered_at is None


def test_fires_once_after_the_confirm_window() -> None:
    monitor = RecoveryMonitor(LIMITS, CONFIRM_S)
    series = [bad(t) for t in range(0, 5)] + [sample(t) for t in range(5, 40)]
    # Healthy from t=5; the window of 10 s completes at t=15, and only once.
    assert feed_series(monitor, series) == [15.0]
    assert monitor.recovered_at == 15.0


def test_not_recovered_while_an_alert_is_still_firing() -> None:
    monitor = RecoveryMonitor(LIMITS, CONFIRM_S)
    assert feed_series(monitor, [bad(0)]) == []
    assert feed_series(monitor, [sample(t) for t in range(1, 30)], alerts=1) == []
    # The window ran from t=1 while the alert held; it resolves at t=30: recovered
    # then, and the service had been healthy since t=1.
    assert feed_series(monitor, [sample(t) for t in range(30, 45)]) == [30.0]
    assert monitor.healthy_since == 1.0


def test_the_window_starts_only_once_the_faults_that_broke_the_slis_ended() -> None:
    monitor = RecoveryMonitor(LIMITS, CONFIRM_S)
    assert feed_series(monitor, [bad(0)]) == []
    # Healthy samples while the culprit fault is still open do not count.
    assert [s.t for s in (sample(t) for t in range(1, 20)) if monitor.feed(s, 0, 1)] == []
    # It ended at t=20: the window starts there.
    assert feed_series(monitor, [sample(t) for t in range(20, 40)]) == [30.0]
    assert monitor.healthy_since == 20.0


def test_arming_by_an_alert_counts_as_impact() -> None:
    monitor = RecoveryMonitor(LIMITS, CONFIRM_S)
    monitor.arm()  # the engine arms on alert.firing even if the SLIs look fine
    assert feed_series(monitor, [sample(t) for t in range(0, 12)]) == [10.0]


def test_a_relapse_inside_the_window_restarts_it() -> None:
    monitor = RecoveryMonitor(LIMITS, CONFIRM_S)
    series = (
        [bad(0)]
        + [sample(t) for t in range(1, 8)]  # 7 s of health, not enough
        + [bad(8)]
        + [sample(t) for t in range(9, 30)]
    )
    assert feed_series(monitor, series) == [19.0]


def test_a_relapse_after_recovery_needs_a_new_recovery() -> None:
    monitor = RecoveryMonitor(LIMITS, CONFIRM_S)
    first = [bad(0)] + [sample(t) for t in range(1, 12)]
    assert feed_series(monitor, first) == [11.0]
    second = [bad(20)] + [sample(t) for t in range(21, 40)]
    assert feed_series(monitor, second) == [31.0]
    assert monitor.recovered_at == 31.0


def test_an_alert_after_recovery_starts_a_new_confirmation_window() -> None:
    # The engine calls arm() on every alert.firing: "recovery must be measured anew".
    monitor = RecoveryMonitor(LIMITS, CONFIRM_S)
    assert feed_series(monitor, [bad(0)] + [sample(t) for t in range(1, 12)]) == [11.0]
    monitor.arm()  # a new alert fired at t=11.5 and resolved before the next sample
    assert monitor.recovered_at is None
    assert feed_series(monitor, [sample(t) for t in range(12, 30)]) == [22.0]


def test_recovery_does_not_need_traffic() -> None:
    # After a crash and restart the load may take a moment to come back; no traffic
    # is not an outage signal for recovery (it is for steady state).
    monitor = RecoveryMonitor(LIMITS, CONFIRM_S)
    series = [bad(0)] + [sample(t, rps=0.0, error_rate=None, p99_ms=None) for t in range(1, 12)]
    assert feed_series(monitor, series) == [11.0]

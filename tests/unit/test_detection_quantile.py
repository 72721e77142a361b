"""histogram_quantile against hand-computed values and PromQL's edge cases."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.detection.quantile import histogram_quantile

INF = math.inf
# 10 observations <= 0.1 s, 50 in (0.1, 0.5], 40 in (0.5, 1.0], none above.
BUCKETS = {0.1: 10.0, 0.5: 60.0, 1.0: 100.0, INF: 100.0}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        # rank 50 lies in (0.1, 0.5]: 0.1 + 0.4 * (50 - 10) / 50
        (0.5, 0.42),
        # rank 99 lies in (0.5, 1.0]: 0.5 + 0.5 * (99 - 60) / 40
        (0.99, 0.9875),
        # rank 5 lies in the first bucket, which starts at 0: 0.1 * 5 / 10
        (0.05, 0.05),
        # rank 60 is exactly the top of (0.1, 0.5]
        (0.6, 0.5),
        (1.0, 1.0),
    ],
)
def test_interpolates_linearly_inside_the_bucket(q: float, expected: float) -> None:
    assert histogram_quantile(q, BUCKETS) == pytest.approx(expected)


def test_rank_in_the_inf_bucket_answers_the_highest_finite_bound() -> None:
    buckets = {0.1: 10.0, 1.0: 90.0, INF: 100.0}
    assert histogram_quantile(0.99, buckets) == 1.0
    assert histogram_quantile(0.5, buckets) == pytest.approx(0.1 + 0.9 * 40 / 80)


def test_order_of_the_mapping_does_not_matter() -> None:
    shuffled = {INF: 100.0, 0.5: 60.0, 1.0: 100.0, 0.1: 10.0}
    assert histogram_quantile(0.99, shuffled) == pytest.approx(0.9875)


@pytest.mark.parametrize(
    "buckets",
    [
        {},
        {0.1: 0.0, 1.0: 0.0, INF: 0.0},  # no observations
        {0.1: 3.0, 1.0: 5.0},  # no +Inf bucket
        {INF: 5.0},  # a single bucket cannot be interpolated
    ],
)
def test_undefined_quantile_is_none_not_zero(buckets: dict[float, float]) -> None:
    assert histogram_quantile(0.99, buckets) is None


def test_non_monotonic_counts_are_evened_out_like_promql() -> None:
    # 0.5's count below 0.1's (a scrape racing a request) is raised to 10.
    buckets = {0.1: 10.0, 0.5: 8.0, 1.0: 20.0, INF: 20.0}
    assert histogram_quantile(0.5, buckets) == pytest.approx(0.1)
    assert histogram_quantile(0.75, buckets) == pytest.approx(0.5 + 0.5 * 5 / 10)


def test_all_in_the_slowest_finite_bucket() -> None:
    # A 1.5 s latency fault lands every request in (1.0, 2.5].
    buckets = {0.5: 0.0, 1.0: 0.0, 2.5: 200.0, 5.0: 200.0, INF: 200.0}
    assert histogram_quantile(0.99, buckets) == pytest.approx(1.0 + 1.5 * 198 / 200)
    assert histogram_quantile(0.5, buckets) == pytest.approx(1.75)


@pytest.mark.parametrize("q", [-0.1, 1.5])
def test_quantile_outside_0_1_is_refused(q: float) -> None:
    with pytest.raises(ValueError, match=r"within 0\.\.1"):
        histogram_quantile(q, BUCKETS)


@given(
    st.lists(st.integers(min_value=0, max_value=1000), min_size=2, max_size=8),
    st.floats(min_value=0.0, max_value=1.0),
    st.floats(min_value=0.0, max_value=1.0),
)
def test_quantile_grows_with_q_and_stays_within_the_finite_bounds(
    per_bucket: list[int], q1: float, q2: float
) -> None:
    bounds = [0.005 * 2**i for i in range(len(per_bucket) - 1)] + [INF]
    cumulative, running = {}, 0.0
    for bound, count in zip(bounds, per_bucket, strict=True):
        running += count
        cumulative[bound] = running
    low, high = sorted((q1, q2))
    a, b = histogram_quantile(low, cumulative), histogram_quantile(high, cumulative)
    if running == 0:
        assert a is None and b is None
        return
    assert a is not None and b is not None
    assert 0.0 <= a <= b <= bounds[-2]

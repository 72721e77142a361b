"""Windowed SLIs from successive scrapes: rates, 5xx share, quantiles, resets, gaps."""

from __future__ import annotations

import math
import re

import pytest

from simulator.detection.exposition import (
    BucketSeries,
    ExpositionError,
    MetricsSnapshot,
    RequestSeries,
    parse_metrics,
)
from simulator.detection.promql import excluded_route_regex, sli_expr
from simulator.detection.samples import CheckResult
from simulator.detection.sli import (
    SliConfig,
    SliWindow,
    counter_increase,
    is_user_route,
    traffic_delta,
)

PRODUCT = "/products/{product_id}"
LES = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, math.inf)

EXPOSITION = """\
# HELP http_requests_total HTTP requests
# TYPE http_requests_total counter
http_requests_total{method="GET",route="/products/{product_id}",status="200"} 90.0
http_requests_total{method="GET",route="/products/{product_id}",status="500"} 10.0
http_requests_total{method="GET",route="/healthz",status="200"} 7.0
# HELP http_request_duration_seconds Request latency
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.1",method="GET",route="/products/{product_id}"} 60.0
http_request_duration_seconds_bucket{le="1.0",method="GET",route="/products/{product_id}"} 100.0
http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/products/{product_id}"} 100.0
http_request_duration_seconds_count{method="GET",route="/products/{product_id}"} 100.0
http_request_duration_seconds_sum{method="GET",route="/products/{product_id}"} 12.5
# HELP http_requests_in_flight Requests in progress
# TYPE http_requests_in_flight gauge
http_requests_in_flight 1.0
"""


def snapshot(
    t: float,
    ok: float = 0.0,
    errors: float = 0.0,
    *,
    route: str = PRODUCT,
    latency_s: float = 0.02,
    extra: dict[RequestSeries, float] | None = None,
) -> MetricsSnapshot:
    """Cumulative counters as the shop would expose them: `ok` 200s and `errors`
    500s on `route`, every request observed at `latency_s`."""
    requests = {RequestSeries(route, "GET", "200"): ok}
    if errors:
        requests[RequestSeries(route, "GET", "500")] = errors
    requests.update(extra or {})
    total = ok + errors
    buckets = {BucketSeries(route, "GET", le): total if latency_s <= le else 0.0 for le in LES}
    return MetricsSnapshot(t=t, requests=requests, buckets=buckets)


def merged(*parts: MetricsSnapshot) -> MetricsSnapshot:
    """One scrape holding the series of several routes."""
    requests: dict[RequestSeries, float] = {}
    buckets: dict[BucketSeries, float] = {}
    for part in parts:
        requests.update(part.requests)
        buckets.update(part.buckets)
    return MetricsSnapshot(t=parts[0].t, requests=requests, buckets=buckets)


def live(t: float, ok: bool = True, name: str = "healthz") -> CheckResult:
    return CheckResult(name, t, ok, 200 if ok else None, 2.0, None if ok else "refused")


# -- exposition -----------------------------------------------------------------


def test_parse_keeps_request_counter_and_buckets() -> None:
    snap = parse_metrics(EXPOSITION, t=3.0)
    assert snap.t == 3.0
    assert snap.requests[RequestSeries(PRODUCT, "GET", "500")] == 10.0
    assert snap.requests[RequestSeries("/healthz", "GET", "200")] == 7.0
    assert snap.buckets[BucketSeries(PRODUCT, "GET", math.inf)] == 100.0
    assert len(snap.buckets) == 3 and len(snap.requests) == 3


def test_parse_refuses_what_is_not_exposition() -> None:
    with pytest.raises(ExpositionError, match="not Prometheus text exposition"):
        parse_metrics("<html>502 Bad Gateway</html>\n", t=0.0)


def test_parsed_scrapes_give_rate_error_rate_and_quantiles() -> None:
    window = SliWindow()
    zeros = re.sub(r"\} [0-9.]+$", "} 0.0", EXPOSITION, flags=re.MULTILINE)
    window.update(0.0, parse_metrics(zeros, 0.0), [])
    sample = window.update(1.0, parse_metrics(EXPOSITION, 1.0), [])
    assert sample.rps == pytest.approx(100.0)
    assert sample.error_rate == pytest.approx(0.1)
    # Buckets went 0 -> 60 (<= 0.1 s) and 0 -> 100 (<= 1 s); /healthz is not counted.
    assert sample.p50_ms == pytest.approx(100.0 * 50 / 60)
    assert sample.p99_ms == pytest.approx(100.0 + 900.0 * 39 / 40)


# -- counters -----------------------------------------------------------------------


def test_increase_of_a_growing_counter_and_a_new_series() -> None:
    assert counter_increase({"a": 10.0}, {"a": 25.0, "b": 3.0}) == {"a": 15.0, "b": 3.0}


def test_any_counter_going_down_means_every_counter_restarted() -> None:
    # "a" dropped: the process restarted, so "b" (higher than before by chance)
    # also counts from zero.
    assert counter_increase({"a": 100.0, "b": 2.0}, {"a": 5.0, "b": 4.0}) == {"a": 5.0, "b": 4.0}


@pytest.mark.parametrize(
    ("route", "counted"),
    [
        (PRODUCT, True),
        ("/orders", True),
        ("/healthz", False),
        ("/readyz", False),
        ("/metrics", False),
        ("unmatched", False),
        ("/chaos/errors", False),
        ("/admin/cache/clear", False),
    ],
)
def test_only_user_routes_count(route: str, counted: bool) -> None:
    assert is_user_route(route) is counted


def test_5xx_are_errors_and_4xx_are_not() -> None:
    not_found = RequestSeries(PRODUCT, "GET", "404")
    unavailable = RequestSeries(PRODUCT, "GET", "503")
    delta = traffic_delta(
        snapshot(0.0, 0.0),
        snapshot(2.0, 80.0, 10.0, extra={not_found: 6.0, unavailable: 4.0}),
    )
    assert delta.requests == 100.0
    assert delta.errors == 14.0
    assert (delta.start, delta.end) == (0.0, 2.0)


def test_operator_traffic_does_not_move_the_slis() -> None:
    before = merged(
        snapshot(0.0, 100.0), snapshot(0.0, 5.0, 50.0, route="/chaos/errors", latency_s=3.0)
    )
    after = merged(
        snapshot(1.0, 200.0),
        snapshot(1.0, 9.0, 90.0, route="/chaos/errors", latency_s=3.0),
        snapshot(1.0, 30.0, 30.0, route="unmatched", latency_s=3.0),
    )
    delta = traffic_delta(before, after)
    assert (delta.requests, delta.errors) == (100.0, 0.0)
    assert delta.buckets[0.025] == 100.0  # none of the slow operator requests


def test_counter_reset_counts_the_new_process_from_zero() -> None:
    window = SliWindow()
    window.update(0.0, snapshot(0.0, 5000.0, 20.0), [])
    # Restarted: fresh counters, 40 requests of which 10 failed since the last scrape.
    sample = window.update(1.0, snapshot(1.0, 30.0, 10.0), [])
    assert sample.rps == pytest.approx(40.0)
    assert sample.error_rate == pytest.approx(0.25)
    assert sample.p99_ms is not None and sample.p99_ms > 0


# -- window ---------------------------------------------------------------------------


def test_first_scrape_has_no_traffic_slis_yet() -> None:
    sample = SliWindow().update(0.0, snapshot(0.0, 10.0), [live(0.0)])
    assert (sample.rps, sample.error_rate, sample.p50_ms, sample.p99_ms) == (None,) * 4
    assert sample.availability == 1.0 and sample.scrape_ok


def test_no_traffic_is_zero_rate_and_undefined_error_rate_and_latency() -> None:
    window = SliWindow()
    window.update(0.0, snapshot(0.0, 10.0), [])
    sample = window.update(1.0, snapshot(1.0, 10.0), [])
    assert sample.rps == 0.0
    assert sample.error_rate is None
    assert sample.p50_ms is None and sample.p99_ms is None


def test_high_traffic_uses_the_last_interval_only() -> None:
    window = SliWindow(SliConfig(min_window_s=1.0, min_requests=50))
    window.update(0.0, snapshot(0.0, 0.0), [])
    window.update(1.0, snapshot(1.0, 100.0, 0.0), [])
    sample = window.update(2.0, snapshot(2.0, 190.0, 10.0), [])
    assert sample.error_rate == pytest.approx(0.1)  # not 10 / 200 over two seconds
    assert sample.window_s == pytest.approx(1.0)
    assert sample.requests == 100.0


def test_thin_traffic_looks_back_until_enough_requests_within_max_window() -> None:
    window = SliWindow(SliConfig(min_window_s=1.0, max_window_s=3.0, min_requests=50))
    for t in range(6):  # 10 requests a second, the last second all failed
        window.update(float(t), snapshot(float(t), 10.0 * t), [])
    sample = window.update(6.0, snapshot(6.0, 50.0, 10.0), [])
    assert sample.window_s == pytest.approx(3.0)  # capped: 30 requests < 50
    assert sample.requests == 30.0
    assert sample.error_rate == pytest.approx(10 / 30)
    assert sample.rps == pytest.approx(10.0)


def test_latency_quantiles_over_the_window() -> None:
    window = SliWindow(SliConfig(min_requests=1))
    window.update(0.0, snapshot(0.0, 0.0), [])
    fast = snapshot(1.0, 200.0, latency_s=0.02)
    slow = snapshot(1.0, 5.0, route="/orders", latency_s=1.5)
    sample = window.update(1.0, merged(fast, slow), [])
    # 205 requests, 5 of them in (1.0, 2.5]; rank 202.95 lies 2.95 deep in that bucket.
    assert sample.p99_ms == pytest.approx(1000.0 + 1500.0 * 2.95 / 5)
    # rank 102.5 of 200 in (0.01, 0.025]
    assert sample.p50_ms == pytest.approx(10.0 + 15.0 * 102.5 / 200)


def test_failed_scrape_reports_unknown_traffic_and_lower_availability() -> None:
    window = SliWindow(SliConfig(availability_window_s=3.0))
    window.update(0.0, snapshot(0.0, 0.0), [live(0.0, name="scrape"), live(0.0)])
    window.update(1.0, snapshot(1.0, 100.0), [live(1.0, name="scrape"), live(1.0)])
    sample = window.update(2.0, None, [live(2.0, False, "scrape"), live(2.0, False)])
    assert sample.rps is None and sample.error_rate is None and sample.p99_ms is None
    assert not sample.scrape_ok
    assert sample.availability == pytest.approx(4 / 6)


def test_availability_recovers_when_failures_leave_its_window() -> None:
    window = SliWindow(SliConfig(availability_window_s=3.0))
    window.update(0.0, None, [live(0.0, False)])
    assert window.update(1.0, None, [live(1.0)]).availability == pytest.approx(0.5)
    assert window.update(2.9, None, [live(2.9)]).availability == pytest.approx(2 / 3)
    assert window.update(3.0, None, [live(3.0)]).availability == 1.0


def test_default_availability_is_the_share_of_this_ticks_checks() -> None:
    window = SliWindow()
    assert (
        window.update(0.0, None, [live(0.0, False, "scrape"), live(0.0, False)]).availability == 0
    )
    assert window.update(1.0, None, [live(1.0, False, "scrape"), live(1.0)]).availability == 0.5
    assert window.update(2.0, None, [live(2.0, name="scrape"), live(2.0)]).availability == 1.0


def test_transaction_probes_do_not_count_toward_availability_by_default() -> None:
    sample = SliWindow().update(0.0, None, [live(0.0), live(0.0, False, "product")])
    assert sample.availability == 1.0
    config = SliConfig(availability_checks=frozenset({"healthz", "product"}))
    assert (
        SliWindow(config).update(0.0, None, [live(0.0), live(0.0, False, "product")]).availability
        == 0.5
    )


def test_no_checks_at_all_is_unknown_availability() -> None:
    assert SliWindow().update(0.0, None, []).availability is None


def test_scrape_after_an_outage_spans_the_gap() -> None:
    window = SliWindow(SliConfig(max_window_s=5.0))
    window.update(0.0, snapshot(0.0, 0.0), [])
    for t in (1.0, 2.0, 3.0):
        window.update(t, None, [])
    # The process restarted meanwhile and served 30 requests since it came up.
    sample = window.update(4.0, snapshot(4.0, 30.0), [])
    assert sample.requests == 30.0
    assert sample.rps == pytest.approx(7.5)


def test_event_data_has_the_contract_fields() -> None:
    window = SliWindow()
    window.update(0.0, snapshot(0.0, 0.0), [live(0.0)])
    data = window.update(1.0, snapshot(1.0, 99.0, 1.0), [live(1.0)]).event_data()
    assert set(data) == {"rps", "error_rate", "p50_ms", "p99_ms", "availability"}
    assert data["error_rate"] == pytest.approx(0.01)


# -- PromQL ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "route",
    [
        PRODUCT,
        "/orders",
        "/orders/{order_id}/pay",
        "/healthz",
        "/healthzx",
        "/readyz",
        "/metrics",
        "/version",
        "unmatched",
        "/chaos",
        "/chaos/errors",
        "/admin/cache/clear",
    ],
)
def test_promql_excludes_the_same_routes_as_the_builtin_detector(route: str) -> None:
    # Prometheus anchors label regexes: excluded means a full match.
    excluded = re.fullmatch(excluded_route_regex(), route) is not None
    assert excluded is not is_user_route(route)


def test_promql_of_each_sli() -> None:
    assert sli_expr("error_rate", "30s").count("[30s]") == 2
    assert 'status=~"5.."' in sli_expr("error_rate")
    assert sli_expr("p99_ms").startswith("histogram_quantile(0.99, sum by (le) (rate(")
    assert sli_expr("availability", job="shop-1") == 'avg_over_time(up{job="shop-1"}[1m])'
    with pytest.raises(KeyError, match="no PromQL for SLI 'p95_ms'"):
        sli_expr("p95_ms")

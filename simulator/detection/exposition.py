"""Read the target's `/metrics` (Prometheus text exposition) into a typed snapshot.

Only what the SLIs need is kept: the request counter by (route, method, status),
the latency histogram's buckets by (route, method, le), and for the security
alerts the canary counter by token, the customer export's rows by key and the
failed logins by reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from prometheus_client.parser import text_string_to_metric_families

REQUESTS_SAMPLE = "http_requests_total"
BUCKET_SAMPLE = "http_request_duration_seconds_bucket"
CANARY_SAMPLE = "canary_token_used_total"
EXPORT_ROWS_SAMPLE = "customer_export_rows_total"
LOGIN_FAILURES_SAMPLE = "login_failures_total"


@dataclass(frozen=True)
class RequestSeries:
    """One series of the request counter."""

    route: str
    method: str
    status: str


@dataclass(frozen=True)
class BucketSeries:
    """One cumulative bucket of the latency histogram (`le` in seconds, +Inf included)."""

    route: str
    method: str
    le: float


@dataclass(frozen=True)
class MetricsSnapshot:
    """Counter values of one successful scrape, taken at monotonic time `t`."""

    t: float
    requests: dict[RequestSeries, float] = field(default_factory=dict)
    buckets: dict[BucketSeries, float] = field(default_factory=dict)
    canary: dict[str, float] = field(default_factory=dict)  # by token
    export_rows: dict[str, float] = field(default_factory=dict)  # by key_id
    login_failures: dict[str, float] = field(default_factory=dict)  # by reason


class ExpositionError(ValueError):
    """The body of /metrics is not Prometheus text exposition."""


def parse_metrics(text: str, t: float) -> MetricsSnapshot:
    """Parse a /metrics body; raises ExpositionError if it is not valid exposition."""
    requests: dict[RequestSeries, float] = {}
    buckets: dict[BucketSeries, float] = {}
    canary: dict[str, float] = {}
    export_rows: dict[str, float] = {}
    login_failures: dict[str, float] = {}
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                labels = sample.labels
                route, method = labels.get("route", ""), labels.get("method", "")
                if sample.name == REQUESTS_SAMPLE:
                    key = RequestSeries(route, method, labels.get("status", ""))
                    requests[key] = float(sample.value)
                elif sample.name == BUCKET_SAMPLE:
                    le = _parse_le(labels.get("le", ""))
                    buckets[BucketSeries(route, method, le)] = float(sample.value)
                elif sample.name == CANARY_SAMPLE:
                    canary[labels.get("token", "")] = float(sample.value)
                elif sample.name == EXPORT_ROWS_SAMPLE:
                    export_rows[labels.get("key_id", "")] = float(sample.value)
                elif sample.name == LOGIN_FAILURES_SAMPLE:
                    login_failures[labels.get("reason", "")] = float(sample.value)
    except ValueError as exc:
        raise ExpositionError(f"/metrics is not Prometheus text exposition: {exc}") from None
    return MetricsSnapshot(
        t=t,
        requests=requests,
        buckets=buckets,
        canary=canary,
        export_rows=export_rows,
        login_failures=login_failures,
    )


def _parse_le(raw: str) -> float:
    value = float(raw)  # float() reads "+Inf" too
    if math.isnan(value):
        raise ValueError(f"bucket bound le={raw!r} is not a number")
    return value

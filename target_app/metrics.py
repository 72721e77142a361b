"""Prometheus metrics of the shop, on a registry of its own per app."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.pool import QueuePool

from target_app.accounts import LOGIN_OUTCOMES
from target_app.keys import KEYS

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class PoolCollector(Collector):
    """Reads the SQLAlchemy pool at scrape time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        pool = self.engine.pool
        checked_out = overflow = size = 0
        if isinstance(pool, QueuePool):
            checked_out, overflow, size = pool.checkedout(), max(pool.overflow(), 0), pool.size()
        yield GaugeMetricFamily("db_pool_checked_out", "Connections checked out", checked_out)
        yield GaugeMetricFamily("db_pool_overflow", "Connections above pool_size", overflow)
        yield GaugeMetricFamily("db_pool_size", "Configured pool size", size)


class ShopMetrics:
    def __init__(self, version: str, engine: Engine) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests",
            "HTTP requests",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Request latency",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "http_requests_in_flight", "Requests in progress", registry=self.registry
        )
        self.payments = Counter(
            "payment_provider_requests",
            "Calls to the payment provider",
            ["provider", "outcome"],
            registry=self.registry,
        )
        self.canary = Counter(
            "canary_token_used",
            "Uses of a planted canary (token=key: the canary API key; record: the canary customer)",
            ["token"],
            registry=self.registry,
        )
        self.export_rows = Counter(
            "customer_export_rows",
            "Customer records returned by the export, per API key",
            ["key_id"],
            registry=self.registry,
        )
        self.login_failures = Counter(
            "login_failures",
            "Failed customer logins, by reason",
            ["reason"],
            registry=self.registry,
        )
        self.login_successes = Counter(
            "login_successes", "Successful customer logins", registry=self.registry
        )
        # Every series exists from the start at 0, so Prometheus's increase() and rate()
        # see the first use (a series born at 1 has no increase to show).
        for token in ("key", "record"):
            self.canary.labels(token=token)
        for spec in KEYS:
            self.export_rows.labels(key_id=spec.id)
        for reason in LOGIN_OUTCOMES[1:]:
            self.login_failures.labels(reason=reason)
        build = Gauge("app_build_info", "Running release", ["version"], registry=self.registry)
        build.labels(version=version).set(1)
        self.registry.register(PoolCollector(engine))

"""What operators read: health, readiness, metrics and the JSON logs."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest

from tests.conftest import ShopApp

METRIC_NAMES = (
    "http_requests_total",
    "http_request_duration_seconds_bucket",
    "http_requests_in_flight",
    "db_pool_checked_out",
    "db_pool_overflow",
    "db_pool_size",
    "payment_provider_requests_total",
    "app_build_info",
)


def test_healthz_and_version(shop_app: ShopApp) -> None:
    assert shop_app.client.get("/healthz").json() == {"status": "ok", "version": "1.0.0"}
    assert shop_app.client.get("/version").json() == {"version": "1.0.0"}


def test_readyz_names_the_failed_check(shop_app: ShopApp) -> None:
    response = shop_app.client.get("/readyz")  # nothing listens at the provider's port
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["failed"] == ["payment_provider:primary"]
    assert body["checks"]["database"] == "ok"
    assert "ConnectError" in body["checks"]["payment_provider:primary"]


def test_readyz_answers_in_time_when_a_provider_hangs(
    make_shop_app: Callable[..., ShopApp], blackhole_port: int
) -> None:
    shop_app = make_shop_app(payment_provider_url=f"http://127.0.0.1:{blackhole_port}")
    for _ in range(2):
        body = shop_app.client.get("/readyz").json()
        assert body["failed"] == ["payment_provider:primary"]
        # The provider's own 0.7 s timeout or the 0.8 s budget answered: the
        # probe never waits for the blackhole.
        assert re.search("Timeout|no answer", body["checks"]["payment_provider:primary"])


def test_metrics_expose_the_contract(shop_app: ShopApp) -> None:
    shop_app.client.get("/products/3")
    shop_app.client.get("/nope")
    order = shop_app.client.post(
        "/orders", json={"customer_id": 1, "items": [{"product_id": 1, "quantity": 1}]}
    ).json()
    shop_app.client.post(f"/orders/{order['id']}/pay")  # the provider is down
    text = shop_app.client.get("/metrics").text
    for name in METRIC_NAMES:
        assert re.search(rf"^{name}[{{ ]", text, re.MULTILINE), name
    assert 'http_requests_total{method="GET",route="/products/{product_id}",status="200"}' in text
    assert 'route="unmatched",status="404"' in text
    buckets = re.findall(r'http_request_duration_seconds_bucket\{le="([^"]+)"', text)
    expected = [
        "0.005",
        "0.01",
        "0.025",
        "0.05",
        "0.1",
        "0.25",
        "0.5",
        "1.0",
        "2.5",
        "5.0",
        "10.0",
        "+Inf",
    ]
    assert buckets[:12] == expected
    assert 'payment_provider_requests_total{outcome="unavailable",provider="primary"}' in text
    assert "db_pool_size 5.0" in text
    assert "db_pool_checked_out 0.0" in text
    assert "/metrics" not in re.sub(r"#.*", "", text)  # scrapes are not counted


def test_access_and_error_logs_are_json_in_the_file_and_on_stdout(
    make_shop_app: Callable[..., ShopApp], capfd: pytest.CaptureFixture[str]
) -> None:
    shop_app = make_shop_app(log_stdout=True, app_version="1.1.0")
    shop_app.client.get("/products/2", headers={"User-Agent": "t"})
    brazil = next(
        i for i in range(1, 301) if shop_app.client.get(f"/customers/{i}").json()["country"] == "BR"
    )
    shop_app.client.get(f"/recommendations/{brazil}")  # 1.1.0's bug: an error log line
    file_lines = [json.loads(line) for line in shop_app.log_file.read_text().splitlines()]
    stdout_lines = [
        json.loads(line) for line in capfd.readouterr().out.splitlines() if line.startswith("{")
    ]
    for lines in (file_lines, stdout_lines):
        access = [e for e in lines if e["logger"] == "shop.access" and e["path"] == "/products/2"]
        assert len(access) == 1
        entry = access[0]
        assert entry["route"] == "/products/{product_id}" and entry["status"] == 200
        assert entry["method"] == "GET" and entry["duration_ms"] >= 0 and entry["level"] == "info"
        errors = [e for e in lines if e["logger"] == "shop.error"]
        assert len(errors) == 1 and errors[0]["level"] == "error"
        assert "KeyError" in errors[0]["exception"]
    assert len(file_lines) == len(stdout_lines)

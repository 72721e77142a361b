"""The shop's chaos controls seen from outside: a real shop process under requests."""

from __future__ import annotations

import math
import os
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from simulator.env.processes import start_provider
from tests.conftest import RunningShop, ShopApp
from tests.probes import wait_until

pytestmark = pytest.mark.integration
POOL_CAPACITY = 10  # the shop's default pool_size 5 + max_overflow 5
CLK_TCK = os.sysconf("SC_CLK_TCK")


@pytest.fixture
def running(module_shop: RunningShop) -> Iterator[RunningShop]:
    """The module's shop with no chaos active before and after each test."""
    with module_shop.chaos() as chaos:
        chaos.delete("/chaos").raise_for_status()
    try:
        yield module_shop
    finally:
        with module_shop.chaos() as chaos:
            chaos.delete("/chaos").raise_for_status()


def _put(shop: RunningShop, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    with shop.chaos() as chaos:
        response = chaos.put(f"/chaos/{kind}", json=body)
    assert response.status_code == 200, response.text
    state: dict[str, Any] = response.json()
    return state


def _eventually(predicate: Callable[[], bool], timeout_s: float) -> bool:
    return wait_until(predicate, timeout_s, interval_s=0.1)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _metric(client: httpx.Client, name: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


def _false_failure_probability(n: int, p: float, bound: float) -> float:
    """Exact binomial probability that the observed fraction leaves p +- bound."""
    low, high = math.ceil(n * (p - bound)), math.floor(n * (p + bound))
    inside = sum(math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(low, high + 1))
    return 1 - inside


def test_error_fraction_matches_the_setting(running: RunningShop) -> None:
    n, bound = 500, 0.12
    assert _false_failure_probability(n, 0.5, bound) < 1e-6
    _put(running, "errors", {"fraction": 0.5, "status": 500, "ttl_s": 60})
    with running.client() as client:
        statuses = [client.get("/products/1").status_code for _ in range(n)]
    assert set(statuses) <= {200, 500}
    assert abs(statuses.count(500) / n - 0.5) <= bound


def test_route_scoped_errors_hit_only_those_routes(running: RunningShop) -> None:
    _put(running, "errors", {"fraction": 1.0, "status": 502, "routes": ["/customers"], "ttl_s": 60})
    with running.client() as client:
        assert {client.get(f"/customers/{i}").status_code for i in range(1, 31)} == {502}
        assert {client.get(f"/products/{i}").status_code for i in range(1, 31)} == {200}
        assert client.get("/orders").status_code == 200


def test_latency_setting_slows_responses(running: RunningShop) -> None:
    def median_s(client: httpx.Client) -> float:
        samples = []
        for _ in range(7):
            started = time.perf_counter()
            client.get("/products/2").raise_for_status()
            samples.append(time.perf_counter() - started)
        return statistics.median(samples)

    with running.client() as client:
        base = median_s(client)
        _put(running, "latency", {"ms": 150, "ttl_s": 60})
        slow = median_s(client)
    assert slow - base >= 0.12, (base, slow)


def test_pool_leak_fails_readiness_until_its_ttl(running: RunningShop) -> None:
    with running.client() as client:
        assert client.get("/readyz").status_code == 200
        _put(running, "pool_leak", {"connections": POOL_CAPACITY, "ttl_s": 6})
        assert _eventually(lambda: _metric(client, "db_pool_checked_out") == POOL_CAPACITY, 5)
        for _ in range(2):
            response = client.get("/readyz")
            assert response.status_code == 503
            assert "database" in response.json()["failed"]
            assert (
                f"{POOL_CAPACITY}/{POOL_CAPACITY} checked out"
                in response.json()["checks"]["database"]
            )
        blocked = client.get("/products/3")
        assert blocked.status_code == 503 and blocked.json()["error"] == "TimeoutError"
        assert _eventually(lambda: client.get("/readyz").status_code == 200, 6 + 3)
        # A connection still on its way back (the probe's own) is returned a moment later.
        assert _eventually(lambda: _metric(client, "db_pool_checked_out") == 0, 5)


def test_cpu_burn_raises_the_process_cpu_time(running: RunningShop) -> None:
    pid = running.app.pid

    def cpu_rate(window_s: float = 1.0) -> float:
        before = _cpu_seconds(pid)
        time.sleep(window_s)
        return (_cpu_seconds(pid) - before) / window_s

    idle = cpu_rate()
    # The TTL leaves room for the one-second measurement on a busy machine.
    _put(running, "cpu", {"threads": 2, "duty": 1.0, "ttl_s": 3})
    burning = cpu_rate()
    # Two spinning threads; even on a machine shared with other work they get
    # far more than an idle shop's few milliseconds per second.
    assert burning >= idle + 0.15, (idle, burning)
    with running.chaos() as chaos:
        assert _eventually(lambda: "cpu" not in chaos.get("/chaos").json(), 3 + 10)
    after = cpu_rate()
    assert after < burning / 2, (burning, after)  # the TTL ended it


def test_memory_growth_raises_rss_and_its_ttl_frees_it(running: RunningShop) -> None:
    pid = running.app.pid
    base = _rss_mb(pid)
    # 120 MB at 200 MB/s takes 0.6 s; the TTL leaves room for a busy machine.
    _put(running, "memory", {"mb_per_s": 200, "max_mb": 120, "ttl_s": 5})
    assert _eventually(lambda: _rss_mb(pid) >= base + 100, 5), (base, _rss_mb(pid))
    # The leaked memory lives in anonymous mappings of its own, so RSS really
    # falls when the TTL drops it (malloc'd buffers may stay in malloc's heap).
    assert _eventually(lambda: _rss_mb(pid) <= base + 30, 5 + 10), (base, _rss_mb(pid))


def _new_order(client: httpx.Client | TestClient) -> int:
    response = client.post(
        "/orders", json={"customer_id": 5, "items": [{"product_id": 6, "quantity": 1}]}
    )
    assert response.status_code == 201, response.text
    order_id: int = response.json()["id"]
    return order_id


def test_payment_goes_to_the_primary_and_is_paid_once(running: RunningShop) -> None:
    with running.client() as client:
        order_id = _new_order(client)
        paid = client.post(f"/orders/{order_id}/pay")
        assert paid.status_code == 200, paid.text
        assert paid.json()["provider"] == "primary" and paid.json()["status"] == "succeeded"
        assert client.get(f"/orders/{order_id}").json()["status"] == "paid"
        assert client.post(f"/orders/{order_id}/pay").status_code == 409
    charge = httpx.get(f"{running.primary.url}/v1/charges/{paid.json()['charge_id']}").json()
    assert charge["provider"] == "primary"


def test_declined_card_is_402_and_the_order_stays_unpaid(running: RunningShop) -> None:
    with running.client() as client:
        # 97 of anything totals a multiple of 97: the stub provider declines those.
        order = client.post(
            "/orders", json={"customer_id": 7, "items": [{"product_id": 8, "quantity": 97}]}
        ).json()
        response = client.post(f"/orders/{order['id']}/pay")
        assert response.status_code == 402 and response.json()["detail"] == "payment declined"
        assert client.get(f"/orders/{order['id']}").json()["status"] == "payment_failed"
        assert 'outcome="declined",provider="primary"' in client.get("/metrics").text


def test_flags_switch_payments_to_backup_and_disable_recommendations(
    running: RunningShop,
) -> None:
    _put(running, "flags", {"payment_provider": "backup", "recommendations_enabled": False})
    with running.client() as client:
        paid = client.post(f"/orders/{_new_order(client)}/pay")
        assert paid.status_code == 200 and paid.json()["provider"] == "backup"
        assert client.get("/recommendations/5").json()["disabled"] is True
        assert "payment_provider:backup" in client.get("/readyz").json()["checks"]
    charge_id = paid.json()["charge_id"]
    assert httpx.get(f"{running.backup.url}/v1/charges/{charge_id}").json()["provider"] == "backup"
    assert httpx.get(f"{running.primary.url}/v1/charges/{charge_id}").status_code == 404


def test_dead_payment_provider_gives_503_and_readiness_says_which(
    make_shop_app: Callable[..., ShopApp], tmp_path: Path
) -> None:
    provider = start_provider(tmp_path, "primary")
    try:
        shop_app = make_shop_app(payment_provider_url=provider.url)
        client = shop_app.client
        assert client.get("/readyz").status_code == 200
        assert client.post(f"/orders/{_new_order(client)}/pay").status_code == 200
        provider.stop()
        response = client.post(f"/orders/{_new_order(client)}/pay")
        assert response.status_code == 503
        assert response.json()["detail"] == "primary payment provider: ConnectError"
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["failed"] == ["payment_provider:primary"]
        assert 'outcome="unavailable",provider="primary"' in client.get("/metrics").text
    finally:
        provider.stop()

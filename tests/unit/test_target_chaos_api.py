"""The chaos control endpoints: who may call them, what they accept, what they do."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import ShopApp

TTL = {"ttl_s": 60}
CONTROLS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/chaos", None),
    ("PUT", "/chaos/errors", {"fraction": 0.5, **TTL}),
    ("PUT", "/chaos/latency", {"ms": 10, **TTL}),
    ("PUT", "/chaos/cpu", {"threads": 1, **TTL}),
    ("PUT", "/chaos/memory", {"mb_per_s": 1, **TTL}),
    ("PUT", "/chaos/pool_leak", {"connections": 1, **TTL}),
    ("PUT", "/chaos/flags", {"recommendations_enabled": False}),
    ("DELETE", "/chaos/errors", None),
    ("DELETE", "/chaos", None),
    ("GET", "/admin/cache", None),
    ("POST", "/admin/cache/clear", None),
]


@pytest.fixture
def chaos_shop(make_shop_app: Callable[..., ShopApp]) -> ShopApp:
    return make_shop_app()


def _call(
    client: TestClient, method: str, path: str, body: dict[str, Any] | None, **headers: str
) -> int:
    return client.request(method, path, json=body, headers=headers).status_code


def _wait_until(predicate: Callable[[], bool], timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_controls_are_off_without_a_configured_token(
    make_shop_app: Callable[..., ShopApp],
) -> None:
    shop_app = make_shop_app(chaos_token=None)
    for method, path, body in CONTROLS:
        assert _call(shop_app.client, method, path, body, **{"X-Chaos-Token": "x"}) == 404, path
    assert shop_app.client.get("/chaos").json()["detail"].startswith("chaos controls are disabled")


def test_controls_need_the_right_token(chaos_shop: ShopApp) -> None:
    for method, path, body in CONTROLS:
        assert _call(chaos_shop.client, method, path, body) == 401, path
        assert _call(chaos_shop.client, method, path, body, **{"X-Chaos-Token": "wrong"}) == 401
        latin1 = {b"X-Chaos-Token": "tést".encode("latin-1")}
        assert chaos_shop.client.request(method, path, json=body, headers=latin1).status_code == 401
    assert chaos_shop.client.get("/chaos", headers=chaos_shop.chaos_headers).status_code == 200


def test_controls_answer_on_loopback_only(chaos_shop: ShopApp) -> None:
    # Same app, other peer addresses (no `with`: the fixture's client owns the lifespan).
    remote = TestClient(chaos_shop.client.app, client=("10.1.2.3", 5000))
    for method, path, body in CONTROLS:
        assert _call(remote, method, path, body, **chaos_shop.chaos_headers) == 403, path
    assert remote.get("/products/1").status_code == 200  # the API itself is public
    local6 = TestClient(chaos_shop.client.app, client=("::1", 5000))
    assert local6.get("/chaos", headers=chaos_shop.chaos_headers).status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/chaos/errors", {"fraction": 0.5}, "body.ttl_s"),
        ("/chaos/errors", {"fraction": 0, **TTL}, "body.fraction"),
        ("/chaos/errors", {"fraction": 1.5, **TTL}, "body.fraction"),
        ("/chaos/errors", {"fraction": 0.5, "status": 200, **TTL}, "body.status"),
        ("/chaos/errors", {"fraction": 0.5, "routes": ["products"], **TTL}, "body.routes.0"),
        ("/chaos/errors", {"fraction": 0.5, "fracton": 1, **TTL}, "body.fracton"),
        ("/chaos/errors", {"fraction": 0.5, "ttl_s": 0}, "body.ttl_s"),
        ("/chaos/latency", {"ms": 0, **TTL}, "body.ms"),
        ("/chaos/cpu", {"threads": 0, **TTL}, "body.threads"),
        ("/chaos/memory", {"mb_per_s": -1, **TTL}, "body.mb_per_s"),
        ("/chaos/pool_leak", {"connections": 0, **TTL}, "body.connections"),
        ("/chaos/flags", {"payment_provider": "tertiary"}, "body.payment_provider"),
    ],
)
def test_bad_settings_are_refused_with_the_field(
    shop_app: ShopApp, path: str, body: dict[str, Any], field: str
) -> None:
    response = shop_app.client.put(path, json=body, headers=shop_app.chaos_headers)
    assert response.status_code == 422
    fields = [".".join(str(p) for p in e["loc"]) for e in response.json()["detail"]]
    assert fields == [field]
    assert set(shop_app.client.get("/chaos", headers=shop_app.chaos_headers).json()) == {
        "flags",
        "flags_changed",
        "flags_ttl_left_s",
    }


def test_empty_flags_and_unknown_kinds_are_refused(shop_app: ShopApp) -> None:
    headers = shop_app.chaos_headers
    empty = shop_app.client.put("/chaos/flags", json={"ttl_s": 5}, headers=headers)
    assert empty.status_code == 422 and "at least one flag" in empty.json()["detail"]
    assert shop_app.client.delete("/chaos/bogus", headers=headers).status_code == 422


def test_error_injection_hits_api_routes_not_operations(chaos_shop: ShopApp) -> None:
    client, headers = chaos_shop.client, chaos_shop.chaos_headers
    body = {"fraction": 1.0, "status": 503, **TTL}
    state = client.put("/chaos/errors", json=body, headers=headers).json()
    assert state["errors"]["fraction"] == 1.0 and 0 < state["errors"]["ttl_left_s"] <= 60
    response = client.get("/products/1")
    assert response.status_code == 503 and response.json() == {"detail": "internal error"}
    assert client.get("/healthz").status_code == 200
    assert client.get("/metrics").status_code == 200
    cleared = client.delete("/chaos/errors", headers=headers).json()
    assert cleared["was_active"] is True and "errors" not in cleared["state"]
    assert client.get("/products/1").status_code == 200
    assert client.delete("/chaos/errors", headers=headers).json()["was_active"] is False


def test_error_injection_scoped_to_routes(chaos_shop: ShopApp) -> None:
    client, headers = chaos_shop.client, chaos_shop.chaos_headers
    body = {"fraction": 1.0, "routes": ["/customers"], **TTL}
    client.put("/chaos/errors", json=body, headers=headers)
    assert client.get("/customers/1").status_code == 500
    assert client.get("/products/1").status_code == 200
    assert client.get("/orders").status_code == 200


def test_latency_delays_only_its_routes(chaos_shop: ShopApp) -> None:
    client, headers = chaos_shop.client, chaos_shop.chaos_headers
    client.put("/chaos/latency", json={"ms": 400, "routes": ["/products"], **TTL}, headers=headers)
    started = time.monotonic()
    assert client.get("/products/1").status_code == 200
    assert time.monotonic() - started >= 0.4
    client.put("/chaos/latency", json={"ms": 3000, "routes": ["/products"], **TTL}, headers=headers)
    started = time.monotonic()
    assert client.get("/customers/1").status_code == 200
    assert time.monotonic() - started < 2.0  # not 3 s: the setting is scoped


def test_settings_expire_by_themselves(chaos_shop: ShopApp) -> None:
    client, headers = chaos_shop.client, chaos_shop.chaos_headers
    # Long enough to be seen before it expires on a loaded machine, short enough to wait out.
    ttl = {"ttl_s": 3.0}
    client.put("/chaos/errors", json={"fraction": 1.0, **ttl}, headers=headers)
    client.put("/chaos/cpu", json={"threads": 1, "duty": 0.1, **ttl}, headers=headers)
    client.put("/chaos/flags", json={"payment_provider": "backup", **ttl}, headers=headers)
    assert client.get("/products/1").status_code == 500
    assert client.get("/chaos", headers=headers).json()["flags"]["payment_provider"] == "backup"
    assert _wait_until(lambda: client.get("/products/1").status_code == 200, timeout_s=10.0)
    state = client.get("/chaos", headers=headers).json()
    assert "errors" not in state and "cpu" not in state
    assert state["flags"]["payment_provider"] == "primary" and state["flags_changed"] == {}


def test_flags_switch_features(chaos_shop: ShopApp) -> None:
    client, headers = chaos_shop.client, chaos_shop.chaos_headers
    assert client.get("/recommendations/3").json()["items"]
    client.put("/chaos/flags", json={"recommendations_enabled": False}, headers=headers)
    assert client.get("/recommendations/3").json() == {
        "customer_id": 3,
        "items": [],
        "disabled": True,
    }
    client.put("/chaos/flags", json={"payment_provider": "backup"}, headers=headers)
    assert "payment_provider:backup" in client.get("/readyz").json()["checks"]
    cleared = client.delete("/chaos/flags", headers=headers).json()
    assert cleared["was_active"] is True
    assert cleared["state"]["flags"]["payment_provider"] == "primary"
    assert client.get("/recommendations/3").json()["items"]


def test_delete_all_clears_every_kind(chaos_shop: ShopApp) -> None:
    client, headers = chaos_shop.client, chaos_shop.chaos_headers
    client.put("/chaos/errors", json={"fraction": 0.1, **TTL}, headers=headers)
    client.put("/chaos/latency", json={"ms": 1, **TTL}, headers=headers)
    client.put("/chaos/memory", json={"mb_per_s": 10, "max_mb": 5, **TTL}, headers=headers)
    client.put("/chaos/flags", json={"recommendations_enabled": False}, headers=headers)
    assert _wait_until(
        lambda: client.get("/admin/cache", headers=headers).json()["bytes"] >= 5 * 2**20
    )
    result = client.delete("/chaos", headers=headers).json()
    assert sorted(result["cleared"]) == ["errors", "flags", "latency", "memory"]
    assert set(result["state"]) == {"flags", "flags_changed", "flags_ttl_left_s"}
    assert client.get("/admin/cache", headers=headers).json()["bytes"] == 0
    assert client.delete("/chaos", headers=headers).json()["cleared"] == []


def test_cache_clear_drops_entries_and_leaked_memory(chaos_shop: ShopApp) -> None:
    client, headers = chaos_shop.client, chaos_shop.chaos_headers
    client.get("/recommendations/1")
    client.get("/recommendations/2")
    client.put("/chaos/memory", json={"mb_per_s": 20, "max_mb": 4, **TTL}, headers=headers)
    assert _wait_until(lambda: client.get("/admin/cache", headers=headers).json()["bytes"] > 0)
    assert client.post("/admin/cache/clear", headers=headers).json()["dropped"] >= 3
    assert client.get("/recommendations/1").json()["cached"] is False


def test_a_write_stop_refuses_writes_keeps_reads_and_expires(chaos_shop: ShopApp) -> None:
    client, headers = chaos_shop.client, chaos_shop.chaos_headers
    order = {"customer_id": 1, "items": [{"product_id": 1, "quantity": 1}]}
    client.put("/chaos/flags", json={"writes_enabled": False, "ttl_s": 2.0}, headers=headers)
    refused = client.post("/orders", json=order)
    assert refused.status_code == 503 and "writes are stopped" in refused.json()["detail"]
    assert refused.headers["retry-after"] == "60"
    assert client.get("/products/1").status_code == 200, "reads go on"
    assert client.get("/chaos", headers=headers).status_code == 200, "operators' API too"
    # Its TTL gives the shop its writes back even if nobody resumes them.
    assert _wait_until(lambda: client.post("/orders", json=order).status_code == 201, 10.0)

"""The chaos proxy's control API: Toxiproxy's paths, JSON shapes and errors.

Includes a real HTTP upstream (the payment provider) and a real Toxiproxy
client (the `toxiproxy-python` package) driving our API.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from simulator.env.processes import ManagedProcess, free_port, start_provider
from simulator.proxy import ProxyServerThread

pytestmark = pytest.mark.integration

NOWHERE = "127.0.0.1:9"  # an upstream nothing listens on: these tests never connect


@pytest.fixture
def chaos() -> Iterator[ProxyServerThread]:
    with ProxyServerThread() as server:
        yield server


@pytest.fixture
def api(chaos: ProxyServerThread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=chaos.api_url, timeout=5.0) as client:
        yield client


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManagedProcess]:
    proc = start_provider(tmp_path_factory.mktemp("provider"))
    try:
        yield proc
    finally:
        proc.stop()


def port_of(listen: str) -> int:
    return int(listen.rsplit(":", 1)[1])


def test_proxy_json_has_toxiproxy_fields_and_the_real_port(api: httpx.Client) -> None:
    created = api.post(
        "/proxies", json={"name": "db", "listen": "127.0.0.1:0", "upstream": NOWHERE}
    )
    assert created.status_code == 201
    proxy = created.json()
    assert {k: proxy[k] for k in ("name", "upstream", "enabled", "toxics")} == {
        "name": "db",
        "upstream": NOWHERE,
        "enabled": True,
        "toxics": [],
    }
    assert proxy["listen"].startswith("127.0.0.1:") and port_of(proxy["listen"]) != 0
    assert api.get("/proxies").json() == {"db": proxy}
    assert api.get("/proxies/db").json() == proxy
    assert api.get("/version").json()["version"].startswith("2.")


def test_toxic_json_has_toxiproxy_defaults(api: httpx.Client) -> None:
    api.post("/proxies", json={"name": "db", "upstream": NOWHERE})
    toxic = api.post("/proxies/db/toxics", json={"type": "latency", "attributes": {"latency": 5}})
    assert toxic.status_code == 200
    body = toxic.json()
    assert {k: body[k] for k in ("name", "type", "stream", "toxicity", "attributes")} == {
        "name": "latency_downstream",
        "type": "latency",
        "stream": "downstream",
        "toxicity": 1.0,
        "attributes": {"latency": 5, "jitter": 0},
    }
    assert body["ttl_s"] is None and body["expires_in_s"] is None
    assert api.get("/proxies/db/toxics").json() == [body]
    assert api.get("/proxies/db/toxics/latency_downstream").json() == body
    assert api.get("/proxies/db").json()["toxics"] == [body]
    updated = api.patch("/proxies/db/toxics/latency_downstream", json={"toxicity": 0.25})
    assert updated.json()["toxicity"] == 0.25 and updated.json()["attributes"]["latency"] == 5
    assert api.delete("/proxies/db/toxics/latency_downstream").status_code == 204
    assert api.get("/proxies/db/toxics").json() == []


ERROR_CASES = [
    ("GET", "/proxies/nope", None, 404, "proxy not found"),
    ("POST", "/proxies", {"name": "db", "upstream": NOWHERE}, 409, "proxy already exists"),
    ("POST", "/proxies", {"name": "x"}, 400, "missing required field: upstream"),
    ("POST", "/proxies", {"name": "x", "upstream": "nohost"}, 400, "upstream 'nohost'"),
    ("POST", "/proxies/db/toxics", {"type": "latancy"}, 400, "invalid toxic type"),
    ("POST", "/proxies/db/toxics", {"type": "latency", "stream": "sideways"}, 400, "stream"),
    ("POST", "/proxies/db/toxics", {"type": "latency", "toxicity": 2}, 400, "toxicity"),
    (
        "POST",
        "/proxies/db/toxics",
        {"type": "latency", "attributes": {"latency": -5}},
        400,
        "latency",
    ),
    ("POST", "/proxies/db/toxics", {"type": "slicer"}, 400, "average_size"),
    ("POST", "/proxies/db/toxics", {"type": "down"}, 409, "toxic already exists"),
    ("POST", "/proxies/nope/toxics", {"type": "down"}, 404, "proxy not found"),
    ("GET", "/proxies/db/toxics/nope", None, 404, "toxic not found"),
    ("DELETE", "/proxies/db/toxics/nope", None, 404, "toxic not found"),
    ("POST", "/proxies/db", {"enabled": "maybe"}, 400, "enabled"),
    ("DELETE", "/version", None, 405, "not allowed"),
    ("GET", "/nothing", None, 404, "no such endpoint"),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "text"), ERROR_CASES)
def test_errors_are_toxiproxy_shaped_and_say_what_is_wrong(
    api: httpx.Client, method: str, path: str, body: object, status: int, text: str
) -> None:
    api.post("/proxies", json={"name": "db", "upstream": NOWHERE})
    api.post("/proxies/db/toxics", json={"type": "down", "name": "down_downstream"})
    response = api.request(method, path, json=body)
    assert response.status_code == status
    assert response.json()["status"] == status
    assert text in response.json()["error"]


def test_invalid_json_browsers_and_busy_ports_get_clear_errors(api: httpx.Client) -> None:
    bad_json = api.post("/proxies", content=b"{nope", headers={"content-type": "application/json"})
    assert bad_json.status_code == 400 and "not valid JSON" in bad_json.json()["error"]
    browser = api.get("/proxies", headers={"user-agent": "Mozilla/5.0"})
    assert browser.status_code == 403
    with socket.create_server(("127.0.0.1", 0)) as taken:
        listen = f"127.0.0.1:{taken.getsockname()[1]}"
        busy = api.post("/proxies", json={"name": "x", "listen": listen, "upstream": NOWHERE})
    assert busy.status_code == 400 and "already in use" in busy.json()["error"]
    assert api.get("/proxies").json() == {}


def test_populate_creates_all_or_none_and_is_idempotent(api: httpx.Client) -> None:
    ports = [free_port(), free_port()]
    wanted = [
        {"name": f"p{i}", "listen": f"127.0.0.1:{port}", "upstream": NOWHERE}
        for i, port in enumerate(ports)
    ]
    first = api.post("/populate", json=wanted)
    assert first.status_code == 201
    assert [p["listen"] for p in first.json()["proxies"]] == [w["listen"] for w in wanted]
    api.post("/proxies/p0/toxics", json={"type": "latency"})
    again = api.post("/populate", json=wanted)
    assert again.status_code == 201
    assert len(api.get("/proxies/p0/toxics").json()) == 1  # unchanged proxies keep toxics
    with socket.create_server(("127.0.0.1", 0)) as taken:
        busy = f"127.0.0.1:{taken.getsockname()[1]}"
        broken = [
            {"name": "p2", "listen": "127.0.0.1:0", "upstream": NOWHERE},
            {"name": "p3", "listen": busy, "upstream": NOWHERE},
        ]
        failed = api.post("/populate", json=broken)
    assert failed.status_code == 400 and failed.json()["proxies"] == []
    assert sorted(api.get("/proxies").json()) == ["p0", "p1"]
    missing = api.post("/populate", json=[{"name": "p4"}])
    assert missing.json()["error"] == "missing required field: upstream"


def test_update_moves_the_listener_and_delete_closes_it(api: httpx.Client) -> None:
    old = port_of(api.post("/proxies", json={"name": "db", "upstream": NOWHERE}).json()["listen"])
    new = free_port()
    moved = api.post("/proxies/db", json={"listen": f"127.0.0.1:{new}"})
    assert moved.status_code == 200 and port_of(moved.json()["listen"]) == new
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", old), timeout=2).close()
    socket.create_connection(("127.0.0.1", new), timeout=2).close()
    assert api.delete("/proxies/db").status_code == 204
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", new), timeout=2).close()
    assert api.get("/proxies/db").status_code == 404


def test_http_service_through_the_proxy_with_latency(
    api: httpx.Client, provider: ManagedProcess
) -> None:
    created = api.post("/proxies", json={"name": "pay", "upstream": f"127.0.0.1:{provider.port}"})
    url = f"http://{created.json()['listen']}"
    charge = {"order_id": 7, "amount_cents": 1250, "currency": "EUR", "idempotency_key": "k7"}
    with httpx.Client(base_url=url, timeout=10) as shop_side:
        assert shop_side.post("/v1/charges", json=charge).json()["amount_cents"] == 1250
        api.post("/proxies/pay/toxics", json={"type": "latency", "attributes": {"latency": 200}})
        start = time.monotonic()
        assert shop_side.get("/healthz").json()["status"] == "ok"  # same keep-alive connection
        assert time.monotonic() - start >= 0.2  # the client's timeout bounds it above
        api.post("/proxies/pay", json={"enabled": False})
        with pytest.raises(httpx.TransportError):
            shop_side.get("/healthz")
        api.post("/reset")
        assert shop_side.get("/healthz").status_code == 200


def test_a_toxiproxy_client_drives_our_api(chaos: ProxyServerThread, tmp_path: Path) -> None:
    toxiproxy = pytest.importorskip("toxiproxy", reason="dev extra toxiproxy-python missing")
    from toxiproxy.api import APIConsumer

    saved = (APIConsumer.host, APIConsumer.port)
    server = toxiproxy.Toxiproxy()
    server.update_api_consumer("127.0.0.1", port_of(chaos.api_url))
    try:
        assert server.running() and b"2." in server.version()
        proxy = server.create(upstream=NOWHERE, name="redis")
        assert port_of(proxy.listen) != 0 and proxy.enabled is True
        proxy.add_toxic(type="latency", attributes={"latency": 100})
        toxics = proxy.toxics()
        assert list(toxics) == ["latency_downstream"]
        assert toxics["latency_downstream"].attributes["latency"] == 100
        with proxy.down():
            assert server.get_proxy("redis").enabled is False
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.1", port_of(proxy.listen)), 2).close()
        assert server.get_proxy("redis").enabled is True
        with pytest.raises(toxiproxy.exceptions.ProxyExists):
            server.create(upstream=NOWHERE, name="redis")
        assert server.reset() is True and proxy.toxics() == {}
        server.populate([{"name": "pg", "upstream": NOWHERE, "listen": "127.0.0.1:0"}])
        assert sorted(server.proxies()) == ["pg", "redis"]
        server.destroy_all()
        assert server.proxies() == {}
    finally:
        APIConsumer.host, APIConsumer.port = saved


def test_an_update_without_ttl_keeps_the_deadline(api: httpx.Client) -> None:
    api.post("/proxies", json={"name": "db", "upstream": NOWHERE})
    added = time.monotonic()
    api.post("/proxies/db/toxics", json={"type": "latency", "ttl_s": 2})
    time.sleep(0.5)
    updated = api.post("/proxies/db/toxics/latency_downstream", json={"attributes": {"latency": 9}})
    # The old deadline holds: a restarted countdown would show about 2 s again.
    assert updated.json()["ttl_s"] == 2 and updated.json()["expires_in_s"] <= 1.5
    deadline = time.monotonic() + 6
    while api.get("/proxies/db/toxics").json():
        assert time.monotonic() < deadline, "the updated toxic outlived its TTL"
        time.sleep(0.05)
    assert time.monotonic() - added >= 2
    api.post("/proxies/db/toxics", json={"type": "latency", "ttl_s": 5})
    renewed = api.post("/proxies/db/toxics/latency_downstream", json={"ttl_s": 60})
    assert renewed.json()["ttl_s"] == 60 and renewed.json()["expires_in_s"] > 59

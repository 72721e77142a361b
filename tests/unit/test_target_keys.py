"""The shop's credentials through a TestClient: scopes, audit, revoke, rotate, block, canary."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from target_app.keys import derive_secret
from tests.conftest import CHAOS_TOKEN, ShopApp


def _key(key_id: str, generation: int = 0) -> dict[str, str]:
    return {"X-Api-Key": derive_secret(CHAOS_TOKEN, key_id, generation)}


def _audit(shop_app: ShopApp) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in shop_app.log_file.read_text().splitlines()]
    return [e for e in lines if e.get("logger") == "shop.audit"]


def _dump(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    after: int | None = 0
    for _ in range(100):  # bounded: 300 customers in pages of 50
        if after is None:
            break
        response = client.get(
            "/admin/customers/export", params={"after_id": after, "limit": 50}, headers=headers
        )
        assert response.status_code == 200, response.text
        rows += response.json()["customers"]
        after = response.json()["next_after_id"]
    return rows


def _metric(shop_app: ShopApp, line_start: str) -> float:
    for line in shop_app.client.get("/metrics").text.splitlines():
        if line.startswith(line_start):
            return float(line.split()[-1])
    return 0.0


def test_export_needs_the_scope_and_every_keyed_request_is_audited(make_shop_app: Any) -> None:
    shop_app: ShopApp = make_shop_app()
    client = shop_app.client
    assert client.get("/admin/customers/export").status_code == 401
    assert client.get("/admin/customers/export", headers=_key("checkout")).status_code == 403
    bogus = {"X-Api-Key": "cdk_reports_0000"}
    assert client.get("/admin/customers/export", headers=bogus).status_code == 401
    rows = _dump(client, _key("partner-acme"))
    assert [r["id"] for r in rows] == list(range(1, 301))
    assert client.get("/products").status_code == 200  # public routes stay keyless

    audit = _audit(shop_app)
    ok = [e for e in audit if e["key_id"] == "partner-acme" and e["status"] == 200]
    assert sum(e["rows"] for e in ok) == 300
    assert {e["client"] for e in ok} == {"127.0.0.1"}
    assert {e["route"] for e in ok} == {"/admin/customers/export"}
    assert [(e["key_id"], e["status"]) for e in audit[:3]] == [
        ("checkout", 403),
        (None, 401),
        ("partner-acme", 200),
    ]  # the keyless request is not an authenticated one: not audited
    keys = {
        k["id"]: k for k in client.get("/admin/keys", headers=shop_app.chaos_headers).json()["keys"]
    }
    assert keys["partner-acme"]["last_used_at"] is not None
    assert keys["reports"]["last_used_at"] is None
    assert not any("secret" in field for k in keys.values() for field in k)
    assert _metric(shop_app, 'customer_export_rows_total{key_id="partner-acme"}') == 300


def test_revoke_and_rotate_act_on_the_next_request_and_spare_other_keys(make_shop_app: Any) -> None:
    shop_app: ShopApp = make_shop_app()
    client, chaos = shop_app.client, shop_app.chaos_headers
    url = "/admin/customers/export"
    assert client.get(url, headers=_key("reports")).status_code == 200
    assert client.post("/admin/keys/reports/revoke", headers=chaos).status_code == 200
    assert client.get(url, headers=_key("reports")).status_code == 401
    assert client.get(url, headers=_key("partner-acme")).status_code == 200
    missing = client.post("/admin/keys/nope/revoke", headers=chaos)
    assert missing.status_code == 404 and "known keys: canary, checkout" in missing.json()["detail"]

    rotated = client.post("/admin/keys/rotate", json={"owner": "acme-partner"}, headers=chaos)
    assert rotated.status_code == 200
    assert client.get(url, headers=_key("partner-acme")).status_code == 401  # the partner breaks
    new = {"X-Api-Key": rotated.json()["rotated"]["partner-acme"]}
    assert new == _key("partner-acme", 1)
    assert client.get(url, headers=new).status_code == 200
    assert client.post("/admin/keys/rotate", json={"owner": "x"}, headers=chaos).status_code == 404
    assert [e["status"] for e in _audit(shop_app) if e["key_id"] == "reports"] == [200, 401]


def test_a_blocked_address_gets_403_and_others_do_not(make_shop_app: Any) -> None:
    shop_app: ShopApp = make_shop_app()
    chaos = shop_app.chaos_headers
    other = TestClient(shop_app.client.app, client=("127.0.0.2", 40000))
    url = "/admin/customers/export"
    assert other.get(url, headers=_key("reports")).status_code == 200
    bad = shop_app.client.post("/admin/blocks", json={"address": "127.0.0.x"}, headers=chaos)
    assert bad.status_code == 422 and "is not an IP address" in bad.text
    assert shop_app.client.get("/admin/blocks", headers=chaos).json() == {"blocked": []}
    assert (
        shop_app.client.post(
            "/admin/blocks", json={"address": "127.0.0.2"}, headers=chaos
        ).status_code
        == 200
    )
    assert other.get(url, headers=_key("reports")).status_code == 403
    assert other.get("/products").status_code == 403
    assert other.get("/healthz").status_code == 200  # probes and controls stay reachable
    assert shop_app.client.get(url, headers=_key("reports")).status_code == 200
    from_other = [(e["status"], e["rows"]) for e in _audit(shop_app) if e["client"] == "127.0.0.2"]
    assert from_other == [(200, 50), (403, 0)]


def test_canary_key_and_record_are_counted_on_use(make_shop_app: Any) -> None:
    shop_app: ShopApp = make_shop_app()
    client, chaos = shop_app.client, shop_app.chaos_headers
    assert client.get("/admin/customers/export", headers=_key("canary")).status_code == 401
    assert _metric(shop_app, 'canary_token_used_total{token="key"}') == 1
    planted = client.put("/admin/canary-record/t1", headers=chaos).json()["customer_id"]
    assert planted == 301
    partner = client.get(
        "/admin/customers/export",
        params={"after_id": 250, "limit": 50},
        headers=_key("partner-acme"),
    )
    assert [r["id"] for r in partner.json()["customers"]][-1] == 300  # the partner's window
    assert _metric(shop_app, 'canary_token_used_total{token="record"}') == 0
    assert len(_dump(client, _key("reports"))) == 301
    assert _metric(shop_app, 'canary_token_used_total{token="record"}') == 1
    assert client.delete("/admin/canary-record", headers=chaos).json() == {"removed": 1}
    assert len(_dump(client, _key("reports"))) == 300

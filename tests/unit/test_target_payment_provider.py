"""The stub payment provider: idempotent charges, declines, validation."""

from __future__ import annotations

from fastapi.testclient import TestClient

from target_app.payment_provider.app import create_provider_app


def _charge(client: TestClient, key: str, amount: int = 1000) -> dict[str, object]:
    response = client.post(
        "/v1/charges",
        json={"order_id": 1, "amount_cents": amount, "currency": "USD", "idempotency_key": key},
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_charges_are_idempotent_and_named_by_provider() -> None:
    primary = TestClient(create_provider_app("primary"))
    backup = TestClient(create_provider_app("backup"))
    first = _charge(primary, "order-1")
    assert first["status"] == "succeeded" and first["provider"] == "primary"
    assert _charge(primary, "order-1") == first
    assert _charge(primary, "order-2")["id"] != first["id"]
    other = _charge(backup, "order-1")
    assert other["provider"] == "backup" and other["id"] != first["id"]
    assert primary.get(f"/v1/charges/{first['id']}").json() == first
    assert primary.get(f"/v1/charges/{other['id']}").status_code == 404


def test_some_cards_are_declined_and_bad_charges_refused() -> None:
    client = TestClient(create_provider_app("primary"))
    assert _charge(client, "order-97", amount=97 * 123)["status"] == "declined"
    bad = client.post(
        "/v1/charges",
        json={"order_id": 1, "amount_cents": 0, "currency": "usd", "idempotency_key": ""},
    )
    assert bad.status_code == 422
    fields = sorted(e["loc"][-1] for e in bad.json()["detail"])
    assert fields == ["amount_cents", "currency", "idempotency_key"]

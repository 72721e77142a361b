"""The shop's API through a TestClient: happy paths and 404/409/422 answers."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import update

from target_app.models import Product
from tests.conftest import ShopApp


def _fields(response_json: dict[str, Any]) -> list[str]:
    """The dotted locations of a 422's field errors."""
    return [".".join(str(p) for p in err["loc"]) for err in response_json["detail"]]


def _new_customer(shop_app: ShopApp, country: str = "US") -> dict[str, Any]:
    email = f"t{secrets.token_hex(4)}@example.org"
    response = shop_app.client.post(
        "/customers", json={"name": "Test Person", "email": email, "country": country}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


# -- catalog -----------------------------------------------------------------
def test_products_list_pages_through_the_seeded_catalog(shop_app: ShopApp) -> None:
    first = shop_app.client.get("/products").json()
    assert [p["id"] for p in first] == list(range(1, 21))
    page = shop_app.client.get("/products", params={"limit": 5, "offset": 195}).json()
    assert [p["id"] for p in page] == [196, 197, 198, 199, 200]
    assert shop_app.client.get("/products", params={"offset": 200}).json() == []


def test_products_filter_by_category(shop_app: ShopApp) -> None:
    books = shop_app.client.get("/products", params={"category": "books", "limit": 100}).json()
    assert books and {p["category"] for p in books} == {"books"}
    assert shop_app.client.get("/products", params={"category": "nope"}).json() == []


def test_products_list_rejects_bad_paging_with_field_errors(shop_app: ShopApp) -> None:
    for params, field in (({"limit": 0}, "query.limit"), ({"limit": 101}, "query.limit")):
        response = shop_app.client.get("/products", params=params)
        assert response.status_code == 422
        assert _fields(response.json()) == [field]
    response = shop_app.client.get("/products", params={"offset": -1})
    assert response.status_code == 422 and _fields(response.json()) == ["query.offset"]


def test_search_matches_names_case_insensitively(shop_app: ShopApp) -> None:
    name = shop_app.client.get("/products/1").json()["name"]
    word = name.split()[-1]
    hits = shop_app.client.get("/products/search", params={"q": word.upper()}).json()
    assert 1 in [p["id"] for p in hits]
    assert all(word.lower() in p["name"].lower() for p in hits)
    assert shop_app.client.get("/products/search", params={"q": "zzzqqq"}).json() == []


def test_search_needs_a_query(shop_app: ShopApp) -> None:
    assert _fields(shop_app.client.get("/products/search").json()) == ["query.q"]
    too_long = shop_app.client.get("/products/search", params={"q": "x" * 101})
    assert too_long.status_code == 422


def test_product_detail_and_its_errors(shop_app: ShopApp) -> None:
    product = shop_app.client.get("/products/7").json()
    assert product["id"] == 7 and product["sku"] == "SKU-00007"
    missing = shop_app.client.get("/products/9999")
    assert missing.status_code == 404 and "9999" in missing.json()["detail"]
    for bad in ("abc", "0", str(2**40)):
        response = shop_app.client.get(f"/products/{bad}")
        assert response.status_code == 422, bad
        assert _fields(response.json()) == ["path.product_id"]
    unknown = shop_app.client.get("/products/7", params={"customer_id": 99999})
    assert unknown.status_code == 404 and "customer 99999" in unknown.json()["detail"]


# -- customers ---------------------------------------------------------------
def test_customer_create_then_show(shop_app: ShopApp) -> None:
    created = _new_customer(shop_app, country="DE")
    assert created["id"] > 300
    shown = shop_app.client.get(f"/customers/{created['id']}").json()
    assert shown == created


def test_customer_duplicate_email_is_a_conflict(shop_app: ShopApp) -> None:
    created = _new_customer(shop_app)
    again = shop_app.client.post(
        "/customers", json={"name": "Other", "email": created["email"], "country": "US"}
    )
    assert again.status_code == 409 and created["email"] in again.json()["detail"]


def test_customer_validation_names_each_bad_field(shop_app: ShopApp) -> None:
    response = shop_app.client.post(
        "/customers", json={"name": "", "email": "not-an-email", "country": "usa"}
    )
    assert response.status_code == 422
    assert sorted(_fields(response.json())) == ["body.country", "body.email", "body.name"]
    assert shop_app.client.get("/customers/99999").status_code == 404
    not_json = shop_app.client.post(
        "/customers", content=b"{oops", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 422


# -- orders ------------------------------------------------------------------
def test_order_takes_stock_and_totals_the_items(shop_app: ShopApp) -> None:
    customer = _new_customer(shop_app)
    before = {pid: shop_app.client.get(f"/products/{pid}").json() for pid in (3, 4)}
    response = shop_app.client.post(
        "/orders",
        json={
            "customer_id": customer["id"],
            "items": [{"product_id": 3, "quantity": 2}, {"product_id": 4, "quantity": 1}],
        },
    )
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["status"] == "pending" and order["customer_id"] == customer["id"]
    assert order["total_cents"] == 2 * before[3]["price_cents"] + before[4]["price_cents"]
    for pid, quantity in ((3, 2), (4, 1)):
        after = shop_app.client.get(f"/products/{pid}").json()
        assert after["stock"] == before[pid]["stock"] - quantity
    assert shop_app.client.get(f"/orders/{order['id']}").json() == order


def test_order_with_an_unknown_product_changes_nothing(shop_app: ShopApp) -> None:
    stock = shop_app.client.get("/products/5").json()["stock"]
    response = shop_app.client.post(
        "/orders",
        json={
            "customer_id": 1,
            "items": [{"product_id": 5, "quantity": 3}, {"product_id": 9999, "quantity": 1}],
        },
    )
    assert response.status_code == 404 and "product 9999" in response.json()["detail"]
    assert shop_app.client.get("/products/5").json()["stock"] == stock


def test_order_for_an_unknown_customer_is_404(shop_app: ShopApp) -> None:
    response = shop_app.client.post(
        "/orders", json={"customer_id": 99999, "items": [{"product_id": 1, "quantity": 1}]}
    )
    assert response.status_code == 404 and "customer 99999" in response.json()["detail"]


def test_order_beyond_stock_is_a_conflict(shop_app: ShopApp) -> None:
    with shop_app.shop.sessions() as session:
        session.execute(update(Product).where(Product.id == 9).values(stock=2))
        session.commit()
    response = shop_app.client.post(
        "/orders", json={"customer_id": 1, "items": [{"product_id": 9, "quantity": 3}]}
    )
    assert response.status_code == 409 and "only 2 left" in response.json()["detail"]
    assert shop_app.client.get("/products/9").json()["stock"] == 2


def test_order_validation(shop_app: ShopApp) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"customer_id": 1, "items": []}, "body.items"),
        ({"customer_id": 1, "items": [{"product_id": 1, "quantity": 0}]}, "body.items.0.quantity"),
        ({"customer_id": 0, "items": [{"product_id": 1, "quantity": 1}]}, "body.customer_id"),
        ({"items": [{"product_id": 1, "quantity": 1}]}, "body.customer_id"),
    ]
    for body, field in cases:
        response = shop_app.client.post("/orders", json=body)
        assert response.status_code == 422, body
        assert _fields(response.json()) == [field], body


def test_orders_list_newest_first_and_filtered(shop_app: ShopApp) -> None:
    customer = _new_customer(shop_app)
    ids = []
    for pid in (10, 11, 12):
        response = shop_app.client.post(
            "/orders",
            json={"customer_id": customer["id"], "items": [{"product_id": pid, "quantity": 1}]},
        )
        ids.append(response.json()["id"])
    listed = shop_app.client.get("/orders", params={"customer_id": customer["id"]}).json()
    assert [o["id"] for o in listed] == ids[::-1]
    limited = shop_app.client.get("/orders", params={"customer_id": customer["id"], "limit": 1})
    assert [o["id"] for o in limited.json()] == [ids[-1]]
    assert shop_app.client.get("/orders", params={"limit": 0}).status_code == 422
    assert shop_app.client.get("/orders/99999").status_code == 404


def test_pay_unknown_order_is_404_and_dead_provider_is_503(shop_app: ShopApp) -> None:
    assert shop_app.client.post("/orders/99999/pay").status_code == 404
    order = shop_app.client.post(
        "/orders", json={"customer_id": 2, "items": [{"product_id": 1, "quantity": 1}]}
    ).json()
    response = shop_app.client.post(f"/orders/{order['id']}/pay")
    assert response.status_code == 503
    assert response.json()["detail"].startswith("primary payment provider")
    assert shop_app.client.get(f"/orders/{order['id']}").json()["status"] == "pending"


# -- recommendations and the rest ------------------------------------------------
def test_recommendations_come_from_the_cache_the_second_time(shop_app: ShopApp) -> None:
    first = shop_app.client.get("/recommendations/8").json()
    assert first["cached"] is False and 1 <= len(first["items"]) <= 5
    second = shop_app.client.get("/recommendations/8").json()
    assert second["cached"] is True and second["items"] == first["items"]
    assert shop_app.client.get("/recommendations/99999").status_code == 404


def test_unknown_route_is_a_json_404(shop_app: ShopApp) -> None:
    response = shop_app.client.get("/nope")
    assert response.status_code == 404 and response.json() == {"detail": "Not Found"}
    assert shop_app.client.delete("/products/1").status_code == 405

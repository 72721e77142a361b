"""Releases differ for real: 1.1.0's regional pricing raises for some countries."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.conftest import ShopApp

BUGGY_COUNTRIES = ("BR", "IN", "JP", "ZA")


def _customer_in(shop_app: ShopApp, country: str) -> int:
    """A seeded customer from `country` (the seed spreads customers over 10 countries)."""
    for customer_id in range(1, 301):
        if shop_app.client.get(f"/customers/{customer_id}").json()["country"] == country:
            return customer_id
    raise AssertionError(f"the seed has no customer from {country}")


def _price_for(shop_app: ShopApp, product_id: int, customer_id: int) -> int:
    response = shop_app.client.get(f"/products/{product_id}", params={"customer_id": customer_id})
    assert response.status_code == 200, response.text
    price: int = response.json()["price_cents"]
    return price


@pytest.mark.parametrize("version", ["1.0.0", "1.1.1"])
def test_good_releases_serve_every_country(
    make_shop_app: Callable[..., ShopApp], version: str
) -> None:
    shop_app = make_shop_app(app_version=version)
    base = shop_app.client.get("/products/1").json()["price_cents"]
    for country in BUGGY_COUNTRIES:
        customer = _customer_in(shop_app, country)
        assert _price_for(shop_app, 1, customer) == base
        order = shop_app.client.post(
            "/orders", json={"customer_id": customer, "items": [{"product_id": 1, "quantity": 1}]}
        )
        assert order.status_code == 201
        assert shop_app.client.get(f"/recommendations/{customer}").status_code == 200
    gb_price = _price_for(shop_app, 1, _customer_in(shop_app, "GB"))
    assert gb_price == (round(base * 1.05) if version == "1.1.1" else base)


def test_release_1_1_0_fails_for_brazil_but_not_for_the_us(
    make_shop_app: Callable[..., ShopApp],
) -> None:
    shop_app = make_shop_app(app_version="1.1.0")
    brazil, us = _customer_in(shop_app, "BR"), _customer_in(shop_app, "US")
    base = shop_app.client.get("/products/1").json()["price_cents"]
    assert _price_for(shop_app, 1, us) == base
    item = [{"product_id": 1, "quantity": 1}]
    assert (
        shop_app.client.post("/orders", json={"customer_id": us, "items": item}).status_code == 201
    )
    failing = [
        shop_app.client.get("/products/1", params={"customer_id": brazil}),
        shop_app.client.post("/orders", json={"customer_id": brazil, "items": item}),
        shop_app.client.get(f"/recommendations/{brazil}"),
    ]
    for response in failing:
        assert response.status_code == 500
        assert response.json() == {"detail": "internal server error", "error": "KeyError"}
    # The catalog without a customer is untouched by the bug.
    assert shop_app.client.get("/products").status_code == 200
    errors = [
        json.loads(line)
        for line in shop_app.log_file.read_text().splitlines()
        if '"shop.error"' in line
    ]
    assert len(errors) == 3 and all("KeyError" in e["exception"] for e in errors)


def test_version_is_visible_to_operators(make_shop_app: Callable[..., ShopApp]) -> None:
    shop_app = make_shop_app(app_version="1.1.0")
    assert shop_app.client.get("/version").json() == {"version": "1.1.0"}
    assert shop_app.client.get("/healthz").json()["version"] == "1.1.0"
    assert 'app_build_info{version="1.1.0"} 1.0' in shop_app.client.get("/metrics").text

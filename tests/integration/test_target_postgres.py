"""The same shop code on PostgreSQL (psycopg 3), each test on a fresh database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from target_app.models import Product
from target_app.seed import prepare_database
from tests.conftest import RunningShop, fresh_postgres_database, start_running_shop
from tests.probes import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.postgres]
POOL_CAPACITY = 10


@pytest.fixture(scope="module")
def pg_database(postgres_url: str) -> Iterator[str]:
    with fresh_postgres_database(postgres_url) as url:
        yield url


@pytest.fixture(scope="module")
def pg_shop(pg_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningShop]:
    running = start_running_shop(tmp_path_factory.mktemp("pg_shop"), database_url=pg_database)
    try:
        yield running
    finally:
        running.stop()


def _eventually(predicate: Callable[[], bool], timeout_s: float) -> bool:
    return wait_until(predicate, timeout_s, interval_s=0.1)


def test_seed_is_the_same_shop_as_on_sqlite(postgres_database: str, tmp_path: Path) -> None:
    shops = []
    for url in (postgres_database, f"sqlite:///{tmp_path / 'same.db'}"):
        engine = create_engine(url)
        try:
            prepare_database(engine, seed=11, products=30, customers=10)
            with Session(engine) as session:
                query = select(Product.id, Product.name, Product.price_cents).order_by(Product.id)
                shops.append([tuple(row) for row in session.execute(query)])
        finally:
            engine.dispose()
    assert shops[0] == shops[1] and len(shops[0]) == 30


def test_order_and_pay_on_postgres(pg_shop: RunningShop) -> None:
    with pg_shop.client() as client:
        assert client.get("/readyz").status_code == 200
        assert [p["id"] for p in client.get("/products", params={"limit": 3}).json()] == [1, 2, 3]
        # New rows after the explicit-id seed: the sequences were advanced.
        customer = client.post(
            "/customers", json={"name": "Pg User", "email": "pg@example.org", "country": "SE"}
        )
        assert customer.status_code == 201, customer.text
        assert customer.json()["id"] == 301
        order = client.post(
            "/orders",
            json={
                "customer_id": customer.json()["id"],
                "items": [{"product_id": 2, "quantity": 2}],
            },
        )
        assert order.status_code == 201, order.text
        assert order.json()["created_at"].endswith("Z")
        paid = client.post(f"/orders/{order.json()['id']}/pay")
        assert paid.status_code == 200 and paid.json()["provider"] == "primary"
        assert client.get(f"/orders/{order.json()['id']}").json()["status"] == "paid"
        assert client.post(f"/orders/{order.json()['id']}/pay").status_code == 409
        duplicate = client.post(
            "/customers", json={"name": "Again", "email": "pg@example.org", "country": "SE"}
        )
        assert duplicate.status_code == 409


def test_pool_leak_holds_real_server_connections(pg_shop: RunningShop, pg_database: str) -> None:
    def idle_in_transaction() -> int:
        engine = create_engine(pg_database)
        try:
            with engine.connect() as conn:
                count = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND application_name = 'chaosdrill-shop'"
                        " AND state = 'idle in transaction'"
                    )
                ).scalar_one()
        finally:
            engine.dispose()
        return int(count)

    with pg_shop.chaos() as chaos, pg_shop.client() as client:
        chaos.put("/chaos/pool_leak", json={"connections": POOL_CAPACITY, "ttl_s": 30})
        assert _eventually(lambda: idle_in_transaction() == POOL_CAPACITY, 10)
        ready = client.get("/readyz")
        assert ready.status_code == 503 and "database" in ready.json()["failed"]
        assert chaos.delete("/chaos/pool_leak").json()["was_active"] is True
        assert _eventually(lambda: client.get("/readyz").status_code == 200, 5)
        assert _eventually(lambda: idle_in_transaction() == 0, 5)

"""A dead database gives 503 JSON within the configured timeout, never a hang.

SQLite "dead" here is a lock held by another connection (`BEGIN EXCLUSIVE`):
we run as root, so file permissions cannot lock the app out. PostgreSQL dead
is a port that accepts and never answers (a blackhole) or one that refuses.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from simulator.env.processes import free_port
from target_app.app import create_app
from target_app.config import Settings
from tests.conftest import LOOPBACK_CLIENT, ShopApp
from tests.probes import wait_until

pytestmark = pytest.mark.integration
NEW_CUSTOMER = {"name": "Locked Out", "email": "locked@example.org", "country": "US"}


def _exclusive_lock(shop_app: ShopApp) -> sqlite3.Connection:
    locker = sqlite3.connect(shop_app.db_path, isolation_level=None, timeout=5)
    locker.execute("BEGIN EXCLUSIVE")
    return locker


def _pool_idle(shop_app: ShopApp) -> bool:
    return "db_pool_checked_out 0.0" in shop_app.client.get("/metrics").text


def _eventually(predicate: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    return wait_until(predicate, timeout_s, interval_s=0.1)


def test_sqlite_locked_writes_get_503_after_the_db_timeout(
    make_shop_app: Callable[..., ShopApp],
) -> None:
    shop_app = make_shop_app(db_timeout_s=0.5, request_timeout_s=10)
    locker = _exclusive_lock(shop_app)
    try:
        assert shop_app.client.get("/products/1").status_code == 200  # WAL: reads go on
        started = time.monotonic()
        response = shop_app.client.post("/customers", json=NEW_CUSTOMER)
        elapsed = time.monotonic() - started
        assert response.status_code == 503
        assert response.json() == {"detail": "database unavailable", "error": "OperationalError"}
        # Waited the busy timeout, then gave up: the database's answer, not the
        # request budget's (10 s, which would say "request timed out").
        assert elapsed >= 0.5, elapsed
    finally:
        locker.rollback()
        locker.close()
    assert shop_app.client.post("/customers", json=NEW_CUSTOMER).status_code == 201


def test_request_timeout_answers_503_and_lets_the_handler_finish(
    make_shop_app: Callable[..., ShopApp],
) -> None:
    # The database would make the write wait 3 s; the request budget is 0.5 s.
    shop_app = make_shop_app(db_timeout_s=3.0, request_timeout_s=0.5)
    locker = _exclusive_lock(shop_app)
    try:
        response = shop_app.client.post("/customers", json=NEW_CUSTOMER)
        assert response.status_code == 503
        # The budget answered, not the database's 3 s busy timeout ("database unavailable").
        assert response.json() == {"detail": "request timed out", "timeout_s": 0.5}
        assert 'status="503"' in shop_app.client.get("/metrics").text
    finally:
        locker.rollback()
        locker.close()
    # The abandoned handler ends by itself and gives its connection back; its
    # session was not closed under its feet (no IllegalStateChangeError).
    assert _eventually(lambda: _pool_idle(shop_app))
    log = shop_app.log_file.read_text()
    assert "IllegalStateChange" not in log
    assert shop_app.client.post("/customers", json=NEW_CUSTOMER).status_code in (201, 409)


def _postgres_app(port: int) -> TestClient:
    settings = Settings(
        database_url=f"postgresql+psycopg://shop:shop@127.0.0.1:{port}/shop",
        db_timeout_s=1.0,
        log_stdout=False,
        payment_provider_url=f"http://127.0.0.1:{free_port()}",
    )
    # No lifespan: there is no database to prepare; the app must still answer.
    return TestClient(create_app(settings), client=LOOPBACK_CLIENT)


def test_postgres_blackhole_gets_503_within_the_connect_timeout(blackhole_port: int) -> None:
    client = _postgres_app(blackhole_port)
    started = time.monotonic()
    response = client.get("/products/1")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json()["detail"] == "database unavailable"
    # libpq's minimum connect timeout is 2 s; the answer is the database's, not
    # the 5 s request budget's ("request timed out").
    assert elapsed >= 1.5, elapsed
    for _ in range(2):
        ready = client.get("/readyz").json()
        assert "database" in ready["failed"]
        # Answered within the readiness budget, not after the 2 s connect timeout.
        assert "no answer within" in ready["checks"]["database"], ready
    probes = [t for t in threading.enumerate() if t.name == "probe-database"]
    assert len(probes) <= 1  # a hung check is reported, not stacked


def test_postgres_refused_gets_503_at_once() -> None:
    client = _postgres_app(free_port())
    response = client.post("/customers", json=NEW_CUSTOMER)
    assert response.status_code == 503
    assert response.json()["detail"] == "database unavailable"
    ready = client.get("/readyz").json()
    assert "database" in ready["failed"] and "refused" in ready["checks"]["database"]

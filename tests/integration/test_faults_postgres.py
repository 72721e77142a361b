"""Database faults and remediations against a real PostgreSQL behind the chaos proxy."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from simulator.faults.manager import FaultManager
from simulator.remediation.apply import apply
from tests.integration.faults_env import (
    current,
    eventually,
    healthy,
    new_order,
    start_env,
    status_of,
    stop_env,
)

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """A fresh database on the server named by TEST_POSTGRES_URL, dropped afterwards."""
    base = os.environ.get("TEST_POSTGRES_URL")
    if not base:
        pytest.fail(
            "TEST_POSTGRES_URL is not set; run `make system` (or .ci/system-setup) "
            "and `. .ci/system-env`"
        )
    url = make_url(base)
    name = f"chaosdrill_faults_{uuid.uuid4().hex[:8]}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
            )
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.fixture(scope="module")
def env_dir(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Path]:
    state_dir = tmp_path_factory.mktemp("pgenv")
    start_env(state_dir, database_url=database_url)
    try:
        yield state_dir
    finally:
        stop_env(state_dir)


@pytest.fixture
def faults(env_dir: Path) -> Iterator[FaultManager]:
    manager = FaultManager(env_dir)
    assert eventually(lambda: healthy(env_dir), 20)
    yield manager
    manager.revert_all(reason="teardown")
    assert eventually(lambda: healthy(env_dir), 30)


def shop(env_dir: Path) -> str:
    return current(env_dir).shop.url


def test_the_shop_reaches_postgres_through_the_proxy(env_dir: Path) -> None:
    state = current(env_dir)
    assert state.database_kind == "postgres"
    assert state.proxies["database"].listen.split(":")[1] in state.database_url
    assert new_order(shop(env_dir)) == 201


def test_db_down_gives_503_fast_and_restore_ends_it(env_dir: Path, faults: FaultManager) -> None:
    entry = faults.inject("db.down", {}, ttl_s=120)
    # A 503 (not a ReadTimeout at 10 s) is the database timeouts answering.
    assert status_of(f"{shop(env_dir)}/products", timeout=10) == 503
    assert status_of(f"{shop(env_dir)}/readyz") == 503
    result = apply(env_dir, "db.restore")
    assert [e.id for e in result.ended] == [entry.id]
    assert eventually(lambda: status_of(f"{shop(env_dir)}/products") == 200, 15)


def test_db_latency_slows_every_query(env_dir: Path, faults: FaultManager) -> None:
    url = f"{shop(env_dir)}/products/5"
    start = time.perf_counter()
    assert status_of(url) == 200
    fast = time.perf_counter() - start
    entry = faults.inject("db.latency", {"ms": 400}, ttl_s=120)
    start = time.perf_counter()
    assert status_of(url, timeout=10) in (200, 503)
    assert time.perf_counter() - start >= fast + 0.35
    faults.revert(entry.id)


def test_db_lock_is_a_long_query_that_kill_long_queries_ends(
    env_dir: Path, faults: FaultManager
) -> None:
    entry = faults.inject("db.lock", {}, ttl_s=120)
    assert new_order(shop(env_dir)) == 503, "writes wait for the lock, then fail"
    assert status_of(f"{shop(env_dir)}/products") == 200, "reads go on"
    direct = current(env_dir).database_direct_url
    assert direct is not None
    with psycopg.connect(direct.replace("+psycopg", ""), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT query FROM pg_stat_activity WHERE state = 'active' "
            "AND query LIKE 'SELECT pg_sleep%%'"
        ).fetchall()
    assert rows, "the long-running query is visible to an operator"
    assert apply(env_dir, "service.restart").ended == []
    assert new_order(shop(env_dir)) == 503, "a restart does not release another session's lock"
    time.sleep(5.5)  # the query must have run for longer than the action's threshold
    result = apply(env_dir, "db.kill_long_queries")
    assert "terminated" in result.detail
    assert [e.id for e in result.ended] == [entry.id]
    assert eventually(lambda: new_order(shop(env_dir)) == 201, 10)


def test_pool_exhaustion_on_postgres(env_dir: Path, faults: FaultManager) -> None:
    faults.inject("db.pool_exhaustion", {}, ttl_s=120)
    assert eventually(lambda: status_of(f"{shop(env_dir)}/readyz") == 503, 10)
    assert [e.kind for e in apply(env_dir, "service.restart").ended] == ["db.pool_exhaustion"]


# Last: after a failover the shop stays on the replica path.
def test_db_down_ends_with_failover_to_the_replica(env_dir: Path, faults: FaultManager) -> None:
    entry = faults.inject("db.down", {}, ttl_s=120)
    assert status_of(f"{shop(env_dir)}/products", timeout=10) == 503
    result = apply(env_dir, "db.failover_to_replica")
    assert [e.id for e in result.ended] == [entry.id]
    state = current(env_dir)
    assert state.database_url == state.database_replica_url
    assert status_of(f"{shop(env_dir)}/products") == 200

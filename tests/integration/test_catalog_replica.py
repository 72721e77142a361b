"""Catalog pages served from the drill's real standby go stale while its replay is
paused, and only the right fix makes them current again.

With `catalog_reads="replica"` the shop reads its catalog (list, search, one
product) through the database-replica proxy, which points at the streaming
standby. The witness is a plain HTTP client on the shop and psycopg on the
primary's port read from state.json: a price and stock change committed on the
primary shows on the catalog page while replay runs; with `db.replica_lag`
(replay_paused) it does not, a shop restart (a wrong fix) changes nothing, and
`db.replica_resume` brings it. The fault journal says the same as the witness.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from simulator.env.lifecycle import OWN_CLUSTER, EnvOptions
from simulator.faults.manager import FaultManager
from simulator.platform.environment import down, up
from simulator.remediation.apply import apply
from target_app.app import build_shop
from target_app.config import Settings
from tests.integration.faults_env import eventually

pytestmark = [pytest.mark.integration, pytest.mark.postgres]
PRODUCT = 7
STALE_FOR_S = 3.0  # how long the witness keeps seeing the old row (bounded reads)


@pytest.fixture(scope="module")
def env_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    state_dir = tmp_path_factory.mktemp("catalog-replica")
    up(EnvOptions(state_dir=state_dir, database_url=OWN_CLUSTER, catalog_reads="replica"))
    try:
        yield state_dir
    finally:
        down(state_dir)


def _state(state_dir: Path) -> dict[str, object]:
    state: dict[str, object] = json.loads((state_dir / "state.json").read_text())
    return state


def shop(state_dir: Path) -> str:
    services: dict[str, dict[str, object]] = _state(state_dir)["services"]  # type: ignore[assignment]
    return f"http://127.0.0.1:{services['shop']['port']}"


def write_on_primary(state_dir: Path, price: int, stock: int) -> None:
    pg: dict[str, object] = _state(state_dir)["pg"]  # type: ignore[assignment]
    nodes: dict[str, dict[str, object]] = pg["nodes"]  # type: ignore[assignment]
    port = nodes[str(pg["serving"])]["port"]
    dsn = f"host=127.0.0.1 port={port} user=chaosdrill dbname=chaosdrill"
    with psycopg.connect(dsn, connect_timeout=3, autocommit=True) as conn:
        conn.execute(
            "UPDATE products SET price_cents = %s, stock = %s WHERE id = %s",
            (price, stock, PRODUCT),
        )


def pages(url: str) -> list[tuple[int, int]]:
    """(price, stock) of the product on each catalog page that lists it."""
    with httpx.Client(timeout=5.0) as client:
        one = client.get(f"{url}/products/{PRODUCT}").json()
        listed = client.get(f"{url}/products", params={"limit": 20}).json()
        found = client.get(f"{url}/products/search", params={"q": one["name"]}).json()
    rows = [one, *(r for r in listed + found if r["id"] == PRODUCT)]
    return [(int(r["price_cents"]), int(r["stock"])) for r in rows]


def shows(url: str, price: int, stock: int) -> bool:
    return all(row == (price, stock) for row in pages(url))


def stays_stale(url: str, price: int, stock: int) -> bool:
    """The new row appears on no catalog page for STALE_FOR_S (a bounded number of reads)."""
    deadline = time.monotonic() + STALE_FOR_S
    for _ in range(40):
        if any(row == (price, stock) for row in pages(url)):
            return False
        if time.monotonic() > deadline:
            return True
        time.sleep(0.2)
    return True


def test_catalog_pages_go_stale_while_replay_is_paused(env_dir: Path) -> None:
    url = shop(env_dir)
    assert "TARGET_CATALOG_READ_URL" in _state(env_dir)["services"]["shop"]["env"]  # type: ignore[index]
    write_on_primary(env_dir, 12_345, 77)  # replay running: the page follows the primary
    assert eventually(lambda: shows(url, 12_345, 77), 20), pages(url)

    manager = FaultManager(env_dir)
    entry = manager.inject("db.replica_lag", {"mode": "replay_paused"}, ttl_s=300)
    write_on_primary(env_dir, 23_456, 5)
    assert stays_stale(url, 23_456, 5), "a paused standby serves the old price and stock"
    assert set(pages(url)) == {(12_345, 77)}

    apply(env_dir, "service.restart", None)  # wrong fix: the shop was never the problem
    assert eventually(lambda: httpx.get(f"{url}/products/1", timeout=3).status_code == 200, 30)
    assert stays_stale(url, 23_456, 5), "restarting the shop leaves the pages stale"
    assert entry.id in {e.id for e in manager.active()}

    result = apply(env_dir, "db.replica_resume", None)
    assert entry.id in {e.id for e in result.ended}
    assert eventually(lambda: shows(url, 23_456, 5), 20), pages(url)
    assert not manager.active()


def test_the_default_reads_the_catalog_from_the_primary(tmp_path: Path) -> None:
    """Without the option nothing changes: no catalog read URL for the shop."""
    shop_ = build_shop(Settings(database_url=f"sqlite:///{tmp_path / 'shop.db'}"))
    try:
        assert shop_.catalog_reads is shop_.engine
    finally:
        shop_.engine.dispose()

"""The drill's streaming standby, witnessed from outside with psycopg on the ports
state.json lists: it really replicates, falls behind when its replay is paused or its
WAL stream is cut, catches up when resumed, and a failover to it loses exactly the
orders that the cut stream never carried — the count the failover reports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from simulator.env.lifecycle import OWN_CLUSTER
from simulator.faults.manager import FaultManager
from simulator.remediation.apply import apply
from tests.integration.faults_env import eventually, start_env, stop_env
from tests.integration.test_pitr import cluster_record, place, port_open, shop_url

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def node_port(state_dir: Path, name: str) -> int:
    nodes: dict[str, dict[str, object]] = cluster_record(state_dir)["nodes"]  # type: ignore[assignment]
    return int(str(nodes[name]["port"]))


def query(port: int, sql: str) -> list[tuple[object, ...]]:
    dsn = f"host=127.0.0.1 port={port} user=chaosdrill dbname=chaosdrill"
    with psycopg.connect(dsn, connect_timeout=3) as conn:
        return conn.execute(sql).fetchall()


def order_ids(port: int) -> set[int]:
    return {int(str(r[0])) for r in query(port, "SELECT id FROM orders")}


@pytest.fixture(scope="module")
def env_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    state_dir = tmp_path_factory.mktemp("standby")
    start_env(state_dir, database_url=OWN_CLUSTER)
    try:
        yield state_dir
    finally:
        stop_env(state_dir)


def test_standby_lags_catches_up_and_failover_loses_the_unstreamed_writes(env_dir: Path) -> None:
    url = shop_url(env_dir)
    primary, standby = node_port(env_dir, "primary"), node_port(env_dir, "standby")
    assert query(standby, "SELECT pg_is_in_recovery()") == [(True,)]
    assert query(primary, "SELECT application_name, state FROM pg_stat_replication") == [
        ("standby", "streaming")
    ]
    first = place(url, 3)
    assert eventually(lambda: set(first) <= order_ids(standby), timeout_s=20)
    manager = FaultManager(env_dir)

    # Replay paused: the standby receives WAL but serves stale data until resumed.
    paused = manager.inject("db.replica_lag", {"mode": "replay_paused"}, ttl_s=120)
    stale = place(url, 2)
    assert not eventually(lambda: set(stale) <= order_ids(standby), timeout_s=2)
    assert query(standby, "SELECT pg_is_wal_replay_paused()") == [(True,)]
    result = apply(env_dir, "db.replica_resume")
    assert [e.id for e in result.ended] == [paused.id]
    assert eventually(lambda: set(stale) <= order_ids(standby), timeout_s=20)

    # Stream cut: writes from now on exist only on the primary.
    manager.inject("db.replica_lag", {"mode": "stream_cut"}, ttl_s=120)
    assert eventually(
        lambda: not query(primary, "SELECT 1 FROM pg_stat_replication WHERE state = 'streaming'"),
        timeout_s=20,
    )
    unstreamed = place(url, 4)
    assert set(unstreamed) <= order_ids(primary)
    assert not eventually(lambda: bool(set(unstreamed) & order_ids(standby)), timeout_s=2)

    result = apply(env_dir, "db.failover_to_replica")
    assert result.measured["lost_orders"] == len(unstreamed) == 4
    assert query(standby, "SELECT pg_is_in_recovery()") == [(False,)]
    survived = order_ids(standby)
    assert set(first) | set(stale) <= survived and not set(unstreamed) & survived
    assert not port_open(primary), "the old primary is fenced"
    after = place(url, 1)
    assert set(after) <= order_ids(standby), "the shop writes to the promoted standby"

"""Data loss on the drill's own PostgreSQL cluster, witnessed from outside.

A plain client (psycopg on the cluster's port read from state.json, and plain HTTP on
the shop) sees a bad migration really delete orders, sees a restart bring nothing
back, sees an impossible restore target refused with nothing changed, and sees a
point-in-time restore bring back every deleted order while losing exactly the orders
written after the target — the count the restore reports as lost (the RPO).
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import pytest

from simulator.env.lifecycle import OWN_CLUSTER
from simulator.faults.errors import FaultError
from simulator.faults.manager import FaultManager
from simulator.remediation.apply import apply
from tests.integration.faults_env import eventually, start_env, stop_env

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def cluster_record(state_dir: Path) -> dict[str, object]:
    """The cluster as state.json lists it (the witness reads the file, not our models)."""
    pg: dict[str, object] = json.loads((state_dir / "state.json").read_text())["pg"]
    return pg


def serving_port(state_dir: Path) -> int:
    pg = cluster_record(state_dir)
    nodes: dict[str, dict[str, object]] = pg["nodes"]  # type: ignore[assignment]
    return int(str(nodes[str(pg["serving"])]["port"]))


def orders(state_dir: Path) -> dict[int, tuple[str, int]]:
    """Every order's status and total, straight from the serving PostgreSQL server."""
    dsn = f"host=127.0.0.1 port={serving_port(state_dir)} user=chaosdrill dbname=chaosdrill"
    with psycopg.connect(dsn, connect_timeout=3) as conn:
        rows = conn.execute("SELECT id, status, total_cents FROM orders").fetchall()
    return {int(r[0]): (str(r[1]), int(r[2])) for r in rows}


def shop_url(state_dir: Path) -> str:
    state = json.loads((state_dir / "state.json").read_text())
    return f"http://127.0.0.1:{state['services']['shop']['port']}"


def place(url: str, n: int, *, pay_every: int = 0) -> list[int]:
    ids = []
    with httpx.Client(timeout=8.0) as client:
        for i in range(n):
            body = {"customer_id": 1 + i % 20, "items": [{"product_id": 1 + i % 40, "quantity": 1}]}
            response = client.post(f"{url}/orders", json=body)
            assert response.status_code == 201, response.text
            order_id = int(response.json()["id"])
            if pay_every and i % pay_every == 0:
                assert client.post(f"{url}/orders/{order_id}/pay").status_code in (200, 402)
            ids.append(order_id)
    return ids


def audit_time(state_dir: Path) -> datetime:
    """When the migration's DELETE began, from the server's statement log (log_statement=mod)
    — what a responder reads to choose the restore target."""
    pg = cluster_record(state_dir)
    log = Path(str(pg["root"])) / "logs" / "primary.log"
    for line in log.read_text().splitlines():
        if "app=migrate-" in line and "DELETE FROM payments" in line:
            stamp = re.match(r"(\S+ \S+) UTC", line)
            assert stamp, line
            return datetime.fromisoformat(stamp.group(1)).replace(tzinfo=UTC)
    raise AssertionError(f"no migration statement in {log}")


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def env_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    state_dir = tmp_path_factory.mktemp("pitr")
    start_env(state_dir, database_url=OWN_CLUSTER)
    try:
        yield state_dir
    finally:
        stop_env(state_dir)


def test_bad_migration_restart_restore_and_teardown(env_dir: Path) -> None:
    url = shop_url(env_dir)
    pg = cluster_record(env_dir)
    assert pg["backups"], "a base backup is taken after the shop seeded its database"
    place(url, 30, pay_every=3)
    witness = orders(env_dir)
    pending = {i for i, (status, _) in witness.items() if status == "pending"}
    assert len(pending) >= 10

    manager = FaultManager(env_dir)
    entry = manager.inject("data.bad_migration", {"scope": "pending", "lock_s": 0}, ttl_s=300)
    after_damage = orders(env_dir)
    assert pending.isdisjoint(after_damage), "the migration really deleted the pending orders"
    assert set(after_damage) == set(witness) - pending
    gone = min(pending)
    assert httpx.get(f"{url}/orders/{gone}", timeout=5).status_code == 404

    late = place(url, 3)  # acknowledged after the damage: a restore before it loses them

    # A wrong fix: restarting the shop brings no row back and ends nothing.
    apply(env_dir, "service.restart")
    assert pending.isdisjoint(orders(env_dir))
    assert manager.active() and manager.active()[0].id == entry.id

    # Impossible targets are refused in one sentence, and nothing changes.
    port = serving_port(env_dir)
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    with pytest.raises(FaultError, match="in the future; nothing changed"):
        apply(env_dir, "db.restore", future)
    with pytest.raises(FaultError, match="before any base backup"):
        apply(env_dir, "db.restore", "2001-01-01T00:00:00Z")
    assert serving_port(env_dir) == port and pending.isdisjoint(orders(env_dir))

    # A restore to a time after the damage replays the DELETE too: the rows stay
    # missing, the action says so, and the fault stays open.
    with pytest.raises(FaultError, match="still missing"):
        apply(env_dir, "db.restore", datetime.now(UTC).isoformat())
    assert serving_port(env_dir) != port
    port = serving_port(env_dir)
    assert pending.isdisjoint(orders(env_dir)) and set(late) <= set(orders(env_dir))
    assert [e.id for e in manager.active()] == [entry.id]

    # The real fix: restore to the instant the migration began.
    result = apply(env_dir, "db.restore", audit_time(env_dir).isoformat())
    restored = orders(env_dir)
    assert serving_port(env_dir) != port
    assert {i: witness[i] for i in pending} == {i: restored[i] for i in pending}
    assert set(late).isdisjoint(restored), "writes after the target are lost"
    assert result.measured["lost_orders"] == len(late) == 3
    assert result.measured["restored_orders"] == len(pending)
    assert result.measured["still_missing"] == 0
    assert [e.id for e in result.ended] == [entry.id]
    assert eventually(
        lambda: httpx.get(f"{url}/orders/{gone}", timeout=5).status_code == 200, timeout_s=30
    ), "the shop serves the restored order again"
    assert place(url, 1), "the shop takes new orders on the restored database"

    # Teardown leaves no server, port or file of the cluster behind.
    root = Path(str(cluster_record(env_dir)["root"]))
    ports = [int(str(n["port"])) for n in cluster_record(env_dir)["nodes"].values()]  # type: ignore[attr-defined]
    stop_env(env_dir)
    assert not root.exists()
    assert not any(port_open(p) for p in ports)


def test_kill_9_mid_restore_leaves_no_cluster_or_port(tmp_path: Path) -> None:
    """A restore killed at any point: taking the environment down still stops every
    server of the cluster (also the one the record did not list yet) and removes it."""
    state_dir = tmp_path / "env"
    start_env(state_dir, database_url=OWN_CLUSTER)
    try:
        place(shop_url(state_dir), 5)
        target = datetime.now(UTC).isoformat()
        code = (
            "import sys; from simulator.remediation.apply import apply; "
            "apply(__import__('pathlib').Path(sys.argv[1]), 'db.restore', sys.argv[2])"
        )
        restoring = subprocess.Popen([sys.executable, "-c", code, str(state_dir), target])
        assert eventually(
            lambda: (
                (Path(str(cluster_record(state_dir)["root"])) / "nodes" / "restore-1").exists()
                or restoring.poll() is not None
            ),
            timeout_s=60,
            interval_s=0.02,
        )
        restoring.kill()
        restoring.wait(timeout=10)
        root = Path(str(cluster_record(state_dir)["root"]))
    finally:
        stop_env(state_dir)
    assert not root.exists()
    assert not [p for p in postmasters() if str(root) in p]


def postmasters() -> list[str]:
    """The command lines of every running PostgreSQL server on this machine."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "postgres" in cmdline and " -D " in cmdline:
            found.append(cmdline)
    return found

"""The canary witness of lost data, on the drill's own PostgreSQL cluster.

Canary orders go to the shop over plain HTTP (the load's canary writer, in a thread
here) and are journalled when acknowledged; a restore to a point between them loses
the later ones. The test's own psycopg count of the journal's canaries missing from
the serving database must equal the outside check (`canary.checked`'s numbers), the
restore's own lost count, data.verify's canary coverage; users.notify must tell
exactly the customers of the lost canaries.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from simulator.env.lifecycle import OWN_CLUSTER
from simulator.load.canary import write_canaries
from simulator.pgcluster.canary import check, journal_of
from simulator.remediation.apply import apply
from tests.integration.faults_env import current, start_env, stop_env

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def write(url: str, journal: Path, n: int) -> None:
    """n canaries, a tenth of a second apart (the drill writes one a second)."""
    stop = threading.Event()
    runner = threading.Thread(
        target=write_canaries,
        args=(url, journal, stop.is_set),
        kwargs={"interval_s": 0.1, "max_count": n},
    )
    runner.start()
    runner.join(timeout=60)
    stop.set()
    assert not runner.is_alive()


def witness_lost(state_dir: Path, journal: Path) -> set[int]:
    """The ids of acknowledged canaries the serving database lacks or holds changed,
    read with a plain client: the journal's JSON lines and psycopg."""
    pg = json.loads((state_dir / "state.json").read_text())["pg"]
    port = pg["nodes"][pg["serving"]]["port"]
    acked = [json.loads(line) for line in journal.read_text().splitlines()]
    acked = [a for a in acked if a["status"] == 201]
    dsn = f"host=127.0.0.1 port={port} user=chaosdrill dbname=chaosdrill"
    lost = set()
    with psycopg.connect(dsn, connect_timeout=3) as conn:
        for a in acked:
            row = conn.execute(
                "SELECT customer_id, total_cents FROM orders WHERE id = %s", (a["id"],)
            ).fetchone()
            if row is None or (row[0], row[1]) != (a["customer_id"], a["total_cents"]):
                lost.add(a["id"])
    return lost


@pytest.fixture
def env_dir(tmp_path: Path) -> Iterator[Path]:
    state_dir = tmp_path / "env"
    start_env(state_dir, database_url=OWN_CLUSTER)
    try:
        yield state_dir
    finally:
        stop_env(state_dir)


def test_canaries_witness_the_restore_loss_and_notify_tells_their_customers(
    env_dir: Path,
) -> None:
    state = current(env_dir)
    assert state.pg is not None
    journal = journal_of(state.pg.root)
    url = state.shop.url
    write(url, journal, 8)
    time.sleep(0.3)
    target = datetime.now(UTC)
    time.sleep(0.3)
    write(url, journal, 6)
    assert witness_lost(env_dir, journal) == set(), "nothing lost before the restore"

    restore = apply(env_dir, "db.restore", target.isoformat())
    lost = witness_lost(env_dir, journal)
    # Only the canaries wrote orders here: what the restore lost is what the canaries lost.
    assert len(lost) == 6 == restore.measured["lost_orders"]
    assert set(restore.measured["lost_ids"]) == lost
    state = current(env_dir)
    assert state.pg is not None
    outside = check(state.pg.primary, journal)
    assert (outside["acknowledged"], outside["lost"]) == (14, 6)
    assert set(outside["lost_ids"]) == lost

    verify = apply(env_dir, "data.verify")
    canary = verify.measured["integrity"]["canary"]
    assert (canary["acknowledged"], canary["intact"], canary["lost"]) == (14, 8, 6)
    assert verify.measured["integrity"]["passed"], "lost canaries are the RPO, not corruption"

    # A second restore to the same target loses the orders written since the first one.
    write(url, journal, 3)
    second = apply(env_dir, "db.restore", target.isoformat())
    assert second.measured["lost_orders"] == 3
    state = current(env_dir)
    assert state.pg is not None
    assert check(state.pg.primary, journal)["lost"] == len(witness_lost(env_dir, journal)) == 9

    notified = apply(env_dir, "users.notify")
    customers = {
        a["customer_id"]
        for a in map(json.loads, journal.read_text().splitlines())
        if a["status"] == 201 and a["id"] in witness_lost(env_dir, journal)
    }
    assert set(notified.measured["notified_customers"]) == customers
    assert notified.measured["notified"] == len(customers)


def serving_dsn(state_dir: Path) -> str:
    pg = json.loads((state_dir / "state.json").read_text())["pg"]
    port = pg["nodes"][pg["serving"]]["port"]
    return f"host=127.0.0.1 port={port} user=chaosdrill dbname=chaosdrill"


def test_restore_before_a_transaction_id_undoes_exactly_that_transaction(env_dir: Path) -> None:
    state = current(env_dir)
    assert state.pg is not None
    journal = journal_of(state.pg.root)
    write(state.shop.url, journal, 5)
    with psycopg.connect(serving_dsn(env_dir), connect_timeout=3) as conn:
        doomed = [r[0] for r in conn.execute("SELECT id FROM orders ORDER BY id LIMIT 4")]
        row = conn.execute("SELECT pg_current_xact_id()::text").fetchone()
        assert row is not None
        xid = int(row[0])
        conn.execute("DELETE FROM payments WHERE order_id = ANY(%s)", (doomed,))
        conn.execute("DELETE FROM order_items WHERE order_id = ANY(%s)", (doomed,))
        conn.execute("DELETE FROM orders WHERE id = ANY(%s)", (doomed,))
    write(state.shop.url, journal, 3)  # after the damage: a restore before it loses these
    port = serving_dsn(env_dir)
    for wrong, says in ((xid + 10_000, "has not happened yet"), (3, "before any base backup")):
        with pytest.raises(Exception, match=says):
            apply(env_dir, "db.restore", f"--before-xid {wrong}")
        assert serving_dsn(env_dir) == port, "a refused target changes nothing"

    done = apply(env_dir, "db.restore", f"--before-xid {xid}")
    with psycopg.connect(serving_dsn(env_dir), connect_timeout=3) as conn:
        back = {r[0] for r in conn.execute("SELECT id FROM orders WHERE id = ANY(%s)", (doomed,))}
    assert back == set(doomed), "the deleting transaction is undone"
    assert done.measured["restore_target"] == f"before xid {xid}"
    assert done.measured["lost_orders"] == 3 == len(witness_lost(env_dir, journal))

"""Point-in-time restore of the drill's own cluster: how long a base backup and a
restore take against the database's size and the WAL written since the backup.

For each size a fresh cluster (simulator.pgcluster) gets the shop's schema and N
orders (one item each), a base backup, then R rounds of an UPDATE of every order
(each round writes about the table's size in WAL), one marker row, and a restore to
just before the marker: copy the backup, replay the archived WAL, promote. The
restored database is checked (N orders, the marker absent).

Run: `.venv/bin/python bench/pitr_restore.py [--sizes 1000 10000 100000] [--rounds 0 3]`
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine

from simulator.env.processes import free_port
from simulator.pgcluster import backup
from simulator.pgcluster import cluster as pg
from simulator.pgcluster.restore import restore
from target_app.models import Base

SEED = """
INSERT INTO customers (id, name, email, country, created_at)
  SELECT i, 'c' || i, 'c' || i || '@example.com', 'US', now() FROM generate_series(1, 100) i;
INSERT INTO products (id, sku, name, description, category, price_cents, currency, stock)
  SELECT i, 'sku' || i, 'p' || i, 'd', 'books', 1000 + i, 'USD', 1000000
  FROM generate_series(1, 50) i;
INSERT INTO orders (id, customer_id, status, total_cents, currency, created_at)
  SELECT i, 1 + i % 100, 'pending', 1000 + i % 50, 'USD', now() FROM generate_series(1, {n}) i;
INSERT INTO order_items (id, order_id, product_id, quantity, unit_price_cents)
  SELECT i, i, 1 + i % 50, 1, 1000 + i % 50 FROM generate_series(1, {n}) i;
"""


def one(size: int, rounds: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-pitr-") as tmp:
        cluster = pg.create(Path(tmp), free_port())
        try:
            node = cluster.primary
            pg.start(cluster, node)
            pg.create_database(node)
            engine = create_engine(node.url)
            Base.metadata.create_all(engine)
            engine.dispose()
            with pg.connect(node) as conn:
                conn.execute(SEED.format(n=size).encode())
            base = backup.take(cluster)
            with pg.connect(node) as conn:
                for _ in range(rounds):
                    conn.execute("UPDATE orders SET total_cents = total_cents + 1")
                time.sleep(0.05)
                target = datetime.now(UTC)
                time.sleep(0.05)
                conn.execute(
                    "INSERT INTO orders (id, customer_id, status, total_cents, currency, "
                    "created_at) VALUES (-1, 1, 'marker', 0, 'USD', now())"
                )
            done = restore(cluster, target, free_port())
            with pg.connect(done.node) as conn:
                row = conn.execute(
                    "SELECT count(*), count(*) FILTER (WHERE id = -1) FROM orders"
                ).fetchone()
            assert row == (size, 0), f"restored {row}, expected ({size}, 0)"
            return {
                "orders": size,
                "rounds": rounds,
                "backup_s": base.seconds,
                "backup_mb": base.bytes / 1e6,
                "wal_mb": done.wal_bytes / 1e6,
                "restore_s": done.seconds,
            }
        finally:
            pg.destroy(cluster)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--rounds", type=int, nargs="+", default=[0, 3])
    args = parser.parse_args()
    table = Table(title="point-in-time restore of the drill's own cluster")
    for name in ("orders", "WAL rounds", "base backup", "backup MB", "WAL archive MB", "restore"):
        table.add_column(name, justify="right")
    for size in args.sizes:
        for rounds in args.rounds:
            r = one(size, rounds)
            table.add_row(
                f"{size:,}",
                str(rounds),
                f"{r['backup_s']:.2f} s",
                f"{r['backup_mb']:.0f}",
                f"{r['wal_mb']:.0f}",
                f"{r['restore_s']:.2f} s",
            )
    Console().print(table)


if __name__ == "__main__":
    main()

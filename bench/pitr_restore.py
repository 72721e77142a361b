"""Point-in-time restore of the drill's own cluster: how long a base backup and a
restore take against the database's size and the WAL written since the backup.

For each size a fresh cluster (simulator.pgcluster) gets the shop's schema and N
orders (one item each), a base backup, then R rounds of an UPDATE of every order
(each round writes about the table's size in WAL), one marker row, and a restore to
just before the marker: copy the backup, replay the archived WAL, promote. The
restored database is checked (N orders, the marker absent).

The second axis, minutes of WAL (`--wal-minutes`), starts from 10,000 orders and
writes what the drill's load writes per minute: `--rate` checkouts a second (an
order, its item, its payment status, the product's stock), committed one simulated
second per transaction. The minutes are simulated: the server takes them as fast as
it can, so the WAL is a real minute's worth at that rate, written in seconds.

"WAL replayed" is the WAL the writes after the base backup generated up to the
target, which the restore replays (pg_stat_wal's wal_bytes, so without the unused
tails of switched segments); "WAL archive" is the archive's whole 16 MB segments
when the restore began (the base backup's own included).

Run: `.venv/bin/python bench/pitr_restore.py [--sizes 1000 10000 100000] [--rounds 0 3]
[--wal-minutes 1 3 5] [--rate 20]`
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
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


# One simulated second of the load: `rate` checkouts (order, item, paid, stock).
SECOND = """
INSERT INTO orders (id, customer_id, status, total_cents, currency, created_at)
  SELECT i, 1 + i % 100, 'pending', 1000 + i % 50, 'USD', now()
  FROM generate_series({first}, {last}) i;
INSERT INTO order_items (id, order_id, product_id, quantity, unit_price_cents)
  SELECT i, i, 1 + i % 50, 1, 1000 + i % 50 FROM generate_series({first}, {last}) i;
UPDATE orders SET status = 'paid' WHERE id BETWEEN {first} AND {last};
UPDATE products SET stock = stock - 1 WHERE id IN (SELECT 1 + i % 50
  FROM generate_series({first}, {last}) i);
"""


def wal_written(conn: psycopg.Connection[tuple[Any, ...]]) -> int:
    """The WAL bytes the server generated so far (this session's flushed first)."""
    conn.execute("SELECT pg_stat_force_next_flush()")
    row = conn.execute("SELECT wal_bytes FROM pg_stat_wal").fetchone()
    return int(row[0]) if row else 0


def one(size: int, rounds: int, minutes: int = 0, rate: int = 0) -> dict[str, float]:
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
                before = wal_written(conn)
                for _ in range(rounds):
                    conn.execute("UPDATE orders SET total_cents = total_cents + 1")
                for second in range(minutes * 60):
                    first = size + 1 + second * rate
                    conn.execute(SECOND.format(first=first, last=first + rate - 1).encode())
                time.sleep(0.05)
                target = datetime.now(UTC)
                time.sleep(0.05)
                conn.execute(
                    "INSERT INTO orders (id, customer_id, status, total_cents, currency, "
                    "created_at) VALUES (-1, 1, 'marker', 0, 'USD', now())"
                )
                replayed = wal_written(conn) - before
            done = restore(cluster, target, free_port())
            with pg.connect(done.node) as conn:
                row = conn.execute(
                    "SELECT count(*), count(*) FILTER (WHERE id = -1) FROM orders"
                ).fetchone()
            expected = size + minutes * 60 * rate
            assert row == (expected, 0), f"restored {row}, expected ({expected}, 0)"
            return {
                "orders": size,
                "rounds": rounds,
                "replayed_mb": replayed / 1e6,
                "backup_s": base.seconds,
                "backup_mb": base.bytes / 1e6,
                "wal_mb": done.wal_bytes / 1e6,
                "restore_s": done.seconds,
            }
        finally:
            pg.destroy(cluster)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000, 100000])
    parser.add_argument("--rounds", type=int, nargs="*", default=[0, 3])
    parser.add_argument("--wal-minutes", type=int, nargs="*", default=[1, 3, 5])
    parser.add_argument("--rate", type=int, default=20, help="checkouts per simulated second")
    args = parser.parse_args()
    console = Console()
    columns = ("base backup", "backup MB", "WAL replayed MB", "WAL archive MB", "restore")
    if args.sizes and args.rounds:
        table = Table(title="point-in-time restore against database size")
        for name in ("orders", "UPDATE rounds", *columns):
            table.add_column(name, justify="right")
        for size in args.sizes:
            for rounds in args.rounds:
                r = one(size, rounds)
                table.add_row(f"{size:,}", str(rounds), *_cells(r))
        console.print(table)
    if args.wal_minutes:
        table = Table(
            title=f"point-in-time restore against minutes of WAL "
            f"(10,000 orders, {args.rate} checkouts/s, simulated minutes)"
        )
        for name in ("WAL minutes", *columns):
            table.add_column(name, justify="right")
        for minutes in args.wal_minutes:
            r = one(10_000, 0, minutes, args.rate)
            table.add_row(str(minutes), *_cells(r))
        console.print(table)


def _cells(r: dict[str, float]) -> list[str]:
    return [
        f"{r['backup_s']:.2f} s",
        f"{r['backup_mb']:.0f}",
        f"{r['replayed_mb']:.1f}",
        f"{r['wal_mb']:.0f}",
        f"{r['restore_s']:.2f} s",
    ]


if __name__ == "__main__":
    main()

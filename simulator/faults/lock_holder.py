"""`python -m simulator.faults.lock_holder`: a real session that holds a lock.

It opens its own connection to the shop's database, takes a lock that blocks
the shop's writes, and keeps it inside a long-running query (PostgreSQL:
`pg_sleep`, visible in pg_stat_activity and killable with
pg_terminate_backend; SQLite: a write transaction held open). It exits by
itself at its deadline, or when its connection is killed.
"""

from __future__ import annotations

import argparse
import contextlib
import sqlite3
import sys
import time
from pathlib import Path

import psycopg


class Deadline:
    """When to let go: `seconds` from the start, or later if the deadline file says so
    (the engine moves it when a facilitator extends the drill)."""

    def __init__(self, seconds: float, path: Path | None) -> None:
        self.at = time.time() + seconds
        self.path = path

    def left(self) -> float:
        if self.path is not None:
            # No file, or caught mid-write: keep the last deadline.
            with contextlib.suppress(OSError, ValueError):
                self.at = max(self.at, float(self.path.read_text()))
        return self.at - time.time()


def hold_sqlite(path: str, deadline: Deadline) -> None:
    conn = sqlite3.connect(path, timeout=10, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")  # the write lock: other writers wait, then fail
    conn.execute("UPDATE products SET stock = stock WHERE id = 1")
    print("locked", flush=True)
    while deadline.left() > 0:
        time.sleep(0.2)
    conn.rollback()


def hold_postgres(url: str, table: str, deadline: Deadline) -> None:
    with psycopg.connect(url, application_name="nightly-report", autocommit=False) as conn:
        conn.execute(f'LOCK TABLE "{table}" IN SHARE MODE')  # blocks INSERT/UPDATE/DELETE
        print("locked", flush=True)
        # The long-running query an operator finds in pg_stat_activity; again, in the
        # same transaction, if the deadline moved while it slept.
        while (left := deadline.left()) > 0:
            conn.execute("SELECT pg_sleep(%s)", (left,))
        conn.rollback()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, help="sqlite file path or postgresql:// URL")
    parser.add_argument("--table", default="products")
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--deadline-file", type=Path, default=None)
    args = parser.parse_args()
    deadline = Deadline(args.seconds, args.deadline_file)
    try:
        if args.url.startswith("postgres"):
            hold_postgres(args.url, args.table, deadline)
        else:
            hold_sqlite(args.url, deadline)
    except (psycopg.Error, sqlite3.Error) as exc:
        # Killed by an operator (pg_terminate_backend) or the database went away.
        print(f"lock released: {type(exc).__name__}", file=sys.stderr, flush=True)
        sys.exit(0)


if __name__ == "__main__":
    main()

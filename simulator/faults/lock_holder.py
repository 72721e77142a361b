"""`python -m simulator.faults.lock_holder`: a real session that holds a lock.

It opens its own connection to the shop's database, takes a lock that blocks
the shop's writes, and keeps it inside a long-running query (PostgreSQL:
`pg_sleep`, visible in pg_stat_activity and killable with
pg_terminate_backend; SQLite: a write transaction held open). It exits by
itself at its deadline, or when its connection is killed.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time

import psycopg


def hold_sqlite(path: str, seconds: float) -> None:
    conn = sqlite3.connect(path, timeout=10, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")  # the write lock: other writers wait, then fail
    conn.execute("UPDATE products SET stock = stock WHERE id = 1")
    print("locked", flush=True)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.2)
    conn.rollback()


def hold_postgres(url: str, table: str, seconds: float) -> None:
    with psycopg.connect(url, application_name="nightly-report", autocommit=False) as conn:
        conn.execute(f'LOCK TABLE "{table}" IN SHARE MODE')  # blocks INSERT/UPDATE/DELETE
        print("locked", flush=True)
        # The long-running query an operator finds in pg_stat_activity.
        conn.execute("SELECT pg_sleep(%s)", (seconds,))
        conn.rollback()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, help="sqlite file path or postgresql:// URL")
    parser.add_argument("--table", default="products")
    parser.add_argument("--seconds", type=float, required=True)
    args = parser.parse_args()
    try:
        if args.url.startswith("postgres"):
            hold_postgres(args.url, args.table, args.seconds)
        else:
            hold_sqlite(args.url, args.seconds)
    except (psycopg.Error, sqlite3.Error) as exc:
        # Killed by an operator (pg_terminate_backend) or the database went away.
        print(f"lock released: {type(exc).__name__}", file=sys.stderr, flush=True)
        sys.exit(0)


if __name__ == "__main__":
    main()

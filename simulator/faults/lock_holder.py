"""`python -m simulator.faults.lock_holder`: a real session that holds a lock.

It opens its own connection to the shop's database, takes a lock that blocks
the shop's writes, and keeps it inside a long-running query (PostgreSQL:
`pg_sleep`, visible in pg_stat_activity and killable with
pg_terminate_backend; SQLite: a write transaction held open). It exits by
itself at its deadline, or when its connection is killed.

It prints exactly `locked` once it holds the lock. If it cannot take the lock it
prints one line saying why and exits 1, within WAIT_S, so that the fault's
injection (which waits longer than that) can report the reason.
"""

from __future__ import annotations

import argparse
import contextlib
import sqlite3
import sys
import time
from pathlib import Path

WAIT_S = 5.0  # how long to wait for a lock someone else holds; db.lock waits 10 s for us


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


class CannotLock(Exception):
    """The lock could not be taken; the message says why in one sentence."""


def hold_sqlite(path: str, deadline: Deadline, wait_s: float = WAIT_S) -> None:
    conn = sqlite3.connect(path, timeout=wait_s, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")  # the write lock: other writers wait, then fail
        conn.execute("UPDATE products SET stock = stock WHERE id = 1")
    except sqlite3.Error as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise CannotLock(
                f"another writer has held the SQLite database's one write lock for {wait_s:g}s"
                " (another db.lock fault?)"
            ) from exc
        raise CannotLock(f"SQLite refused the lock ({exc})") from exc
    print("locked", flush=True)
    while deadline.left() > 0:
        time.sleep(0.2)
    conn.rollback()


def hold_postgres(url: str, table: str, deadline: Deadline, wait_s: float = WAIT_S) -> None:
    import psycopg  # the driver loads only for PostgreSQL (the SQLite holder starts faster)

    try:
        conn = psycopg.connect(url, application_name="nightly-report", autocommit=False)
    except psycopg.Error as exc:
        raise CannotLock(f"cannot connect to the database ({_first_line(exc)})") from exc
    with conn:
        try:
            conn.execute(f"SET lock_timeout = '{int(wait_s * 1000)}ms'")
            conn.execute(f'LOCK TABLE "{table}" IN SHARE MODE')  # blocks INSERT/UPDATE/DELETE
        except psycopg.errors.LockNotAvailable as exc:
            raise CannotLock(
                f"table {table!r} stayed locked by another session for {wait_s:g}s"
                " (another db.lock fault?)"
            ) from exc
        except psycopg.errors.UndefinedTable as exc:
            raise CannotLock(f"the shop's database has no table {table!r}") from exc
        except psycopg.Error as exc:
            raise CannotLock(f"PostgreSQL refused the lock ({_first_line(exc)})") from exc
        print("locked", flush=True)
        # The long-running query an operator finds in pg_stat_activity; again, in the
        # same transaction, if the deadline moved while it slept.
        while (left := deadline.left()) > 0:
            conn.execute("SELECT pg_sleep(%s)", (left,))
        conn.rollback()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, help="sqlite file path or postgresql:// URL")
    parser.add_argument("--table", default="products")
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--deadline-file", type=Path, default=None)
    parser.add_argument("--wait-s", type=float, default=WAIT_S, help=argparse.SUPPRESS)
    args = parser.parse_args()
    deadline = Deadline(args.seconds, args.deadline_file)
    released: tuple[type[Exception], ...] = (sqlite3.Error,)
    try:
        if args.url.startswith("postgres"):
            import psycopg

            released += (psycopg.Error,)  # read when an exception is matched, below
            hold_postgres(args.url, args.table, deadline, args.wait_s)
        else:
            hold_sqlite(args.url, deadline, args.wait_s)
    except CannotLock as exc:
        print(f"cannot lock: {exc}", flush=True)
        sys.exit(1)
    except released as exc:
        # Killed by an operator (pg_terminate_backend) or the database went away.
        print(f"lock released: {type(exc).__name__}", file=sys.stderr, flush=True)
        sys.exit(0)


if __name__ == "__main__":
    main()

"""`python -m simulator.faults.batch_job`: a rogue batch job that damages the orders.

A nightly archiver with a bug: every round it deletes the newest orders (with their
items and payments) and "converts" the totals of a few others to the wrong currency
unit, through the shop's own database endpoint, under its own application name (so
its statements are in the server's log and its session in pg_stat_activity). It keeps
going until it is stopped (SIGTERM), or its deadline passes (the drill's TTL; the
deadline file moves when a drill is extended). A broken connection is retried: a
restore under a running job gets damaged too.

Each round appends one JSON line to the damage file: the ids deleted and corrupted,
so the fault can tell which rows a restore must bring back.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from simulator.faults.lock_holder import Deadline

if TYPE_CHECKING:
    import psycopg

APPLICATION = "order-archiver"

_stopping = False


def _stop(_sig: int, _frame: FrameType | None) -> None:
    global _stopping
    _stopping = True


def one_round(
    conn: psycopg.Connection[tuple[int, ...]], delete: int, corrupt: int, hold_s: float
) -> dict[str, list[int]]:
    # Literal numbers, no bound parameters: plain statements, as the server logs them
    # under log_statement = mod (what the responder's statement log shows).
    with conn.transaction():
        if hold_s > 0:  # it "archives consistently": other writers wait, readers go on
            conn.execute("LOCK TABLE orders IN SHARE ROW EXCLUSIVE MODE")
        victims = f"SELECT id FROM orders ORDER BY id DESC LIMIT {int(delete)}"
        conn.execute(f"DELETE FROM payments WHERE order_id IN ({victims})")
        conn.execute(f"DELETE FROM order_items WHERE order_id IN ({victims})")
        deleted = conn.execute(
            f"DELETE FROM orders WHERE id IN ({victims}) RETURNING id"
        ).fetchall()
        # Totals in cents divided by 100 again: the currency-unit bug.
        corrupted = conn.execute(
            "UPDATE orders SET total_cents = total_cents / 100 WHERE id IN ("
            "SELECT id FROM orders WHERE total_cents >= 100 ORDER BY random() "
            f"LIMIT {int(corrupt)}) RETURNING id"
        ).fetchall()
        if hold_s > 0:  # the archive copy it makes meanwhile, with the lock held
            conn.execute(f"SELECT pg_sleep({float(hold_s)})")
    return {"deleted": [int(r[0]) for r in deleted], "corrupted": [int(r[0]) for r in corrupted]}


def run(
    url: str,
    every_s: float,
    counts: tuple[int, int],
    hold_s: float,
    deadline: Deadline,
    out: Path,
) -> None:
    import psycopg  # here, not at the top: the fault catalog imports APPLICATION

    conn: psycopg.Connection[tuple[int, ...]] | None = None
    print("started", flush=True)
    while not _stopping and deadline.left() > 0:
        try:
            if conn is None or conn.closed:
                conn = psycopg.connect(
                    url, application_name=APPLICATION, autocommit=True, connect_timeout=3
                )
            done = one_round(conn, *counts, hold_s)
            with out.open("a") as f:
                f.write(json.dumps({"at": time.time(), **done}) + "\n")
        except psycopg.Error as exc:  # the database away or restored under us: retry
            said = str(exc).strip().splitlines()
            print(f"round failed: {said[0] if said else type(exc).__name__}", flush=True)
            if conn is not None:
                conn.close()
            conn = None
        time.sleep(min(every_s, max(deadline.left(), 0)))
    if conn is not None:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, help="postgresql:// URL")
    parser.add_argument("--every-s", type=float, default=1.0)
    parser.add_argument("--delete", type=int, default=2)
    parser.add_argument("--corrupt", type=int, default=2)
    parser.add_argument("--hold-s", type=float, default=0.0)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--deadline-file", type=Path, default=None)
    parser.add_argument("--damage-file", type=Path, required=True)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    run(
        args.url,
        args.every_s,
        (args.delete, args.corrupt),
        args.hold_s,
        Deadline(args.seconds, args.deadline_file),
        args.damage_file,
    )
    sys.exit(0)


if __name__ == "__main__":
    main()

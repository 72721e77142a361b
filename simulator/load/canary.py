"""Canary orders: one known order a second, written by the load like any customer, and
a journal of every one the shop acknowledged with 201.

The journal is the witness of lost data. The shop's code never reads it, and the
restore never writes it: an order in it was acknowledged to a plain HTTP client, so
if the database later lacks it (or holds it changed), the drill lost it. The check
(`simulator.pgcluster.canary`) reads the journal and the database, nothing else.

Pure stdlib (urllib): the locustfile runs `write_canaries` in a greenlet (gevent has
patched the sockets and `time.sleep` there), tests run it in a thread.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The shop's seeded customers and products (restated, as in the locustfile).
CUSTOMERS = 300
PRODUCTS = 200
INTERVAL_S = 1.0
REQUEST_TIMEOUT_S = 5.0
# A day of canaries at most: the loop ends even if nobody stops it.
MAX_CANARIES = 86_400


@dataclass(frozen=True)
class Canary:
    """One acknowledged canary: what the shop answered when it took the order."""

    seq: int
    id: int
    customer_id: int
    items: tuple[tuple[int, int, int], ...]  # (product id, quantity, unit price cents)
    total_cents: int
    acked_at: float  # wall clock of the 201


def canary_body(seq: int) -> dict[str, Any]:
    """The known contents of canary `seq`: the same every run."""
    return {
        "customer_id": 1 + seq % CUSTOMERS,
        "items": [{"product_id": 1 + (seq * 7) % PRODUCTS, "quantity": 1 + seq % 2}],
    }


def post_order(host: str, body: dict[str, Any]) -> tuple[int | str, dict[str, Any]]:
    """(status code or error name, JSON answer) of one POST /orders."""
    request = urllib.request.Request(
        f"{host.rstrip('/')}/orders",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:
            return int(response.status), json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return int(exc.code), {}
    except (OSError, ValueError) as exc:  # refused, reset, timed out, not JSON
        return type(exc).__name__, {}


def write_one(host: str, journal: Path, seq: int) -> int | str:
    """Post canary `seq`; journal it (acknowledged or not). Returns the status."""
    status, answer = post_order(host, canary_body(seq))
    line: dict[str, Any] = {"seq": seq, "status": status, "at": round(time.time(), 3)}
    if status == 201 and "id" in answer:
        line |= {
            "id": int(answer["id"]),
            "customer_id": int(answer["customer_id"]),
            "items": [
                [int(i["product_id"]), int(i["quantity"]), int(i["unit_price_cents"])]
                for i in answer.get("items", [])
            ],
            "total_cents": int(answer["total_cents"]),
        }
    with journal.open("a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")
    return status


def write_canaries(
    host: str,
    journal: Path,
    stopped: Callable[[], bool],
    *,
    interval_s: float = INTERVAL_S,
    max_count: int = MAX_CANARIES,
) -> int:
    """One canary every `interval_s` (on a fixed beat) until `stopped()`; returns how
    many were written."""
    start = time.monotonic()
    for seq in range(max_count):
        if stopped():
            return seq
        write_one(host, journal, seq)
        time.sleep(max(0.0, start + (seq + 1) * interval_s - time.monotonic()))
    return max_count


def acknowledged(journal: Path) -> list[Canary]:
    """Every canary the shop acknowledged with 201, from the journal (a line cut short
    by a killed writer is skipped)."""
    found: list[Canary] = []
    if not journal.exists():
        return found
    for raw in journal.read_text(encoding="utf-8").splitlines():
        try:
            line = json.loads(raw)
            if line.get("status") != 201:
                continue
            found.append(
                Canary(
                    seq=int(line["seq"]),
                    id=int(line["id"]),
                    customer_id=int(line["customer_id"]),
                    items=tuple((int(p), int(q), int(u)) for p, q, u in line["items"]),
                    total_cents=int(line["total_cents"]),
                    acked_at=float(line["at"]),
                )
            )
        except (ValueError, KeyError, TypeError):
            continue
    return found


def refused(journal: Path) -> int:
    """How many canary writes the shop did not acknowledge (503 while writes stopped,
    errors while the database was away)."""
    if not journal.exists():
        return 0
    count = 0
    for raw in journal.read_text(encoding="utf-8").splitlines():
        try:
            count += json.loads(raw).get("status") != 201
        except ValueError:
            continue
    return count

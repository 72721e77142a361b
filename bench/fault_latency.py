"""How long inject and revert take, per fault kind, on the local backend.

Goal (issue 3): <= 50 ms for each, except kinds that start a process
(app.crash's revert and deploy.bad_release wait for the shop to answer again;
db.lock starts the session that holds the lock and waits until it holds it).
Run: `.venv/bin/python bench/fault_latency.py [--runs 5]`.
With TEST_POSTGRES_URL set, the database kinds run on PostgreSQL too.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from simulator.faults.manager import FaultManager
from simulator.platform.environment import EnvOptions, down, up

SQLITE_KINDS: dict[str, dict[str, object]] = {
    "app.error_rate": {"fraction": 0.5},
    "app.latency": {"ms": 200},
    "app.cpu_burn": {"threads": 1},
    "app.memory_leak": {"mb_per_s": 10, "max_mb": 50},
    "db.pool_exhaustion": {},
    "app.hang": {},
    "app.crash": {},
    "deploy.bad_release": {"version": "1.1.0"},
    "db.lock": {},
    "dependency.down": {},
    "dependency.latency": {"ms": 500},
    "disk.full": {},
    "network.loss": {"percent": 30},
}
POSTGRES_KINDS: dict[str, dict[str, object]] = {
    "db.down": {},
    "db.latency": {"ms": 100},
    "db.lock": {},
}
# Kinds that start or restart a process: they wait for it, by design.
RESTARTS = {"app.crash", "deploy.bad_release", "db.lock"}


def measure(
    state_dir: Path, kinds: dict[str, dict[str, object]], runs: int, label: str
) -> list[tuple[str, str, float, float, str]]:
    manager = FaultManager(state_dir)
    rows = []
    for kind, params in kinds.items():
        inject_ms, revert_ms = [], []
        try:
            for _ in range(runs):
                start = time.perf_counter()
                entry = manager.inject(kind, params, ttl_s=60)
                inject_ms.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                manager.revert(entry.id)
                revert_ms.append((time.perf_counter() - start) * 1000)
        except Exception as exc:  # a kind this machine cannot run: say so in the table
            rows.append((label, kind, float("nan"), float("nan"), f"n/a: {exc}"[:60]))
            continue
        inj, rev = statistics.median(inject_ms), statistics.median(revert_ms)
        ok = "process" if kind in RESTARTS else ("yes" if max(inj, rev) <= 50 else "NO")
        rows.append((label, kind, inj, rev, ok))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        state_dir = Path(tmp) / "env"
        up(EnvOptions(state_dir=state_dir))
        try:
            rows += measure(state_dir, SQLITE_KINDS, args.runs, "sqlite")
        finally:
            down(state_dir)
        pg = os.environ.get("TEST_POSTGRES_URL")
        if pg:
            state_dir = Path(tmp) / "pgenv"
            up(EnvOptions(state_dir=state_dir, database_url=pg))
            try:
                rows += measure(state_dir, POSTGRES_KINDS, args.runs, "postgres")
            finally:
                down(state_dir)
    table = Table(title=f"fault inject / revert latency, median of {args.runs} (ms)")
    for column in ("database", "kind", "inject", "revert", "<= 50 ms"):
        table.add_column(column, justify="right" if column in ("inject", "revert") else "left")
    for label, kind, inj, rev, ok in rows:
        table.add_row(label, kind, f"{inj:.1f}", f"{rev:.1f}", ok)
    Console(width=120).print(table)


if __name__ == "__main__":
    main()

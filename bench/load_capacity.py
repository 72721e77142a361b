"""How much load one shop process takes, and what generating it costs.

Starts the shop itself (one uvicorn worker; SQLite, and PostgreSQL when
TEST_POSTGRES_URL is set and reachable, in a fresh database dropped afterwards),
then runs Locust through `LoadRunner` with no think time on the catalog path
(GET /products, /products/{id}) and the order path (POST /orders,
GET /orders/{id}) at 10 and 50 users. Prints requests/s and p50/p99 over the
steady part of each run, and the CPU share of the Locust process and of the
shop (CPU seconds from /proc divided by wall time; 100% = one core).

    .venv/bin/python bench/load_capacity.py [--duration 10] [--users 10 50]

Goal on a 2-core machine: >= 400 req/s on the catalog path with SQLite, with
Locust using at most a third of one core at that rate.
"""

from __future__ import annotations

import argparse
import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import make_url

from simulator.env.processes import start_shop
from simulator.load.procstat import cpu_seconds
from simulator.load.runner import LoadConfig, LoadRunner

WARMUP_S = 2.0  # seconds of each run left out: users spawning, connections opening
GOAL_RPS = 400.0
GOAL_LOCUST_CPU = 1 / 3


@dataclass
class Row:
    database: str
    path: str
    users: int
    rps: float
    p50_ms: float | None
    p99_ms: float | None
    failures: int
    locust_cpu: float
    shop_cpu: float


def measure(host: str, shop_pid: int, profile: str, users: int, duration_s: float) -> Row:
    """One run; the figures cover the seconds after WARMUP_S."""
    config = LoadConfig(
        host=host,
        users=users,
        spawn_rate=float(users),
        duration_s=duration_s + WARMUP_S,
        profile=profile,
        seed=1,
        wait_min_s=0.0,
        wait_max_s=0.0,
    )
    start: tuple[float, float, float] | None = None
    end: tuple[float, float, float] | None = None
    with LoadRunner(config) as runner:
        mark = None
        for snap in runner.iter_snapshots():
            # (wall, Locust CPU, shop CPU) at each second; the window starts after warm-up.
            sample = (snap.t, runner.cpu_seconds(), cpu_seconds(shop_pid) or 0.0)
            if mark is None and snap.t >= WARMUP_S - 0.05:
                mark, start = runner.checkpoint(), sample
            elif mark is not None:
                end = sample
        if mark is None or start is None or end is None:
            raise RuntimeError(f"the {profile} run at {users} users ended before its window")
        summary = runner.summary(since=mark)
    wall = end[0] - start[0]
    return Row(
        database="",
        path=profile,
        users=users,
        rps=summary.total.rps,
        p50_ms=summary.total.p50_ms,
        p99_ms=summary.total.p99_ms,
        failures=summary.total.failures,
        locust_cpu=(end[1] - start[1]) / wall,
        shop_cpu=(end[2] - start[2]) / wall,
    )


@contextmanager
def fresh_postgres(server_url: str) -> Iterator[str]:
    """A new database on the server for this benchmark, dropped afterwards."""
    url = make_url(server_url)
    name = f"chaosdrill_loadbench_{secrets.token_hex(4)}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_database(
    label: str, database_url: str | None, users: list[int], duration_s: float
) -> list[Row]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="load-bench-") as tmp:
        shop = start_shop(Path(tmp), database_url=database_url)
        try:
            for profile in ("catalog", "orders"):
                for n in users:
                    row = measure(shop.url, shop.pid, profile, n, duration_s)
                    row.database = label
                    rows.append(row)
        finally:
            shop.stop()
    return rows


def postgres_rows(users: list[int], duration_s: float, console: Console) -> list[Row]:
    server = os.environ.get("TEST_POSTGRES_URL")
    if not server:
        console.print("PostgreSQL: skipped (TEST_POSTGRES_URL is not set)")
        return []
    try:
        with fresh_postgres(server) as url:
            return run_database("postgres", url, users, duration_s)
    except psycopg.OperationalError as exc:
        console.print(f"PostgreSQL: skipped ({str(exc).splitlines()[0]})")
        return []


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="steady seconds per run")
    parser.add_argument("--users", type=int, nargs="+", default=[10, 50])
    args = parser.parse_args()
    console = Console(width=130)
    rows = run_database("sqlite", None, args.users, args.duration)
    rows += postgres_rows(args.users, args.duration, console)

    table = Table(
        title=f"shop capacity, one uvicorn worker, no think time, {args.duration:g}s steady "
        f"per run on {os.cpu_count()} cores (CPU: 100% = one core)"
    )
    for column in ("database", "path", "users", "req/s", "p50 ms", "p99 ms", "failures",
                   "Locust CPU", "shop CPU"):  # fmt: skip
        table.add_column(column, justify="left" if column in ("database", "path") else "right")
    for r in rows:
        table.add_row(
            r.database, r.path, str(r.users), f"{r.rps:.0f}", _ms(r.p50_ms), _ms(r.p99_ms),
            str(r.failures), f"{r.locust_cpu:.0%}", f"{r.shop_cpu:.0%}",
        )  # fmt: skip
    console.print(table)
    catalog = [r for r in rows if r.database == "sqlite" and r.path == "catalog"]
    if catalog:
        best = max(catalog, key=lambda r: r.rps)
        ok = best.rps >= GOAL_RPS and best.locust_cpu <= GOAL_LOCUST_CPU
        console.print(
            f"goal (catalog, SQLite): >= {GOAL_RPS:.0f} req/s with Locust <= "
            f"{GOAL_LOCUST_CPU:.0%} of a core -> measured {best.rps:.0f} req/s at "
            f"{best.users} users, Locust {best.locust_cpu:.0%}: {'met' if ok else 'NOT met'}"
        )
    console.print(f"load average while measuring: {os.getloadavg()[0]:.2f} (1 min)")


if __name__ == "__main__":
    main()

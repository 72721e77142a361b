"""Start time of the docker environment: compose up with the local images until healthy.

    .venv/bin/python bench/docker_env.py [--runs 3] [--rebuild]

Measured side by side in one run: the local backend's `env up` (processes),
the docker backend's `env up` on SQLite (payment providers, then the shop,
each waited on until its healthcheck passes) and with PostgreSQL in its own
container, plus `env down` of each. `--rebuild` also times building the local
images from scratch (rootfs import + the derived tags).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from simulator.docker.daemon import ensure_dockerd
from simulator.docker.images import build_local_images
from simulator.platform.environment import EnvOptions, down, up

CASES: dict[str, dict[str, object]] = {
    "local (processes, SQLite)": {"backend": "local"},
    "docker (SQLite)": {"backend": "docker"},
    "docker (PostgreSQL container)": {"backend": "docker", "database_url": "postgres"},
}


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    problem = ensure_dockerd()
    if problem:
        sys.exit(f"bench/docker_env.py: {problem}")
    table = Table(title=f"environment start until healthy ({args.runs} runs each, seconds)")
    for column in ("environment", "up median", "up min", "up max", "down median"):
        table.add_column(column, justify="right" if column != "environment" else "left")
    if args.rebuild:
        build_s = timed(lambda: build_local_images(force=True))
        table.add_row("build local images (from scratch)", f"{build_s:.1f}", "", "", "")
    else:
        build_local_images()  # make sure they exist: not part of the start time
    ups: dict[str, list[float]] = {name: [] for name in CASES}
    downs: dict[str, list[float]] = {name: [] for name in CASES}
    with tempfile.TemporaryDirectory(prefix="bench-docker-env-") as tmp:
        for run in range(args.runs):
            for name, fields in CASES.items():  # interleaved, so load affects all alike
                state_dir = Path(tmp) / f"{run}-{len(ups[name])}-{name.split()[0]}"
                options = EnvOptions(state_dir=state_dir, **fields)  # type: ignore[arg-type]
                try:
                    ups[name].append(timed(lambda o=options: up(o)))  # type: ignore[misc]
                finally:
                    downs[name].append(timed(lambda d=state_dir: down(d)))  # type: ignore[misc]
    for name in CASES:
        table.add_row(
            name,
            f"{statistics.median(ups[name]):.1f}",
            f"{min(ups[name]):.1f}",
            f"{max(ups[name]):.1f}",
            f"{statistics.median(downs[name]):.1f}",
        )
    Console().print(table)


if __name__ == "__main__":
    main()

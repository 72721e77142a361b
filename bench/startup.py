"""What starting a process costs: the shop, a payment provider, the watchdog, CLI commands.

The test suite starts the shop (with its two payment providers) about a hundred
times and the CLI about a hundred and fifty times on a 2-core machine where
every CPU-second is shared by six pytest workers, so their start-up is much of
what `make test` spends. Each row is the median of `--runs` fresh processes:
the shop and a provider until `/healthz` answers; the watchdog until it has
loaded (`--help`); a CLI command until it exits (`--help` of a command loads its
module and everything that imports, nothing more). CPU is the process's own
user + system seconds.

`--against REV` measures a git revision of this repository side by side in the
same run (a temporary worktree, runs interleaved), for before/after tables.

Run: `.venv/bin/python bench/startup.py [--runs 5] [--against REV]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from simulator.env.processes import free_port, wait_http

REPO = Path(__file__).resolve().parents[1]
CLI_COMMANDS = ("run", "fault", "score", "verify", "incident", "remediate", "history")
READY_TIMEOUT_S = 60.0
PROVIDER = "target_app.payment_provider"
TICK = os.sysconf("SC_CLK_TCK")

Sample = tuple[float, float]  # (wall seconds, CPU seconds)


def _cpu_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def served(tree: Path, argv: list[str], workdir: Path) -> Sample:
    """From spawn until `/healthz` answers 200 on the process's port (polled every 0.1 s)."""
    port = free_port()
    start = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(tree)}
    log = workdir / "out.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [*argv, "--port", str(port)], cwd=workdir, env=env, stdout=out, stderr=out
        )
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", READY_TIMEOUT_S, proc, log)
        return time.perf_counter() - start, _cpu_of(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def exits(tree: Path, argv: list[str]) -> Sample:
    start = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(tree)}
    proc = subprocess.Popen(
        argv, cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv[2:])} exited {proc.returncode} in {tree}")
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def cases(scratch: Path) -> list[tuple[str, Callable[[Path], Sample]]]:
    py = sys.executable

    def shop(tree: Path) -> Sample:
        workdir = Path(tempfile.mkdtemp(dir=scratch))
        argv = [py, "-m", "target_app", "--no-stdout-log"]
        argv += ["--database-url", f"sqlite:///{workdir / 'shop.db'}"]
        argv += ["--log-file", str(workdir / "shop.jsonl")]
        return served(tree, argv, workdir)

    def command(*args: str) -> Callable[[Path], Sample]:
        return lambda tree: exits(tree, [py, "-m", *args])

    found: list[tuple[str, Callable[[Path], Sample]]] = [
        ("shop, fresh SQLite database (schema + seed)", shop),
        ("payment provider", lambda tree: served(tree, [py, "-m", PROVIDER], scratch)),
        ("fault watchdog (loaded)", command("simulator.faults.watchdog", "--help")),
        ("python -c pass (the floor)", lambda tree: exits(tree, [py, "-c", "pass"])),
    ]
    found += [
        (f"chaosdrill {name} --help", command("simulator.cli", name, "--help"))
        for name in CLI_COMMANDS
    ]
    return found


def measure(trees: list[Path], runs: int) -> list[tuple[str, list[Sample]]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="chaosdrill-startup-") as tmp:
        for name, case in cases(Path(tmp)):
            samples: list[list[Sample]] = [[] for _ in trees]
            for _ in range(runs):  # interleaved: the trees see the same noise
                for index, tree in enumerate(trees):
                    samples[index].append(case(tree))
            rows.append((name, [_median(s) for s in samples]))
    return rows


def _median(samples: list[Sample]) -> Sample:
    return (
        statistics.median(wall for wall, _ in samples),
        statistics.median(cpu for _, cpu in samples),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--against", metavar="REV", help="a git revision to measure beside")
    args = parser.parse_args()
    labels, trees = ["this tree"], [REPO]
    with tempfile.TemporaryDirectory(prefix="chaosdrill-against-") as other:
        if args.against:
            worktree = Path(other) / "tree"
            subprocess.run(
                [
                    "git",
                    "-C",
                    str(REPO),
                    "worktree",
                    "add",
                    "--detach",
                    "-q",
                    str(worktree),
                    args.against,
                ],
                check=True,
            )
            labels.insert(0, args.against)
            trees.insert(0, worktree)
        try:
            rows = measure(trees, args.runs)
        finally:
            if args.against:
                subprocess.run(
                    ["git", "-C", str(REPO), "worktree", "remove", "--force", str(trees[0])],
                    check=True,
                )
    table = Table(
        title=f"Process start-up, median of {args.runs} (os.cpu_count()={os.cpu_count()})"
    )
    table.add_column("process")
    for label in labels:
        table.add_column(f"{label}\nwall s", justify="right")
        table.add_column(f"{label}\nCPU s", justify="right")
    for name, medians in rows:
        table.add_row(name, *(f"{v:.2f}" for sample in medians for v in sample))
    Console().print(table)


if __name__ == "__main__":
    main()

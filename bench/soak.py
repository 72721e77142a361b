"""Soak: does the engine hold steady over a long drill? (issue 18)

Runs one autopilot drill for `--minutes` (default 10) through the CLI, as a
subprocess: the scenario is recommendations-down with the fault moved to one
minute before the end and the time limit stretched, so for the whole run the
engine drives load (Locust subprocess), the detector (a scrape and probes every
second), the event log (an `sli.sample` a second) and the recovery monitor,
then works a real incident at the end. Every `--every` seconds (default 10) it
samples the engine process from /proc/PID: resident memory (VmRSS), open file
descriptors, threads. It prints every sample, then first/last/min/max and the
least-squares slope per minute, over the whole run, after the warm-up, and
steady (after the warm-up, before the fault: the incident at the end is a
one-off step of a few MB, diagnostics and remediation, not growth).

Run: `PYTHONPATH=$PWD .venv/bin/python bench/soak.py [--minutes 10] [--users 30]`
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
WARM_UP_S = 60.0  # environment up, load ramped, steady state reached


@dataclass(frozen=True)
class Sample:
    t: float  # seconds since the engine took its environment (owner.pid)
    rss_mb: float
    anon_mb: float  # RssAnon: the heap; the rest of RSS is mapped files (code, SQLite's shm)
    fds: int
    threads: int


def sample(pid: int, t: float) -> Sample | None:
    """One reading of /proc/PID, or None when the process is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        fds = len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)

    def mb(name: str) -> float:
        return int(fields[name].split()[0]) / 1024

    return Sample(t, mb("VmRSS"), mb("RssAnon"), fds, int(fields["Threads"]))


def fault_at_s(minutes: float) -> float:
    """When the soak's fault goes in, in drill time after the steady state: the
    engine's own t (from owner.pid) is later still, so samples before it are clean."""
    return max(20.0, minutes * 60 - 60)


def soak_scenario(minutes: float, users: int | None, directory: Path) -> Path:
    """recommendations-down, stretched: the fault one minute before the end."""
    data = yaml.safe_load((REPO / "scenarios" / "recommendations-down.yaml").read_text())
    total = minutes * 60
    data["id"] = "soak"
    data["title"] = "Soak: a long drill with a late fault"
    data["faults"][0]["at"] = f"{fault_at_s(minutes):.0f}s"
    data["time_limit_s"] = total + 60
    data["faults"][0]["ttl"] = f"{total + 120:.0f}s"  # validation: a TTL covers the drill
    data["hints"] = []
    if users is not None:
        data["load"]["users"] = users
        data["load"]["spawn_rate"] = max(1, users // 2)
    path = directory / "soak.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def slope_per_min(points: list[tuple[float, float]]) -> float | None:
    if len(points) < 2:
        return None
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    if var == 0:
        return None
    return sum((t - mean_t) * (v - mean_v) for t, v in points) / var * 60


def summary(samples: list[Sample], fault_at: float) -> Table:
    out = Table(title="engine process: summary")
    columns = ("figure", "first", "last", "min", "max", "slope/min")
    for name in (*columns, "(warm)", "(steady)"):
        out.add_column(name, justify="left" if name == "figure" else "right")
    warm = [s for s in samples if s.t >= WARM_UP_S]
    steady = [s for s in warm if s.t < fault_at]
    for name, get, unit in (
        ("RSS", lambda s: s.rss_mb, "MB"),
        ("anon RSS", lambda s: s.anon_mb, "MB"),
        ("open fds", lambda s: float(s.fds), ""),
        ("threads", lambda s: float(s.threads), ""),
    ):
        values = [get(s) for s in samples]
        whole = slope_per_min([(s.t, get(s)) for s in samples])
        after = slope_per_min([(s.t, get(s)) for s in warm])
        calm = slope_per_min([(s.t, get(s)) for s in steady])
        out.add_row(
            f"{name} {unit}".strip(),
            *(f"{v:.1f}" for v in (values[0], values[-1], min(values), max(values))),
            *("-" if v is None else f"{v:+.2f}" for v in (whole, after, calm)),
        )
    return out


def load_average() -> str:
    """The machine's 1/5/15-minute load average: a soak shares its cores."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--every", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--users", type=int, default=None, help="Locust users (default 30)")
    parser.add_argument(
        "--trace",
        type=Path,
        default=None,
        help="run the engine under tracemalloc (bench/memtrace.py); its growth goes to this file",
    )
    args = parser.parse_args()
    console = Console(width=120)
    samples: list[Sample] = []
    load_at_start = load_average()
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        work = Path(tmp)
        scenario = soak_scenario(args.minutes, args.users, work)
        argv = [sys.executable, "-m", "simulator.cli", "run", str(scenario), "--autopilot"]
        if args.trace is not None:  # same pid, traced: RSS then includes tracemalloc's own
            wrapper = [str(REPO / "bench" / "memtrace.py"), str(args.trace.resolve()), "--"]
            argv = [sys.executable, *wrapper, *argv[3:]]
        argv += ["--report-dir", str(work / "report"), "--json"]
        deadline = args.minutes * 60 + 300
        with (work / "stdout").open("w") as out, (work / "stderr").open("w") as err:
            process = subprocess.Popen(
                argv, cwd=work, stdout=out, stderr=err, env={**os.environ, "PYTHONPATH": str(REPO)}
            )
            # Time 0 is when the engine owns its environment (owner.pid): the interpreter's
            # start-up is not what a soak measures.
            while process.poll() is None and not list(
                work.glob(".chaosdrill/drills/*/env/owner.pid")
            ):
                time.sleep(0.2)
            start = time.monotonic()
            while process.poll() is None:
                now = time.monotonic() - start
                if now > deadline:
                    process.send_signal(signal.SIGTERM)  # the drill aborts and cleans up
                    process.wait(60)
                    break
                if (reading := sample(process.pid, now)) is not None:
                    samples.append(reading)
                next_at = start + len(samples) * args.every
                while process.poll() is None and time.monotonic() < next_at:
                    time.sleep(0.2)
        wall = time.monotonic() - start
        console.print(f"drill exit status {process.returncode} after {wall:.0f} s")
        if process.returncode:
            console.print((work / "stderr").read_text()[-800:], highlight=False)
    if not samples:
        raise SystemExit("no sample: the drill ended before the first one")
    rows = Table(title=f"engine process (pid {process.pid}), every {args.every:g} s")
    for name in ("t s", "RSS MB", "anon MB", "open fds", "threads"):
        rows.add_column(name, justify="right")
    for s in samples:
        rows.add_row(
            f"{s.t:.0f}", f"{s.rss_mb:.1f}", f"{s.anon_mb:.1f}", str(s.fds), str(s.threads)
        )
    console.print(rows)
    fault_at = fault_at_s(args.minutes)
    console.print(summary(samples, fault_at))
    console.print(
        f"warm = samples from t >= {WARM_UP_S:g} s; steady = warm and t < {fault_at:g} s"
        f" (the fault); slopes by least squares. Load average {load_at_start} at the start,"
        f" {load_average()} at the end ({os.cpu_count()} cores)."
    )


if __name__ == "__main__":
    main()

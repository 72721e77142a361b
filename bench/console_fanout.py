"""Event fan-out of the console: how long an event takes to reach every open trainee stream.

A real drill (db-lock on SQLite, Locust load, detector, the console in the same
process, as `chaosdrill run` serves it) with N trainee event streams (SSE) open
at once. Besides the detector's one sample a second, the facilitator sends a
hint every PUSH_S so there is steady traffic. Latency of one delivery = the
moment the stream reader parsed the event - the event's own `wall` time (when
the log appended it; same host, same clock). One stream and N streams are
measured side by side in the same drill. Goal: p99 <= 200 ms with 50 streams.

Run: `.venv/bin/python bench/console_fanout.py [--streams 50] [--seconds 20]`
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from simulator.console.auth import HEADER
from simulator.console.process import ConsoleProcess, start_console_drill

PUSH_S = 0.2
GOAL_P99_MS = 200.0


@dataclass
class Phase:
    streams: int
    latencies_ms: list[float] = field(default_factory=list)
    frames: int = 0
    ended_early: int = 0
    pushed: int = 0


async def _read(
    client: httpx.AsyncClient, token: str, since: int, phase: Phase, stop: asyncio.Event
) -> None:
    headers = {HEADER: token}
    async with client.stream(
        "GET", "/api/stream", params={"since": since}, headers=headers
    ) as response:
        kind = ""
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: ") and kind == "drill":
                event = json.loads(line[6:])
                phase.latencies_ms.append((time.time() - float(event["wall"])) * 1000)
                phase.frames += 1
            if stop.is_set():
                return
    if not stop.is_set():
        phase.ended_early += 1


async def _push(client: httpx.AsyncClient, token: str, phase: Phase, stop: asyncio.Event) -> None:
    while not stop.is_set():
        await client.post(
            "/api/facilitator/hint",
            json={"text": f"bench {phase.pushed}"},
            headers={HEADER: token},
        )
        phase.pushed += 1
        await asyncio.sleep(PUSH_S)


async def measure(drill: ConsoleProcess, streams: int, seconds: float) -> Phase:
    phase = Phase(streams)
    stop = asyncio.Event()
    limits = httpx.Limits(max_connections=streams + 10)
    timeout = httpx.Timeout(10, read=None)
    async with httpx.AsyncClient(base_url=drill.url, limits=limits, timeout=timeout) as client:
        events = (
            await client.get("/api/events", headers={HEADER: drill.token("facilitator")})
        ).json()
        since = events[-1]["seq"] if events else 0  # live events only, not the backlog
        names = [k for k in drill.links["tokens"] if k.startswith("trainee:")][:streams]
        readers = [
            asyncio.create_task(_read(client, drill.token(n), since, phase, stop)) for n in names
        ]
        await asyncio.sleep(1.0)  # every stream connected before the clock starts
        phase.latencies_ms.clear()
        phase.frames = 0
        pusher = asyncio.create_task(_push(client, drill.token("facilitator"), phase, stop))
        await asyncio.sleep(seconds)
        stop.set()
        await pusher
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
    return phase


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    console = Console(width=120)
    with tempfile.TemporaryDirectory(prefix="fanout-") as tmp:
        trainees = [f"t{i:02d}" for i in range(args.streams)]
        drill = start_console_drill(
            Path(tmp), trainees=trainees, args=["--start-now", "--review-window", "1"]
        )
        try:
            drill.wait_for("steady_state.reached", timeout_s=120)
            phases = [asyncio.run(measure(drill, n, args.seconds)) for n in (1, args.streams)]
        finally:
            with drill.client("facilitator") as client, contextlib.suppress(ValueError):
                client.post("/api/facilitator/end", {"confirm": True})
            with contextlib.suppress(subprocess.TimeoutExpired):
                drill.proc.wait(120)  # the drill tears down and writes its results
            drill.stop()
    table = Table(title=f"console event fan-out (SSE), {args.seconds:.0f} s per row, db-lock drill")
    for column in (
        "streams",
        "events/stream",
        "deliveries",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "cut off",
        "p99 goal",
    ):
        table.add_column(column, justify="right")
    for phase in phases:
        p99 = _pct(phase.latencies_ms, 0.99)
        per_stream = phase.frames / max(1, phase.streams)
        table.add_row(
            str(phase.streams),
            f"{per_stream:.0f}",
            str(phase.frames),
            f"{statistics.median(phase.latencies_ms):.1f}",
            f"{_pct(phase.latencies_ms, 0.90):.1f}",
            f"{p99:.1f}",
            f"{max(phase.latencies_ms):.1f}",
            str(phase.ended_early),
            ("ok" if p99 <= GOAL_P99_MS else "MISSED") + f" (<= {GOAL_P99_MS:.0f})",
        )
    console.print(table)


if __name__ == "__main__":
    main()

"""What each toxic stage does to chunks, on a real event loop without sockets.

The connection is the one boundary replaced here: a recorder of `reset()` and
`close()` calls, so each stage's decision can be checked on its own.
"""

from __future__ import annotations

import asyncio
import os
import random
import time

from simulator.proxy.model import toxic_from_json
from simulator.proxy.toxics import Chunk, Stage


class Recorder:
    """Stands in for the connection: remembers what a stage did to it."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def reset(self) -> None:
        self.calls.append("reset")

    def close(self) -> None:
        self.calls.append("close")


def stage(kind: str, conn: Recorder, **attributes: int) -> Stage:
    toxic = toxic_from_json({"type": kind, "attributes": attributes}, default_ttl_s=0)
    built = toxic.kind.stage(toxic.attributes, conn, random.Random(3))
    built.start()
    return built


async def run_through(toxic: Stage, data: bytes) -> tuple[list[bytes], float]:
    out: list[bytes] = []

    async def emit(chunk: Chunk) -> None:
        out.append(chunk.data)

    loop = asyncio.get_running_loop()
    start = loop.time()
    await toxic.process(Chunk(start, data), emit)
    return out, loop.time() - start


def test_slicer_cuts_into_sizes_within_the_variation_and_loses_nothing() -> None:
    data = os.urandom(50_000)
    out, _ = asyncio.run(
        run_through(stage("slicer", Recorder(), average_size=100, size_variation=40), data)
    )
    assert b"".join(out) == data
    assert all(60 <= len(piece) <= 140 for piece in out[:-1])
    assert len(out) > 300


def test_bandwidth_takes_size_over_rate() -> None:
    data = os.urandom(30_000)
    out, elapsed = asyncio.run(run_through(stage("bandwidth", Recorder(), rate=100), data))
    assert b"".join(out) == data
    assert elapsed >= 0.3  # 30 KB at 100 KB/s
    assert max(len(piece) for piece in out) <= 10_000  # 100 ms pieces


def test_limit_data_truncates_then_closes() -> None:
    conn = Recorder()
    limit = stage("limit_data", conn, bytes=10)
    out, _ = asyncio.run(run_through(limit, b"x" * 25))
    assert out == [b"x" * 10] and conn.calls == ["close"]


def test_reset_peer_resets_after_its_timeout_and_passes_nothing() -> None:
    conn = Recorder()
    out, elapsed = asyncio.run(run_through(stage("reset_peer", conn, timeout=100), b"data"))
    assert out == [] and conn.calls == ["reset"] and elapsed >= 0.1


def test_down_resets_as_soon_as_it_applies() -> None:
    conn = Recorder()
    stage("down", conn)
    assert conn.calls == ["reset"]


def test_removing_a_toxic_releases_what_it_holds_at_once() -> None:
    async def scenario() -> tuple[list[bytes], float, list[str]]:
        conn = Recorder()
        hole = stage("timeout", conn, timeout=0)
        slow = stage("latency", conn, latency=5000)
        loop = asyncio.get_running_loop()
        loop.call_later(0.1, hole.stop)
        loop.call_later(0.2, slow.stop)
        start = time.monotonic()
        held, _ = await run_through(hole, b"held")
        delayed, _ = await run_through(slow, b"late")
        return held + delayed, time.monotonic() - start, conn.calls

    out, elapsed, calls = asyncio.run(scenario())
    assert out == [b"held", b"late"] and calls == []
    assert 0.15 <= elapsed < 2.0  # released by the removals, not by the 5 s latency


def test_timeout_closes_the_connection_after_its_setting() -> None:
    async def scenario() -> list[str]:
        conn = Recorder()
        stage("timeout", conn, timeout=100)
        await asyncio.sleep(0.3)
        return conn.calls

    assert asyncio.run(scenario()) == ["close"]

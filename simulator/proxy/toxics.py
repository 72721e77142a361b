"""The toxic types: their attributes (as Toxiproxy names them) and what they do to data.

A toxic acts on one direction (`stream`) of each connection it applies to. For each
such connection the link builds a `Stage`; chunks of data flow through the stages
in the order the toxics were added. A stage may delay a chunk, cut it up, hold it,
or end the connection. When its toxic is removed, a stage stops at once and lets
whatever it holds pass on unharmed (as Toxiproxy does: no data is dropped on the
floor), so established connections survive toxics coming and going.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from simulator.proxy.errors import ApiError, describe_validation_error

__all__ = ["TOXIC_KINDS", "Chunk", "ConnectionControl", "Stage", "ToxicKind", "parse_attributes"]


@dataclass(slots=True)
class Chunk:
    """Bytes on their way, with the loop time they left the previous stage."""

    at: float
    data: bytes


Emit = Callable[[Chunk], Awaitable[None]]


class ConnectionControl(Protocol):
    """What a stage may do to the whole connection."""

    def reset(self) -> None:
        """Abort both sides; the client gets a TCP RST."""

    def close(self) -> None:
        """Close both sides after flushing what was already written (FIN)."""


class Stage:
    """One toxic acting on one direction of one connection (the default passes data on)."""

    def __init__(self, conn: ConnectionControl, rng: random.Random) -> None:
        self.conn = conn
        self.rng = rng
        self.gone = asyncio.Event()
        self._timer: asyncio.TimerHandle | None = None

    def start(self) -> None:
        """Called once when the toxic starts to apply to the connection."""

    def stop(self) -> None:
        """The toxic was removed: stop waiting and let held data through."""
        self.gone.set()
        if self._timer is not None:
            self._timer.cancel()

    async def process(self, chunk: Chunk, emit: Emit) -> None:
        await emit(chunk)

    async def finish(self) -> None:
        """The stream ended: wait (if this toxic delays closes) before passing the end on."""

    async def pause(self, seconds: float) -> None:
        """Sleep, cut short when the toxic is removed."""
        if seconds <= 0 or self.gone.is_set():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.gone.wait(), seconds)


class _Attributes(BaseModel):
    # Unknown attribute names are ignored, as Toxiproxy's Go JSON decoder does: a
    # client that sends an attribute of a newer Toxiproxy still gets its toxic.
    model_config = ConfigDict(extra="ignore")


class LatencyAttributes(_Attributes):
    latency: int = Field(0, ge=0, description="milliseconds added to every chunk")
    jitter: int = Field(0, ge=0, description="+/- milliseconds of random variation")


class LatencyStage(Stage):
    def __init__(self, attrs: LatencyAttributes, conn: ConnectionControl, rng: random.Random):
        super().__init__(conn, rng)
        self.attrs = attrs

    async def process(self, chunk: Chunk, emit: Emit) -> None:
        delay_ms = self.attrs.latency
        if self.attrs.jitter:
            delay_ms += self.rng.randint(-self.attrs.jitter, self.attrs.jitter)
        # Delay counts from when the chunk arrived, so pipelined chunks are not
        # delayed once per chunk ahead of them.
        loop = asyncio.get_running_loop()
        await self.pause(chunk.at + max(0, delay_ms) / 1000 - loop.time())
        await emit(Chunk(loop.time(), chunk.data))


class BandwidthAttributes(_Attributes):
    rate: int = Field(0, ge=0, description="KB/s (1 KB = 1000 bytes); 0 = unlimited")


class BandwidthStage(Stage):
    def __init__(self, attrs: BandwidthAttributes, conn: ConnectionControl, rng: random.Random):
        super().__init__(conn, rng)
        self.bytes_per_s = attrs.rate * 1000
        self.free_at = 0.0

    async def process(self, chunk: Chunk, emit: Emit) -> None:
        if self.bytes_per_s <= 0:
            await emit(chunk)
            return
        loop = asyncio.get_running_loop()
        data = chunk.data
        piece = max(1, self.bytes_per_s // 10)  # send in 100 ms pieces, like Toxiproxy
        for offset in range(0, len(data), piece):
            if self.gone.is_set():
                await emit(Chunk(loop.time(), data[offset:]))
                return
            part = data[offset : offset + piece]
            now = loop.time()
            self.free_at = max(self.free_at, now) + len(part) / self.bytes_per_s
            await self.pause(self.free_at - now)
            await emit(Chunk(loop.time(), part))


class SlicerAttributes(_Attributes):
    average_size: int = Field(0, ge=0, description="average slice size in bytes")
    size_variation: int = Field(0, ge=0, description="+/- bytes of slice size variation")
    delay: int = Field(0, ge=0, description="microseconds between slices")

    @model_validator(mode="after")
    def _sizes(self) -> SlicerAttributes:
        if self.average_size < 1:
            raise ValueError("average_size must be at least 1 byte")
        if self.size_variation >= self.average_size:
            raise ValueError("size_variation must be smaller than average_size")
        return self


class SlicerStage(Stage):
    def __init__(self, attrs: SlicerAttributes, conn: ConnectionControl, rng: random.Random):
        super().__init__(conn, rng)
        self.attrs = attrs

    async def process(self, chunk: Chunk, emit: Emit) -> None:
        loop = asyncio.get_running_loop()
        data, offset = chunk.data, 0
        low = self.attrs.average_size - self.attrs.size_variation
        high = self.attrs.average_size + self.attrs.size_variation
        while offset < len(data):
            if self.gone.is_set():
                await emit(Chunk(loop.time(), data[offset:]))
                return
            size = self.rng.randint(low, high)
            await emit(Chunk(loop.time(), data[offset : offset + size]))
            offset += size
            if offset < len(data):
                await self.pause(self.attrs.delay / 1_000_000)


class LimitDataAttributes(_Attributes):
    bytes: int = Field(0, ge=0, description="bytes let through before the connection closes")


class LimitDataStage(Stage):
    def __init__(self, attrs: LimitDataAttributes, conn: ConnectionControl, rng: random.Random):
        super().__init__(conn, rng)
        self.limit = attrs.bytes
        self.passed = 0

    async def process(self, chunk: Chunk, emit: Emit) -> None:
        part = chunk.data[: max(0, self.limit - self.passed)]
        if part:
            self.passed += len(part)
            await emit(Chunk(chunk.at, part))
        if self.passed >= self.limit:
            self.conn.close()


class TimeoutAttributes(_Attributes):
    timeout: int = Field(0, ge=0, description="ms until the connection is closed; 0 = never")


class TimeoutStage(Stage):
    """Lets no data through; held data goes on if the toxic is removed before the close."""

    def __init__(self, attrs: TimeoutAttributes, conn: ConnectionControl, rng: random.Random):
        super().__init__(conn, rng)
        self.timeout_ms = attrs.timeout

    def start(self) -> None:
        if self.timeout_ms > 0:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(self.timeout_ms / 1000, self.conn.close)

    async def process(self, chunk: Chunk, emit: Emit) -> None:
        await self.gone.wait()
        await emit(chunk)


class ResetPeerAttributes(_Attributes):
    timeout: int = Field(0, ge=0, description="ms after the first data until the reset")


class ResetPeerStage(Stage):
    def __init__(self, attrs: ResetPeerAttributes, conn: ConnectionControl, rng: random.Random):
        super().__init__(conn, rng)
        self.timeout_ms = attrs.timeout

    async def process(self, chunk: Chunk, emit: Emit) -> None:
        await self.pause(self.timeout_ms / 1000)
        if self.gone.is_set():
            await emit(chunk)
        else:
            self.conn.reset()


class DownAttributes(_Attributes):
    pass


class DownStage(Stage):
    """The service is down for this connection: reset it now (new ones at once)."""

    def __init__(self, attrs: DownAttributes, conn: ConnectionControl, rng: random.Random):
        super().__init__(conn, rng)

    def start(self) -> None:
        self.conn.reset()


class SlowCloseAttributes(_Attributes):
    delay: int = Field(0, ge=0, description="ms the close waits after the end of the data")


class SlowCloseStage(Stage):
    """Holds the end of the stream back by `delay` ms; the data itself passes at once."""

    def __init__(self, attrs: SlowCloseAttributes, conn: ConnectionControl, rng: random.Random):
        super().__init__(conn, rng)
        self.delay_ms = attrs.delay

    async def finish(self) -> None:
        await self.pause(self.delay_ms / 1000)


@dataclass(frozen=True)
class ToxicKind:
    """A registered toxic type: its attribute model and the stage it builds per connection."""

    name: str
    attributes: type[BaseModel]
    stage: Callable[[Any, ConnectionControl, random.Random], Stage]
    summary: str


TOXIC_KINDS: dict[str, ToxicKind] = {
    kind.name: kind
    for kind in (
        ToxicKind("latency", LatencyAttributes, LatencyStage, "delay data by latency +/- jitter"),
        ToxicKind("bandwidth", BandwidthAttributes, BandwidthStage, "cap throughput"),
        ToxicKind("slicer", SlicerAttributes, SlicerStage, "cut data into small delayed slices"),
        ToxicKind("limit_data", LimitDataAttributes, LimitDataStage, "close after N bytes"),
        ToxicKind("timeout", TimeoutAttributes, TimeoutStage, "pass nothing; close later"),
        ToxicKind("reset_peer", ResetPeerAttributes, ResetPeerStage, "TCP RST after data"),
        ToxicKind("slow_close", SlowCloseAttributes, SlowCloseStage, "delay the close"),
        ToxicKind("down", DownAttributes, DownStage, "reset every connection it applies to"),
    )
}


def parse_attributes(kind: ToxicKind, raw: object) -> BaseModel:
    """Validate a toxic's attributes; a 400 naming the bad field otherwise."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ApiError.bad_body(f"attributes of a {kind.name} toxic must be a JSON object")
    try:
        return kind.attributes.model_validate(raw)
    except ValidationError as exc:
        raise ApiError.bad_body(
            f"attributes of a {kind.name} toxic: {describe_validation_error(exc)}"
        ) from None

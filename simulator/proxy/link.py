"""The data path: one client connection, its upstream connection, and the two links.

A link copies one direction with plain asyncio streams in 64 KiB reads. While no
toxic applies to it, the reading loop writes each chunk straight through (no
queue, no timestamp, no task switch). When toxics apply, chunks are stamped with
their arrival time and handed to a delivery task through a bounded queue, so
delays count from arrival and reading goes on while a toxic holds data back. The
link returns to the direct path once no toxic applies and the queue is drained.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
from functools import partial

from simulator.proxy.model import Toxic
from simulator.proxy.toxics import Chunk, Stage

__all__ = ["Connection", "Link"]

READ_SIZE = 64 * 1024
STREAM_LIMIT = 256 * 1024  # StreamReader buffer before it pauses reading
QUEUE_CHUNKS = 64  # at most 64 x 64 KiB held per link while a toxic slows it


def _nodelay(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class Link:
    """One direction of a connection: `reader` to `writer`, through the stages that apply."""

    def __init__(self, conn: Connection, stream: str) -> None:
        self.conn = conn
        self.stream = stream
        self.stages: dict[str, Stage] = {}  # by toxic name, in the order toxics were added
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self._queue: asyncio.Queue[Chunk | None] | None = None
        self._delivery: asyncio.Task[None] | None = None

    def attach(self, name: str, stage: Stage) -> None:
        self.stages[name] = stage
        stage.start()

    def detach(self, name: str) -> None:
        stage = self.stages.pop(name, None)
        if stage is not None:
            stage.stop()

    def stop(self) -> None:
        for stage in self.stages.values():
            stage.stop()
        if self._delivery is not None:
            self._delivery.cancel()

    async def run(self) -> None:
        """Copy until end of stream; any socket error ends the whole connection."""
        try:
            await self._pump()
        except (ConnectionError, OSError):
            self.conn.abort()

    async def _pump(self) -> None:
        assert self.reader is not None and self.writer is not None
        reader, writer = self.reader, self.writer
        transport = writer.transport
        loop = asyncio.get_running_loop()
        while data := await reader.read(READ_SIZE):
            if self._queue is None and not self.stages:
                writer.write(data)
                if transport.get_write_buffer_size():
                    await writer.drain()
                continue
            if self._queue is None:
                self._queue = asyncio.Queue(QUEUE_CHUNKS)
                self._delivery = asyncio.create_task(self._deliver(self._queue))
            await self._queue.put(Chunk(loop.time(), data))
        if self._queue is not None and self._delivery is not None:
            await self._queue.put(None)
            await asyncio.wait([self._delivery])
        else:
            await self._end_of_stream()

    async def _deliver(self, queue: asyncio.Queue[Chunk | None]) -> None:
        try:
            while (chunk := await queue.get()) is not None:
                await self._through(tuple(self.stages.values()), 0, chunk)
                if queue.empty() and not self.stages:
                    self._queue = None  # back to the direct path
                    return
            await self._end_of_stream()
        except (ConnectionError, OSError):
            self.conn.abort()

    async def _through(self, stages: tuple[Stage, ...], index: int, chunk: Chunk) -> None:
        while index < len(stages) and stages[index].gone.is_set():
            index += 1  # its toxic was removed while this chunk was on the way
        if index < len(stages):
            await stages[index].process(chunk, partial(self._through, stages, index + 1))
            return
        assert self.writer is not None
        self.writer.write(chunk.data)
        await self.writer.drain()

    async def _end_of_stream(self) -> None:
        for stage in tuple(self.stages.values()):
            if not stage.gone.is_set():
                await stage.finish()  # slow_close holds the end back
        self._write_eof()

    def _write_eof(self) -> None:
        # Half-close: the other direction may still be sending.
        if self.writer is not None and self.writer.can_write_eof():
            with contextlib.suppress(OSError, RuntimeError):
                self.writer.write_eof()


class Connection:
    """A client connection, its upstream connection, and the toxics decided for it."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, rng: random.Random
    ) -> None:
        self.client_writer = writer
        self.upstream_writer: asyncio.StreamWriter | None = None
        self.rng = rng
        self.closed = False
        self.links = {"upstream": Link(self, "upstream"), "downstream": Link(self, "downstream")}
        self.links["upstream"].reader = reader
        self.links["downstream"].writer = writer
        self._applies: dict[Toxic, bool] = {}
        self._tasks: list[asyncio.Task[None]] = []
        _nodelay(writer)

    def attach(self, toxic: Toxic) -> None:
        """Decide once whether `toxic` applies to this connection; if so, start it."""
        if self.closed:
            return
        applies = self._applies.get(toxic)
        if applies is None:
            applies = self._applies[toxic] = self.rng.random() < toxic.toxicity
        if applies:
            stage = toxic.kind.stage(toxic.attributes, self, self.rng)
            self.links[toxic.stream].attach(toxic.name, stage)

    def detach(self, toxic: Toxic) -> None:
        self._applies.pop(toxic, None)
        self.links[toxic.stream].detach(toxic.name)

    def bind_upstream(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.upstream_writer = writer
        self.links["upstream"].writer = writer
        self.links["downstream"].reader = reader
        _nodelay(writer)

    async def run(self) -> None:
        """Pump both directions until both end, then close both sockets."""
        self._tasks = [asyncio.create_task(link.run()) for link in self.links.values()]
        await asyncio.wait(self._tasks)
        self.close()

    def _end(self) -> None:
        self.closed = True
        for link in self.links.values():
            link.stop()
        for task in self._tasks:
            if task is not asyncio.current_task():
                task.cancel()

    def close(self) -> None:
        """Close both sides after flushing what was already written."""
        self._end()
        for writer in (self.client_writer, self.upstream_writer):
            if writer is not None:
                writer.close()

    def abort(self) -> None:
        """Drop both sides at once, discarding anything unsent."""
        self._end()
        for writer in (self.client_writer, self.upstream_writer):
            if writer is not None:
                writer.transport.abort()

    def reset(self) -> None:
        """Abort with SO_LINGER 0 on the client socket, so the client gets a TCP RST."""
        sock = self.client_writer.get_extra_info("socket")
        if sock is not None and not self.closed:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.abort()

"""Live event streams (Server-Sent Events) for every open page and terminal.

One subscriber on the drill's event log hands each new event to the asyncio
loop (`call_soon_threadsafe`: the log calls subscribers in whichever thread
appended). The hub shapes the event once per view (facilitator / trainee),
serialises it once, and puts the same bytes on every client's queue, so fifty
trainees cost fifty queue puts, not fifty filters. A client that falls too far
behind is dropped; its browser reconnects with Last-Event-ID and catches up
from the log, which is the one truth anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from scoring.events import Event
from simulator.console.visibility import facilitator_event, trainee_event
from simulator.drill.eventlog import EventLog

__all__ = ["KEEPALIVE_S", "QUEUE_LIMIT", "StreamHub"]

KEEPALIVE_S = 15.0
QUEUE_LIMIT = 2000
VIEWS: dict[str, Callable[[Event], dict[str, Any] | None]] = {
    "facilitator": facilitator_event,
    "trainee": trainee_event,
}


def _frame(kind: str, payload: dict[str, Any], event_id: str | None = None) -> bytes:
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {kind}\ndata: {json.dumps(payload, default=str)}\n\n".encode()


@dataclass(eq=False)
class _Client:
    view: str
    queue: asyncio.Queue[bytes | None] = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))
    dropped: bool = False


class StreamHub:
    """Fans the current drill's events out to every connected stream."""

    def __init__(self) -> None:
        self._clients: set[_Client] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._log: EventLog | None = None
        self.generation = 0  # which drill of the session the stream ids belong to

    @property
    def clients(self) -> int:
        return len(self._clients)

    def attach(self, log: EventLog) -> None:
        """Follow a new drill's log (called in the loop's thread)."""
        self.detach()
        self._loop = asyncio.get_running_loop()
        self._log = log
        self.generation += 1
        log.subscribe(self._on_event)

    def detach(self) -> None:
        if self._log is not None:
            self._log.unsubscribe(self._on_event)
            self._log = None

    def _on_event(self, event: Event) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._fanout, event)

    def _fanout(self, event: Event) -> None:
        frames: dict[str, bytes | None] = {}
        for client in list(self._clients):
            if client.view not in frames:
                shaped = VIEWS[client.view](event)
                frames[client.view] = (
                    None
                    if shaped is None
                    else _frame("drill", shaped, f"{self.generation}:{event.seq}")
                )
            frame = frames[client.view]
            if frame is not None:
                self._put(client, frame)

    def _put(self, client: _Client, frame: bytes | None) -> None:
        try:
            client.queue.put_nowait(frame)
        except asyncio.QueueFull:
            client.dropped = True  # the reader ends the stream; the browser reconnects
            self._clients.discard(client)

    def announce(self, phase: str, detail: dict[str, Any] | None = None) -> None:
        """A change of the console's own phase (lobby, running, review, scored)."""
        frame = _frame("phase", {"phase": phase, **(detail or {})})
        for client in list(self._clients):
            self._put(client, frame)

    def close(self) -> None:
        """End every stream (the server is stopping)."""
        for client in list(self._clients):
            with contextlib.suppress(asyncio.QueueFull):
                client.queue.put_nowait(None)
        self._clients.clear()

    def _backlog(self, view: str, since: int) -> tuple[list[bytes], int]:
        """Frames of the logged events after `since`, and the last seq they cover."""
        if self._log is None:
            return [], since
        shape = VIEWS[view]
        events = self._log.events(since)  # one snapshot: seq == index + 1
        frames = []
        for event in events:
            shaped = shape(event)
            if shaped is not None:
                frames.append(_frame("drill", shaped, f"{self.generation}:{event.seq}"))
        return frames, since + len(events)

    def since_from(self, last_event_id: str | None, since: int | None) -> int:
        """Where a (re)connecting stream starts: after its Last-Event-ID of this drill."""
        if last_event_id:
            generation, _, seq = last_event_id.partition(":")
            if generation == str(self.generation) and seq.isdigit():
                return int(seq)
            return 0
        return max(0, since or 0)

    async def stream(self, view: str, since: int, hello: dict[str, Any]) -> AsyncIterator[bytes]:
        """One client's SSE byte stream: hello, the backlog after `since`, then live events."""
        client = _Client(view)
        self._clients.add(client)  # before the backlog, so nothing falls in between
        try:
            # In a thread: a long drill's backlog comes from SQLite (the log keeps its
            # samples there), and the loop also runs the drill's detector.
            frames, sent_upto = await asyncio.to_thread(self._backlog, view, since)
            yield b"retry: 2000\n\n" + _frame("hello", hello)
            for old in frames:
                yield old
            while True:
                try:
                    frame: bytes | None = await asyncio.wait_for(client.queue.get(), KEEPALIVE_S)
                except TimeoutError:
                    if client.dropped:
                        return
                    yield b": keep-alive\n\n"
                    continue
                if frame is None:
                    return
                if _seq_of(frame) <= sent_upto:
                    continue  # already sent in the backlog
                yield frame
                if client.dropped and client.queue.empty():
                    return
        finally:
            self._clients.discard(client)


def _seq_of(frame: bytes) -> int:
    """The event seq of a drill frame (phase frames: a number no backlog reaches)."""
    if not frame.startswith(b"id: "):
        return 1 << 62
    head = frame[4 : frame.index(b"\n")]
    return int(head.rpartition(b":")[2])

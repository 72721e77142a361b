"""One request per connection, bounded in size and time: the HTTP both the engine's
Alertmanager webhook and the team-alerting capture sinks speak. They run in the
drill's own asyncio loop (uvicorn would install signal handlers the engine owns)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass

MAX_HEADER_BYTES = 16 * 1024
MAX_BODY_BYTES = 4 * 1024 * 1024
READ_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Request:
    method: str
    target: str
    headers: dict[str, str]  # names in lower case
    body: bytes

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


async def _read(reader: asyncio.StreamReader) -> Request | tuple[int, str]:
    head = await reader.readuntil(b"\r\n\r\n")
    if len(head) > MAX_HEADER_BYTES:
        return 413, "headers too large"
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    method, target, _version = request_line.split(" ", 2)
    headers = {
        name.strip().lower(): value.strip()
        for name, sep, value in (line.partition(":") for line in header_lines)
        if sep
    }
    length = int(headers.get("content-length", "0"))
    if length > MAX_BODY_BYTES:
        return 413, "body too large"
    return Request(method, target, headers, await reader.readexactly(length))


async def serve_one(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    handle: Callable[[Request], tuple[int, str]],
    *,
    json_when_braced: bool = False,
) -> None:
    """Read one request, answer what `handle` says (400 for anything malformed or late,
    413 for anything too large), close. A body that starts with `{` is sent as JSON
    when `json_when_braced`."""
    try:
        read = await asyncio.wait_for(_read(reader), READ_TIMEOUT_S)
        status, text = read if isinstance(read, tuple) else handle(read)
    except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
        status, text = 400, "bad request"
    except ConnectionError:
        return
    body = text.encode()
    kind = "application/json" if json_when_braced and text.startswith("{") else "text/plain"
    writer.write(
        f"HTTP/1.1 {status} {'OK' if status < 300 else 'Error'}\r\n"
        f"Content-Type: {kind}\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n".encode()
        + body
    )
    with contextlib.suppress(ConnectionError):
        await writer.drain()
    writer.close()
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()

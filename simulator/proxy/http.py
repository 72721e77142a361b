"""A tiny HTTP/1.1 JSON server on asyncio streams, enough for the control API.

Keep-alive, Content-Length bodies, JSON in and out, path parameters. It runs on
the same event loop as the data path and needs no web framework. Like
Toxiproxy's API it refuses browsers (a `Mozilla/` user agent), so a web page
cannot drive the loopback API behind the user's back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import unquote, urlsplit

from simulator.proxy.errors import ApiError

__all__ = ["HttpListener", "Request", "Response", "Router", "serve"]

log = logging.getLogger("simulator.proxy")

MAX_BODY = 1024 * 1024
MAX_HEADERS = 100
IDLE_TIMEOUT_S = 120.0


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> object:
        """The decoded JSON body (None when empty); a 400 when it is not JSON."""
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError.bad_body(f"not valid JSON ({exc})") from None


@dataclass
class Response:
    status: int = 200
    body: object = None  # None: no body (204)


Handler = Callable[[Request], Awaitable[Response]]


class Router:
    """Routes `METHOD /path/{param}` patterns to handlers."""

    def __init__(self) -> None:
        self._routes: list[tuple[frozenset[str], re.Pattern[str], Handler]] = []

    def add(self, methods: str, pattern: str, handler: Handler) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)
        self._routes.append((frozenset(methods.split("|")), re.compile(f"^{regex}$"), handler))

    async def dispatch(self, request: Request) -> Response:
        allowed = False
        for methods, regex, handler in self._routes:
            match = regex.match(request.path)
            if match is None:
                continue
            if request.method not in methods:
                allowed = True
                continue
            request.params = {key: unquote(value) for key, value in match.groupdict().items()}
            return await handler(request)
        if allowed:
            raise ApiError(f"method {request.method} not allowed on {request.path}", 405)
        raise ApiError(f"no such endpoint: {request.method} {request.path}", 404)


async def _read_request(reader: asyncio.StreamReader) -> tuple[Request, dict[str, str]] | None:
    line = await asyncio.wait_for(reader.readline(), IDLE_TIMEOUT_S)
    if not line.strip():
        return None
    parts = line.decode("latin-1").split()
    if len(parts) != 3:
        raise ApiError("malformed request line", 400)
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADERS):
        raw = await reader.readline()
        if raw in (b"\r\n", b"\n", b""):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    else:
        raise ApiError("too many headers", 400)
    if "chunked" in headers.get("transfer-encoding", "").lower():
        raise ApiError("send the body with a Content-Length", 411)
    length = int(headers.get("content-length", "0") or 0)
    if not 0 <= length <= MAX_BODY:
        raise ApiError(f"body larger than {MAX_BODY} bytes", 413)
    body = await reader.readexactly(length) if length else b""
    request = Request(method=parts[0].upper(), path=urlsplit(parts[1]).path, body=body)
    return request, headers


def _encode(response: Response, keep_alive: bool) -> bytes:
    payload = b"" if response.body is None else json.dumps(response.body).encode() + b"\n"
    phrase = HTTPStatus(response.status).phrase
    head = [f"HTTP/1.1 {response.status} {phrase}", f"Content-Length: {len(payload)}"]
    if payload:
        head.append("Content-Type: application/json")
    head.append(f"Connection: {'keep-alive' if keep_alive else 'close'}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + payload


async def _answer(router: Router, request: Request, headers: dict[str, str]) -> Response:
    try:
        if headers.get("user-agent", "").startswith("Mozilla/"):
            raise ApiError("User agent not allowed", 403)
        return await router.dispatch(request)
    except ApiError as exc:
        return Response(exc.status, exc.to_json())
    except Exception as exc:  # a bug must not take the API down with it
        log.exception("api handler failed")
        return Response(500, {"error": f"internal error: {exc}", "status": 500})


async def _serve_connection(
    router: Router, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        while True:
            try:
                parsed = await _read_request(reader)
            except ApiError as exc:
                writer.write(_encode(Response(exc.status, exc.to_json()), keep_alive=False))
                break
            if parsed is None:
                break
            request, headers = parsed
            response = await _answer(router, request, headers)
            keep_alive = headers.get("connection", "").lower() != "close"
            writer.write(_encode(response, keep_alive))
            await writer.drain()
            if not keep_alive:
                break
    except (
        ConnectionError,
        TimeoutError,
        ValueError,
        asyncio.IncompleteReadError,
        asyncio.LimitOverrunError,
    ):
        pass  # the client went away or sent garbage: nothing left to answer
    finally:
        with contextlib.suppress(Exception):
            writer.close()


class HttpListener:
    """A running API listener; `close()` also ends the connections it is serving."""

    def __init__(self, server: asyncio.Server, tasks: set[asyncio.Task[None]]) -> None:
        self.server = server
        self.port: int = server.sockets[0].getsockname()[1]
        self._tasks = tasks

    async def close(self) -> None:
        self.server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks))


async def serve(router: Router, host: str, port: int) -> HttpListener:
    """Serve `router` on host:port (port 0 picks a free port: see `.port`)."""
    tasks: set[asyncio.Task[None]] = set()

    async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            await _serve_connection(router, reader, writer)
        except asyncio.CancelledError:
            pass  # closing: end quietly (3.11's stream callback logs cancelled handlers)
        finally:
            tasks.discard(task)

    server = await asyncio.start_server(on_client, host, port, reuse_address=True)
    return HttpListener(server, tasks)

"""Capture sinks on 127.0.0.1 that answer like the services a team's receivers call.

One small HTTP server in the drill's loop serves every HTTP integration; the
rewritten config points each integration at `/{kind}/{receiver}/{index}`, so
each capture says which receiver and which of its integrations was reached.
The answer is what the real service would answer (see `protocols`): a payload
the service would refuse is refused here too, and recorded with its problems.
Requests are bounded in size and time, as the engine's own webhook is.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import unquote

from simulator.prometheus.tiny_http import Request, serve_one
from simulator.teamalerting import protocols
from simulator.teamalerting.protocols import Checked

STOP_S = 2.0

log = logging.getLogger(__name__)


@dataclass
class Notification:
    """One notification a receiver's integration got, at the engine's clock time."""

    receiver: str
    integration: str  # webhook | slack | pagerduty | opsgenie | email
    index: int
    t: float
    firing: bool
    status: int  # what the sink answered, as the service would
    problems: list[str] = field(default_factory=list)
    alerts: list[dict[str, str]] = field(default_factory=list)
    text: str = ""
    payload: Any = None  # what arrived: the JSON body, or a mail's headers and text

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def accepted(self) -> bool:
        return not self.problems

    def describe(self) -> str:
        return f"{self.receiver} ({self.integration}[{self.index}])"


def listening_socket() -> socket.socket:
    """A TCP socket listening on 127.0.0.1 on a port the kernel picked."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    sock.setblocking(False)
    return sock


def checked_http(kind: str, rest: str, headers: dict[str, str], body: bytes) -> Checked:
    """The protocol check for one request to `/{kind}/.../{rest}`."""
    if kind == "webhook":
        return protocols.webhook(body)
    if kind == "slack":
        return protocols.slack(body)
    if kind == "pagerduty":
        return protocols.pagerduty(body)
    return protocols.opsgenie(rest, headers, body)


class HttpSinks:
    """Serves every HTTP integration of the rewritten config on `sock`."""

    def __init__(
        self,
        sock: socket.socket,
        clock: Callable[[], float],
        record: Callable[[Notification], None],
    ) -> None:
        self.sock = sock
        self.clock = clock
        self.record = record
        self._server: asyncio.Server | None = None

    @property
    def base(self) -> str:
        host, port = self.sock.getsockname()[:2]
        return f"http://{host}:{port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, sock=self.sock)

    def close_unserved(self) -> None:
        """Close the socket if it was never served (a launch that failed)."""
        if self._server is None:
            self.sock.close()

    async def stop(self) -> None:
        if self._server is None:
            self.sock.close()
            return
        self._server.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._server.wait_closed(), STOP_S)
        self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await serve_one(reader, writer, self._handle, json_when_braced=True)

    def _handle(self, request: Request) -> tuple[int, str]:
        method, headers, body = request.method, request.headers, request.body
        parts = request.path.lstrip("/").split("/", 3)
        if len(parts) < 3 or parts[0] not in ("webhook", "slack", "pagerduty", "opsgenie"):
            return 404, "not found"
        if method not in ("POST", "PUT"):
            return 405, "POST only"
        kind, receiver, index = parts[0], unquote(parts[1]), parts[2]
        checked = checked_http(kind, parts[3] if len(parts) > 3 else "", headers, body)
        if checked.text == "update":  # opsgenie's follow-up PUTs are not a notification
            return checked.status, checked.body
        self.record(
            Notification(
                receiver,
                kind,
                int(index) if index.isdigit() else 0,
                self.clock(),
                checked.firing,
                checked.status,
                checked.problems,
                checked.alerts,
                checked.text,
                _json_or_text(body),
            )
        )
        return checked.status, checked.body


def _json_or_text(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:  # UnicodeDecodeError is one
        return body.decode("utf-8", "replace")

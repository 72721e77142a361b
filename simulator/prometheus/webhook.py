"""The engine's Alertmanager webhook endpoint: a tiny HTTP server in the drill's loop.

Alertmanager POSTs its v4 payload (status firing/resolved; alerts[] with
labels, annotations, startsAt, endsAt, fingerprint) to `/alertmanager`.
Each delivery is parsed into a `WebhookPayload` and handed to a callback in
the same asyncio loop as the engine, so no thread hop and no web framework
(uvicorn would install signal handlers the engine owns). Requests are
bounded in size and time; anything else is answered 404/400/413.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulator.prometheus.tiny_http import Request, serve_one

PATH = "/alertmanager"
STOP_S = 2.0  # how long stop() waits for deliveries in progress

log = logging.getLogger(__name__)


class WebhookAlert(BaseModel):
    """One alert of an Alertmanager webhook delivery."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    starts_at: str = Field("", alias="startsAt")
    ends_at: str = Field("", alias="endsAt")
    fingerprint: str = ""

    @property
    def key(self) -> str:
        """The alert instance's identity: Alertmanager's fingerprint of its labels."""
        return self.fingerprint or json.dumps(sorted(self.labels.items()))


class WebhookPayload(BaseModel):
    """An Alertmanager webhook delivery (version 4)."""

    model_config = ConfigDict(extra="ignore")

    version: str = "4"
    status: Literal["firing", "resolved"]
    receiver: str = ""
    alerts: list[WebhookAlert]


def listening_socket() -> socket.socket:
    """A TCP socket listening on 127.0.0.1 on a port the kernel picked.

    Bound before Alertmanager's config is written, so its URL is known; a
    delivery that comes before the server runs waits in the backlog.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    sock.setblocking(False)
    return sock


class WebhookReceiver:
    """Serves POST /alertmanager on `sock`; calls `on_payload` for each valid delivery."""

    def __init__(self, on_payload: Callable[[WebhookPayload], None], sock: socket.socket) -> None:
        self.on_payload = on_payload
        self.sock = sock
        self.deliveries = 0
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        host, port = self.sock.getsockname()[:2]
        return f"http://{host}:{port}{PATH}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, sock=self.sock)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            try:
                await asyncio.wait_for(self._server.wait_closed(), STOP_S)
            except TimeoutError:
                # A delivery still being read holds wait_closed up to READ_TIMEOUT_S; the
                # listener is already closed, so no new alert is taken: stop anyway.
                log.warning("alertmanager webhook: a delivery still open after %.0fs", STOP_S)
            self._server = None
        else:
            self.sock.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await serve_one(reader, writer, self._handle)

    def _handle(self, request: Request) -> tuple[int, str]:
        method, body = request.method, request.body
        if request.path != PATH:
            return 404, "not found"
        if method != "POST":
            return 405, "POST only"
        try:
            payload = WebhookPayload.model_validate_json(body)
        except ValidationError as exc:
            log.warning("alertmanager webhook: bad payload: %s", exc)
            return 400, "bad payload"
        self.deliveries += 1
        try:
            self.on_payload(payload)
        except Exception:  # a broken consumer must not make Alertmanager retry forever
            log.exception("alertmanager webhook consumer failed")
        return 200, "ok"

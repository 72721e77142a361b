"""A local SMTP sink for a team's `email_configs`: the mail is accepted and kept.

A small asyncio server speaking the part of SMTP (RFC 5321) a mail client uses:
EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT. It advertises neither STARTTLS nor
AUTH (the rewritten config sets require_tls: false and drops credentials), so
nothing is negotiated that would need a real server. The rewritten config gives
each email integration its own EHLO name, `email.<receiver>.<index>`, which says
whose mail it is. Lines and messages are bounded in size and time.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import socket
from collections.abc import Callable
from email.message import EmailMessage
from urllib.parse import unquote

from simulator.teamalerting import protocols
from simulator.teamalerting.sinks import Notification

MAX_LINE = 64 * 1024  # a line of an HTML mail can be long
MAX_MESSAGE = 4 * 1024 * 1024
LINE_TIMEOUT_S = 10.0
MAX_COMMANDS = 200  # one session; Alertmanager needs fewer than ten


class SmtpSink:
    """Accepts mail on `sock`; each message becomes a Notification."""

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
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._session, sock=self.sock, limit=MAX_LINE)

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
            await asyncio.wait_for(self._server.wait_closed(), 2.0)
        self._server = None

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(
            ConnectionError, TimeoutError, ValueError, asyncio.IncompleteReadError
        ):
            await self._converse(reader, writer)
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()

    async def _converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def reply(text: str) -> None:
            writer.write(text.encode() + b"\r\n")
            await writer.drain()

        await reply("220 chaosdrill-sink ESMTP")
        hello = ""
        for _ in range(MAX_COMMANDS):
            line = await asyncio.wait_for(reader.readline(), LINE_TIMEOUT_S)
            if not line:
                return
            verb, _, arg = line.decode("latin-1").strip().partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                hello = arg.strip()
                await reply("250-chaosdrill-sink\r\n250-8BITMIME\r\n250 SIZE 4194304")
            elif verb == "HELO":
                hello = arg.strip()
                await reply("250 chaosdrill-sink")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                await reply("250 OK")
            elif verb == "DATA":
                await reply("354 End data with <CR><LF>.<CR><LF>")
                await reply(self._message(hello, await _read_data(reader)))
            elif verb == "QUIT":
                await reply("221 Bye")
                return
            else:
                await reply("502 Command not implemented")

    def _message(self, hello: str, data: bytes) -> str:
        parsed = email.message_from_bytes(data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        checked = protocols.email(parsed)
        _kind, receiver, index = [*hello.split(".", 2), "", ""][:3]
        self.record(
            Notification(
                unquote(receiver),
                "email",
                int(index) if index.isdigit() else 0,
                self.clock(),
                checked.firing,
                checked.status,
                checked.problems,
                [],
                checked.text,
                {"headers": dict(parsed.items()), "text": _text_of(parsed)},
            )
        )
        return "250 OK: queued"


async def _read_data(reader: asyncio.StreamReader) -> bytes:
    lines: list[bytes] = []
    size = 0
    while True:
        line = await asyncio.wait_for(reader.readline(), LINE_TIMEOUT_S)
        if not line or line in (b".\r\n", b".\n"):
            return b"".join(lines)
        size += len(line)
        if size > MAX_MESSAGE:
            raise ValueError("message too large")
        lines.append(line[1:] if line.startswith(b"..") else line)  # dot-unstuffing


def _text_of(message: EmailMessage) -> str:
    """The mail's plain text part (else its HTML), as a person's mail client shows it."""
    part = message.get_body(preferencelist=("plain", "html"))
    return str(part.get_content()) if isinstance(part, EmailMessage) else ""

"""One proxy: a listener, its upstream, its connections and its toxics (with their TTLs)."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import random
import socket

from simulator.proxy.addresses import Address
from simulator.proxy.errors import ApiError
from simulator.proxy.link import STREAM_LIMIT, Connection
from simulator.proxy.model import Toxic, updated_toxic

__all__ = ["Proxy"]

log = logging.getLogger("simulator.proxy")

CONNECT_TIMEOUT_S = 10.0
REENABLE_RETRY_S = 1.0  # a re-enable at a TTL deadline retries while the port is busy
BACKLOG = 1024


def _bind(address: Address) -> socket.socket:
    """A listening socket on `address` (one socket, so port 0 means one real port)."""
    try:
        family, kind, proto, _, sockaddr = socket.getaddrinfo(
            address.host, address.port, type=socket.SOCK_STREAM
        )[0]
    except socket.gaierror as exc:
        raise ApiError(f"cannot listen on {address}: {exc.strerror}", 400) from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(sockaddr)
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ApiError(
                f"listen address {address} is already in use; pick another port or use port 0",
                400,
            ) from None
        raise ApiError(f"cannot listen on {address}: {exc.strerror}", 400) from None
    sock.setblocking(False)
    return sock


class Proxy:
    """Accepts clients on `listen` and links each to a new connection to `upstream`."""

    def __init__(self, name: str, listen: Address, upstream: Address, rng: random.Random):
        self.name = name
        self.listen = listen
        self.upstream = upstream
        self.rng = rng
        self.enabled = False
        self.toxics: dict[str, Toxic] = {}
        self.connections: set[Connection] = set()
        self._server: asyncio.Server | None = None
        self._reenable: asyncio.TimerHandle | None = None
        self._reenable_at: float | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._handlers: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Listen (no-op when enabled); the bound port replaces port 0 in `listen`."""
        self._cancel_reenable()
        if self.enabled:
            return
        sock = _bind(self.listen)
        self._server = await asyncio.start_server(self._on_client, sock=sock, limit=STREAM_LIMIT)
        self.listen = Address(self.listen.host, sock.getsockname()[1])
        self.enabled = True
        log.info("proxy enabled", extra={"proxy": self.name, "listen": str(self.listen)})

    def stop(self, reenable_after_s: float | None = None) -> None:
        """Stop listening and drop every connection, like disabling a Toxiproxy proxy."""
        self._cancel_reenable()
        if self.enabled and self._server is not None:
            self._server.close()
            self._server = None
        self.enabled = False
        for conn in list(self.connections):
            conn.abort()
        if reenable_after_s is not None:
            loop = asyncio.get_running_loop()
            self._reenable_at = loop.time() + reenable_after_s
            self._reenable = loop.call_later(reenable_after_s, self._auto_enable)

    async def update(
        self, listen: Address, upstream: Address, enabled: bool, ttl_s: float | None
    ) -> None:
        """Apply new fields; a new listen or upstream address restarts the proxy.

        If the new address cannot be bound, the old addresses are restored.
        """
        if (listen, upstream) != (self.listen, self.upstream):
            old, was_enabled = (self.listen, self.upstream), self.enabled
            self.stop()
            self.listen, self.upstream = listen, upstream
            if enabled:
                try:
                    await self.start()
                except ApiError:
                    self.listen, self.upstream = old
                    if was_enabled:
                        await self.start()
                    raise
        if enabled:
            await self.start()
        elif self.enabled or ttl_s is not None:
            self.stop(reenable_after_s=ttl_s)

    def close(self) -> None:
        """Stop for good: listener, connections and every timer."""
        self.stop()
        for task in self._tasks:
            task.cancel()
        for toxic in self.toxics.values():
            if toxic.timer is not None:
                toxic.timer.cancel()
        self.toxics.clear()

    async def wait_closed(self, timeout_s: float = 2.0) -> None:
        """Wait for the connection handlers to finish after `close()`/`stop()`."""
        handlers = list(self._handlers)
        if handlers:
            _, pending = await asyncio.wait(handlers, timeout=timeout_s)
            for task in pending:  # still connecting upstream: give up on it
                task.cancel()
            if pending:
                await asyncio.wait(pending)

    # Toxics -----------------------------------------------------------------

    def add_toxic(self, toxic: Toxic) -> None:
        """Start `toxic` on every connection it applies to; schedule its removal at its TTL."""
        if toxic.name in self.toxics:
            raise ApiError.toxic_exists(toxic.name)
        self._insert(toxic, toxic.ttl_s)
        log.info("toxic added", extra={"proxy": self.name, "toxic": toxic.name})

    def remove_toxic(self, name: str, reason: str = "api") -> Toxic:
        toxic = self.get_toxic(name)
        del self.toxics[name]
        if toxic.timer is not None:
            toxic.timer.cancel()
        for conn in list(self.connections):
            conn.detach(toxic)
        log.info("toxic removed", extra={"proxy": self.name, "toxic": name, "reason": reason})
        return toxic

    def update_toxic(self, name: str, body: object) -> Toxic:
        """Replace a toxic's settings; connections decide again whether it applies.

        A new `ttl_s` in the body restarts the countdown; otherwise the old deadline holds.
        """
        old = self.get_toxic(name)
        new, ttl_s = updated_toxic(old, body)
        self.remove_toxic(name, reason="update")
        if ttl_s is None and old.expires_at is not None:
            ttl_s = max(0.0, old.expires_at - asyncio.get_running_loop().time())
        self._insert(new, ttl_s)
        return new

    def get_toxic(self, name: str) -> Toxic:
        try:
            return self.toxics[name]
        except KeyError:
            raise ApiError.toxic_not_found(name) from None

    def reset_toxics(self) -> None:
        for name in list(self.toxics):
            self.remove_toxic(name, reason="reset")

    def _insert(self, toxic: Toxic, expire_after_s: float | None) -> None:
        self.toxics[toxic.name] = toxic
        toxic.expires_at = toxic.timer = None
        if expire_after_s is not None:
            loop = asyncio.get_running_loop()
            toxic.expires_at = loop.time() + expire_after_s
            toxic.timer = loop.call_later(expire_after_s, self._expire, toxic)
        for conn in list(self.connections):
            conn.attach(toxic)

    def _expire(self, toxic: Toxic) -> None:
        if self.toxics.get(toxic.name) is toxic:
            self.remove_toxic(toxic.name, reason="ttl")

    # Re-enable at a TTL deadline --------------------------------------------

    def reenable_in_s(self) -> float | None:
        if self._reenable_at is None:
            return None
        return round(max(0.0, self._reenable_at - asyncio.get_running_loop().time()), 3)

    def _cancel_reenable(self) -> None:
        if self._reenable is not None:
            self._reenable.cancel()
        self._reenable = self._reenable_at = None

    def _auto_enable(self) -> None:
        task = asyncio.create_task(self._enable_or_retry())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _enable_or_retry(self) -> None:
        try:
            await self.start()
            log.info("proxy re-enabled", extra={"proxy": self.name, "reason": "ttl"})
        except ApiError as exc:
            log.error("re-enable failed", extra={"proxy": self.name, "error": exc.message})
            loop = asyncio.get_running_loop()
            self._reenable_at = loop.time() + REENABLE_RETRY_S
            self._reenable = loop.call_later(REENABLE_RETRY_S, self._auto_enable)

    # Data path --------------------------------------------------------------

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = Connection(reader, writer, self.rng)
        self.connections.add(conn)
        handler = asyncio.current_task()
        assert handler is not None
        self._handlers.add(handler)
        try:
            for toxic in list(self.toxics.values()):
                conn.attach(toxic)  # may reset it at once (down)
            if conn.closed:
                return
            try:
                up_reader, up_writer = await asyncio.wait_for(
                    asyncio.open_connection(
                        self.upstream.host, self.upstream.port, limit=STREAM_LIMIT
                    ),
                    CONNECT_TIMEOUT_S,
                )
            except (OSError, TimeoutError) as exc:
                log.warning("upstream unreachable", extra={"proxy": self.name, "error": str(exc)})
                conn.close()
                return
            conn.bind_upstream(up_reader, up_writer)
            if conn.closed:  # disabled or reset while we were connecting
                up_writer.transport.abort()
                return
            await conn.run()
        except asyncio.CancelledError:
            conn.abort()  # closing: end quietly (3.11's stream callback logs cancelled handlers)
        finally:
            self.connections.discard(conn)
            self._handlers.discard(handler)
            with contextlib.suppress(RuntimeError):  # the loop is closing: the transport is gone
                writer.close()

"""`ProxyServer`: the proxies, their toxics and the control API, on one event loop.

The API is a Starlette app served by uvicorn on the same loop as the data path
(no thread, no second loop), so a request changes the proxies without locking.
Use it in-process (`await server.start()` ... `await server.stop()`), from sync
code through `ProxyServerThread`, or as its own process with
`python -m simulator.proxy`, which is how the engine runs it so that TTLs are
still enforced if the engine dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
from collections.abc import Generator

import uvicorn

from simulator.proxy.addresses import Address, parse_address
from simulator.proxy.api import VERSION, build_app
from simulator.proxy.proxy import Proxy
from simulator.proxy.registry import ProxyRegistry

__all__ = ["VERSION", "ProxyServer"]

log = logging.getLogger("simulator.proxy")

IDLE_TIMEOUT_S = 120.0  # keep-alive: clients such as toxiproxy-python reuse a session
SHUTDOWN_GRACE_S = 2  # requests still running at stop get this long


def _require_loopback(address: Address) -> None:
    host = address.host
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(
            f"the control API must listen on loopback (127.0.0.1 or ::1), not {host!r}"
        )


def _listen(address: Address) -> socket.socket:
    """One bound socket, so port 0 becomes one real port we can report."""
    family, kind, proto, _, sockaddr = socket.getaddrinfo(
        address.host, address.port, type=socket.SOCK_STREAM
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(sockaddr)
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


class _ApiServer(uvicorn.Server):
    """uvicorn, minus its signal handlers: SIGINT/SIGTERM belong to the proxy's CLI."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class ProxyServer:
    """A Toxiproxy-compatible chaos proxy with TTLs on toxics and on disabled proxies."""

    def __init__(
        self, api: str = "127.0.0.1:0", *, default_ttl_s: float = 0.0, seed: int | None = None
    ) -> None:
        self.api_address = parse_address(api, "api address")
        _require_loopback(self.api_address)
        self.registry = ProxyRegistry(default_ttl_s=default_ttl_s, seed=seed)
        self._uvicorn: uvicorn.Server | None = None
        self._serving: asyncio.Task[None] | None = None
        self._socket: socket.socket | None = None

    @property
    def api_url(self) -> str:
        return f"http://{self.api_address}"

    @property
    def proxies(self) -> dict[str, Proxy]:
        return self.registry.proxies

    async def start(self) -> None:
        """Serve the control API; port 0 is replaced by the bound port."""
        config = uvicorn.Config(
            build_app(self.registry),
            lifespan="off",
            ws="none",
            log_config=None,  # the proxy's own logging setup stays as it is
            log_level="warning",
            access_log=False,
            server_header=False,
            timeout_keep_alive=int(IDLE_TIMEOUT_S),
            timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
        )
        self._socket = _listen(self.api_address)
        self._uvicorn = _ApiServer(config)
        self._serving = asyncio.create_task(self._uvicorn.serve(sockets=[self._socket]))
        while not self._uvicorn.started and not self._serving.done():
            await asyncio.sleep(0.01)
        if self._serving.done():
            self._socket.close()
            self._serving.result()  # raises what stopped uvicorn from starting
            raise OSError(f"the control API on {self.api_address} did not start")
        self.api_address = Address(self.api_address.host, self._socket.getsockname()[1])
        log.info("api listening", extra={"api": str(self.api_address)})

    async def stop(self) -> None:
        """Stop the API and every proxy, dropping their connections."""
        if self._uvicorn is not None and self._serving is not None:
            self._uvicorn.should_exit = True
            await self._serving  # closes idle keep-alive connections, finishes the rest
            self._uvicorn = self._serving = self._socket = None
        await self.registry.close()

"""Run a `ProxyServer` on its own event loop in a background thread, for sync callers."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, TypeVar

from simulator.proxy.server import ProxyServer

__all__ = ["ProxyServerThread"]

T = TypeVar("T")
START_TIMEOUT_S = 10.0


class ProxyServerThread:
    """`with ProxyServerThread() as server: httpx.get(server.api_url + "/proxies")`."""

    def __init__(
        self, api: str = "127.0.0.1:0", *, default_ttl_s: float = 0.0, seed: int | None = None
    ) -> None:
        self.server = ProxyServer(api, default_ttl_s=default_ttl_s, seed=seed)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    @property
    def api_url(self) -> str:
        return self.server.api_url

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro` on the server's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(START_TIMEOUT_S)

    def start(self) -> ProxyServerThread:
        self._thread.start()
        self.call(self.server.start())
        return self

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        try:
            self.call(self.server.stop())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(START_TIMEOUT_S)
            self._cancel_leftovers()
            self._loop.close()

    def _cancel_leftovers(self) -> None:
        # Connection tasks were cancelled by stop(); let them finish on the loop.
        pending = asyncio.all_tasks(self._loop)
        for task in pending:
            task.cancel()
        if pending:
            self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))

    def __enter__(self) -> ProxyServerThread:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

"""Readiness probes that answer within a budget even when a dependency hangs.

Each probe runs its blocking check in a thread of its own, one at a time: a
check that hangs is reported as "no answer" on every call until it returns,
instead of piling up one more stuck thread per probe call (the detector calls
/readyz every second) and starving the other checks.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future

POLL_S = 0.01


class Probe:
    """A named blocking check (raises when the dependency is not usable)."""

    def __init__(self, name: str, check: Callable[[], None]) -> None:
        self.name = name
        self._check = check
        self._inflight: Future[None] | None = None
        self._lock = threading.Lock()

    def _current(self) -> Future[None]:
        with self._lock:
            if self._inflight is None or self._inflight.done():
                future: Future[None] = Future()
                threading.Thread(
                    target=self._run, args=(future,), name=f"probe-{self.name}", daemon=True
                ).start()
                self._inflight = future
            return self._inflight

    def _run(self, future: Future[None]) -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            self._check()
        except BaseException as exc:
            future.set_exception(exc)
        else:
            future.set_result(None)

    async def run(self, budget_s: float) -> tuple[bool, str]:
        """(ok, message) within `budget_s`; polls so no loop-bound callback
        outlives the event loop that asked."""
        future = self._current()
        deadline = time.monotonic() + budget_s
        while not future.done():
            if time.monotonic() >= deadline:
                return False, f"no answer within {budget_s}s"
            await asyncio.sleep(POLL_S)
        exc = future.exception()
        if exc is None:
            return True, "ok"
        first_line = (str(exc).splitlines() or [""])[0][:200]
        return False, f"{type(exc).__name__}: {first_line}"

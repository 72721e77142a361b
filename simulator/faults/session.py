"""A scope whose faults are reverted however it ends: normally, by an
exception, or by SIGINT/SIGTERM (Chaos Toolkit skips rollbacks after an
interruption; we never do)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from simulator.faults.journal import JournalEntry
from simulator.faults.manager import DEFAULT_TTL_S, FaultManager

Handler = Callable[[int, FrameType | None], Any] | int | None


class Interrupted(Exception):
    """Raised inside the scope when SIGINT or SIGTERM arrives."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by {signal.Signals(signum).name}")
        self.signum = signum


class FaultSession:
    """`with FaultSession(state_dir) as s: s.inject(...)`; on exit, everything it
    injected that is still open is reverted."""

    def __init__(self, state_dir: Path, *, handle_signals: bool = True) -> None:
        self.manager = FaultManager(state_dir)
        self.injected: list[JournalEntry] = []
        self.handle_signals = (
            handle_signals and threading.current_thread() is threading.main_thread()
        )
        self._previous: dict[int, Handler] = {}

    def inject(
        self, kind: str, params: dict[str, Any] | None = None, ttl_s: float = DEFAULT_TTL_S
    ) -> JournalEntry:
        entry = self.manager.inject(kind, params, ttl_s)
        self.injected.append(entry)
        return entry

    def revert_all(self, reason: str) -> list[JournalEntry]:
        mine = {e.id for e in self.injected}
        done = []
        for entry in reversed(self.manager.active()):
            if entry.id in mine:
                done.append(self.manager.revert(entry.id, reason=reason))
        return done

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        raise Interrupted(signum)

    def __enter__(self) -> FaultSession:
        if self.handle_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._on_signal)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Ignore further signals while reverting: a second Ctrl-C must not
        # leave the revert half-done.
        if self.handle_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, signal.SIG_IGN)
        try:
            reason = (
                "abort"
                if isinstance(exc, Interrupted | KeyboardInterrupt)
                else ("error" if exc else "done")
            )
            self.revert_all(reason)
        finally:
            for signum, handler in self._previous.items():
                signal.signal(signum, handler)

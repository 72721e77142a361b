"""The per-second snapshots of a load run, on their way to whoever iterates them.

Bounded: a consumer that falls more than `backlog` seconds behind loses the
oldest. The engine never iterates (it polls `LoadRunner.latest()`), and an
unbounded queue there kept one snapshot a second for as long as a drill ran:
the steady growth of the engine's memory that the soak bench measured (issue 18).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")

DEFAULT_BACKLOG = 60  # seconds of snapshots: a live consumer reads one a second


class Feed(Generic[T]):
    """A bounded, thread-safe FIFO with an end: one writer thread, any readers."""

    def __init__(self, backlog: int = DEFAULT_BACKLOG) -> None:
        if backlog < 1:
            raise ValueError(f"a feed holds at least one item, not {backlog}")
        self._items: deque[T] = deque(maxlen=backlog)
        self._changed = threading.Condition()
        self._ended = False
        self.dropped = 0  # items that fell off the old end unread

    def put(self, item: T) -> None:
        with self._changed:
            if len(self._items) == self._items.maxlen:
                self.dropped += 1
            self._items.append(item)
            self._changed.notify_all()

    def end(self) -> None:
        """No more items: readers get what is left, then the end."""
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def get(self, timeout_s: float) -> tuple[T | None, bool]:
        """(the oldest unread item, False), or (None, True) at the end,
        or (None, False) when nothing came within `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while not self._items and not self._ended:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None, False
                self._changed.wait(left)
            if self._items:
                return self._items.popleft(), False
            return None, True

    def __len__(self) -> int:
        with self._changed:
            return len(self._items)

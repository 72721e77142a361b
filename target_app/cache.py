"""The in-process cache behind recommendations (a non-critical feature)."""

from __future__ import annotations

import mmap
import threading
import time
from typing import Any


class RecommendationCache:
    """Entries expire after `ttl_s`. `bloat` is how a memory leak fault grows it."""

    def __init__(self, ttl_s: float = 30.0) -> None:
        self.ttl_s = ttl_s
        self._entries: dict[int, tuple[float, list[dict[str, Any]]]] = {}
        self._bloat: list[mmap.mmap] = []
        self._lock = threading.Lock()

    def get(self, key: int) -> list[dict[str, Any]] | None:
        with self._lock:
            hit = self._entries.get(key)
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    def put(self, key: int, value: list[dict[str, Any]]) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic() + self.ttl_s, value)

    def bloat(self, nbytes: int) -> None:
        """Hold `nbytes` more of resident memory (how a memory leak fault grows)."""
        # An anonymous mapping of its own: freeing it really returns the memory
        # to the OS. Buffers from malloc may stay in its heap after free (glibc
        # raises its mmap threshold as it goes), so RSS would not fall reliably.
        chunk = mmap.mmap(-1, nbytes)
        for i in range(0, nbytes, mmap.PAGESIZE):  # touch every page: resident, not reserved
            chunk[i] = 1
        with self._lock:
            self._bloat.append(chunk)

    def bloat_bytes(self) -> int:
        with self._lock:
            return sum(len(c) for c in self._bloat)

    def drop_bloat(self) -> None:
        with self._lock:
            chunks, self._bloat = self._bloat, []
        for chunk in chunks:
            chunk.close()

    def clear(self) -> int:
        """Drop every entry (and any bloat); returns how many entries were dropped."""
        with self._lock:
            dropped = len(self._entries) + len(self._bloat)
            self._entries.clear()
        self.drop_bloat()
        return dropped

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"entries": len(self._entries), "bytes": sum(len(c) for c in self._bloat)}

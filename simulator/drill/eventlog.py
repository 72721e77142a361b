"""The drill's event log: append-only, in SQLite (WAL), the one truth of a drill.

Engine, responders, console and scoring read and write this log; nothing keeps
a second copy. `t` is seconds since the drill started on the monotonic clock.
Subscribers (the console's live streams, the autopilot) get every new event.

Memory stays flat however long a drill runs (issue 18): the bulk events (an
`sli.sample` a second) live in SQLite only, besides the newest few. In memory
are every other event (what the engine and the responders did: tens to hundreds
a drill), the newest `RECENT` of any type (what a live stream asks for) and the
newest of each type. Reads that need older bulk events go to SQLite.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scoring.events import Event, read_events_db, to_jsonl

Subscriber = Callable[[Event], None]
log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    drill_id TEXT NOT NULL,
    type TEXT NOT NULL,
    t REAL NOT NULL,
    wall TEXT NOT NULL,
    actor TEXT NOT NULL,
    data TEXT NOT NULL
)
"""
# of_type() of a bulk type reads SQLite: by type, not the whole table.
INDEX = "CREATE INDEX IF NOT EXISTS events_by_type ON events (type, seq)"
# One a second for the whole drill: read back from SQLite, not kept in memory.
BULK_TYPES = frozenset({"sli.sample"})
RECENT = 64  # newest events of any type kept in memory: a live stream's catch-up
COLUMNS = "seq, drill_id, type, t, wall, actor, data"
CACHE_KIB = 256  # SQLite page cache: full within the warm-up (see __init__)


class EventLog:
    """Thread-safe: the asyncio engine and worker threads append to one log."""

    def __init__(self, path: Path, drill_id: str, t0: float | None = None) -> None:
        self.path = path
        self.drill_id = drill_id
        self.t0 = time.monotonic() if t0 is None else t0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        # SQLite's page cache (2 MB by default) would fill for most of an hour as the
        # log grows; reads of old events find their pages in the OS's cache anyway.
        self._db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        self._db.execute(SCHEMA)
        self._lock = threading.Lock()
        self._subscribers: list[Subscriber] = []
        self._seq = 0  # the last seq appended
        self._kept: list[Event] = []  # every event not of a bulk type, in order
        self._recent: deque[Event] = deque(maxlen=RECENT)  # seqs without a gap
        self._latest: dict[str, Event] = {}
        row = self._db.execute("SELECT COUNT(*), MAX(drill_id) FROM events").fetchone()
        if row[0]:
            self._db.close()
            raise ValueError(
                f"{path} already holds the log of drill {row[1]}; two drills never share "
                "one event log: choose another report directory"
            )
        self._db.execute(INDEX)

    def now(self) -> float:
        """Seconds since the drill started."""
        return time.monotonic() - self.t0

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        if subscriber in self._subscribers:
            self._subscribers.remove(subscriber)

    def append(
        self, type_: str, data: dict[str, Any] | None = None, actor: str = "engine"
    ) -> Event:
        """Record one fact; subscribers hear of it after it is stored."""
        # The data as the file holds it (a Path as text, a tuple as a list): an
        # event reads the same from memory, from SQLite and from the export.
        text = json.dumps(data or {}, default=str)
        with self._lock:
            event = Event(
                seq=self._seq + 1,
                drill_id=self.drill_id,
                type=type_,
                t=round(self.now(), 3),
                wall=datetime.now(UTC),
                actor=actor,
                data=json.loads(text),
            )
            self._db.execute(
                f"INSERT INTO events ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    event.seq,
                    event.drill_id,
                    event.type,
                    event.t,
                    event.wall.isoformat(),
                    event.actor,
                    text,
                ),
            )
            self._seq = event.seq
            if type_ not in BULK_TYPES:
                self._kept.append(event)
            self._recent.append(event)
            self._latest[type_] = event
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            try:
                subscriber(event)
            except Exception:  # a broken listener must never stop a drill
                log.exception("event subscriber %r failed", subscriber)
        return event

    def events(self, since_seq: int = 0) -> list[Event]:
        """Every event after `since_seq`, in order."""
        with self._lock:
            if since_seq >= self._seq:
                return []
            if self._recent and since_seq >= self._recent[0].seq - 1:
                return list(self._recent)[since_seq - self._recent[0].seq + 1 :]
            rows = self._db.execute(
                f"SELECT {COLUMNS} FROM events WHERE seq > ? ORDER BY seq", (since_seq,)
            ).fetchall()
        return _from_rows(rows)

    def of_type(self, *types: str) -> list[Event]:
        """The events of these types, in order."""
        with self._lock:
            if BULK_TYPES.isdisjoint(types):
                return [e for e in self._kept if e.type in types]
            marks = ", ".join("?" * len(types))
            rows = self._db.execute(
                f"SELECT {COLUMNS} FROM events WHERE type IN ({marks}) ORDER BY seq", types
            ).fetchall()
        return _from_rows(rows)

    def latest(self, type_: str) -> Event | None:
        """The newest event of this type, or None (the console's current SLIs)."""
        with self._lock:
            return self._latest.get(type_)

    def export_jsonl(self, path: Path) -> Path:
        path.write_text(to_jsonl(self.events()), encoding="utf-8")
        return path

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _from_rows(rows: Sequence[tuple[int, str, str, float, str, str, str]]) -> list[Event]:
    """Events this log wrote itself: rebuilt without validating them again (fast)."""
    return [
        Event(
            seq=seq,
            drill_id=drill_id,
            type=type_,
            t=t,
            wall=datetime.fromisoformat(wall),
            actor=actor,
            data=json.loads(data),
        )
        for seq, drill_id, type_, t, wall, actor, data in rows
    ]


def load_log(path: Path) -> list[Event]:
    """Read a drill's events back from its SQLite file (after a crash, say)."""
    return read_events_db(path)

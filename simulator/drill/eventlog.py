"""The drill's event log: append-only, in SQLite (WAL), the one truth of a drill.

Engine, responders, console and scoring read and write this log; nothing keeps
a second copy. `t` is seconds since the drill started on the monotonic clock.
Subscribers (the console's live streams, the autopilot) get every new event.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
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
        self._db.execute(SCHEMA)
        self._lock = threading.Lock()
        self._subscribers: list[Subscriber] = []
        self._events: list[Event] = []
        row = self._db.execute("SELECT COUNT(*), MAX(drill_id) FROM events").fetchone()
        if row[0]:
            self._db.close()
            raise ValueError(
                f"{path} already holds the log of drill {row[1]}; two drills never share "
                "one event log: choose another report directory"
            )

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
        with self._lock:
            event = Event(
                seq=self._events[-1].seq + 1 if self._events else 1,
                drill_id=self.drill_id,
                type=type_,
                t=round(self.now(), 3),
                wall=datetime.now(UTC),
                actor=actor,
                data=data or {},
            )
            self._db.execute(
                "INSERT INTO events (seq, drill_id, type, t, wall, actor, data) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    event.seq,
                    event.drill_id,
                    event.type,
                    event.t,
                    event.wall.isoformat(),
                    event.actor,
                    json.dumps(event.data, default=str),
                ),
            )
            self._events.append(event)
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            try:
                subscriber(event)
            except Exception:  # a broken listener must never stop a drill
                log.exception("event subscriber %r failed", subscriber)
        return event

    def events(self, since_seq: int = 0) -> list[Event]:
        with self._lock:
            return self._events[since_seq:]

    def of_type(self, *types: str) -> list[Event]:
        with self._lock:
            return [e for e in self._events if e.type in types]

    def export_jsonl(self, path: Path) -> Path:
        path.write_text(to_jsonl(self.events()), encoding="utf-8")
        return path

    def close(self) -> None:
        with self._lock:
            self._db.close()


def load_log(path: Path) -> list[Event]:
    """Read a drill's events back from its SQLite file (after a crash, say)."""
    return read_events_db(path)

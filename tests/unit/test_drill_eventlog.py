"""The drill's event log in SQLite (simulator/drill/eventlog.py)."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scoring.events import Event, read_jsonl
from simulator.drill.eventlog import EventLog, load_log

DRILL = "drill-unit-1"


@pytest.fixture
def log(tmp_path: Path) -> Iterator[EventLog]:
    event_log = EventLog(tmp_path / "drill" / "events.db", DRILL)
    try:
        yield event_log
    finally:
        event_log.close()


def test_append_numbers_events_from_one_and_stamps_them(log: EventLog) -> None:
    before = datetime.now(UTC)
    first = log.append("drill.started", {"scenario_id": "db-lock"})
    second = log.append("fault.injected", {"fault_id": "f1"}, actor="engine")
    third = log.append("incident.acknowledged", actor="trainee:ann")
    assert [e.seq for e in (first, second, third)] == [1, 2, 3]
    assert all(e.drill_id == DRILL for e in (first, second, third))
    assert (first.actor, third.actor) == ("engine", "trainee:ann")
    assert third.data == {}
    assert 0 <= first.t <= second.t <= third.t
    assert before <= first.wall <= datetime.now(UTC)
    assert log.events() == [first, second, third]
    assert log.events(since_seq=2) == [third]


def test_t_counts_from_the_given_drill_start(tmp_path: Path) -> None:
    event_log = EventLog(tmp_path / "e.db", DRILL, t0=time.monotonic() - 100.0)
    try:
        event = event_log.append("drill.started")
        assert 100.0 <= event.t < 200.0
        assert event.t == round(event.t, 3)  # stored to the millisecond
        assert event_log.now() >= event.t - 0.0005  # rounding may have gone up
    finally:
        event_log.close()


def test_of_type_filters_in_order(log: EventLog) -> None:
    log.append("alert.firing", {"alert_id": "a1"})
    log.append("page.sent", {"page_id": "PG-1"})
    log.append("alert.firing", {"alert_id": "a2"})
    assert [e.data["alert_id"] for e in log.of_type("alert.firing")] == ["a1", "a2"]
    assert [e.type for e in log.of_type("page.sent", "alert.firing")] == [
        "alert.firing",
        "page.sent",
        "alert.firing",
    ]
    assert log.of_type("drill.finished") == []


def test_subscribers_hear_every_event_after_it_is_stored(log: EventLog) -> None:
    heard: list[tuple[int, int]] = []

    def listener(event: Event) -> None:
        # The event is already in the log when the subscriber hears of it.
        heard.append((event.seq, len(log.events())))

    log.subscribe(listener)
    log.append("drill.started")
    log.append("sli.sample", {"rps": 50.0})
    log.unsubscribe(listener)
    log.append("drill.finished")
    log.unsubscribe(listener)  # twice is harmless
    assert heard == [(1, 1), (2, 2)]


def test_a_raising_subscriber_does_not_stop_appends_or_other_subscribers(
    log: EventLog, caplog: pytest.LogCaptureFixture
) -> None:
    heard: list[str] = []

    def broken(event: Event) -> None:
        raise RuntimeError("notifier down")

    log.subscribe(broken)
    log.subscribe(lambda event: heard.append(event.type))
    with caplog.at_level(logging.ERROR, logger="simulator.drill.eventlog"):
        event = log.append("page.sent", {"page_id": "PG-1"})
        log.append("incident.acknowledged")
    assert event.seq == 1
    assert [e.type for e in log.events()] == ["page.sent", "incident.acknowledged"]
    assert heard == ["page.sent", "incident.acknowledged"]
    assert "notifier down" in caplog.text


def test_appends_from_many_threads_get_distinct_sequence_numbers(log: EventLog) -> None:
    def worker(n: int) -> None:
        for i in range(25):
            log.append("sli.sample", {"worker": n, "i": i})

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [e.seq for e in log.events()] == list(range(1, 101))
    assert [e.seq for e in load_log(log.path)] == list(range(1, 101))


def test_export_jsonl_round_trips_through_scoring(log: EventLog, tmp_path: Path) -> None:
    log.append("drill.started", {"scenario_id": "db-lock", "time_scale": 1.0})
    log.append("alert.firing", {"name": "error_rate", "severity": "high", "value": 0.07})
    log.append("incident.update_posted", {"fields": {"summary": "ünïcode ✓"}}, "trainee:ann")
    path = log.export_jsonl(tmp_path / "out.jsonl")
    assert path == tmp_path / "out.jsonl"
    assert read_jsonl(path) == log.events()
    assert len(path.read_text(encoding="utf-8").splitlines()) == 3


def test_load_log_reads_the_sqlite_file_back(log: EventLog) -> None:
    log.append("drill.started", {"scenario_id": "db-lock", "participants": [{"name": "ann"}]})
    log.append("action.executed", {"action": "db.kill_long_queries", "args": []}, "autopilot")
    assert load_log(log.path) == log.events()


def test_load_log_after_the_writer_is_gone(tmp_path: Path) -> None:
    # A crashed drill: a new process reads what the old one wrote.
    path = tmp_path / "crashed.db"
    writer = EventLog(path, DRILL)
    written = [writer.append("drill.started"), writer.append("fault.injected", {"kind": "x"})]
    writer.close()
    assert load_log(path) == written


def test_data_that_is_not_json_is_stored_as_text(log: EventLog) -> None:
    log.append("fault.injected", {"path": tmp_path_like(), "n": 3})
    (event,) = load_log(log.path)
    assert event.data == {"path": "/var/lib/shop", "n": 3}


def tmp_path_like() -> Path:
    return Path("/var/lib/shop")


def test_the_file_is_a_wal_sqlite_database(log: EventLog) -> None:
    log.append("drill.started")
    db = sqlite3.connect(log.path)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("SELECT seq, drill_id, type FROM events").fetchall() == [
            (1, DRILL, "drill.started")
        ]
    finally:
        db.close()


def test_data_reads_the_same_from_memory_and_from_the_file(log: EventLog) -> None:
    event = log.append("fault.injected", {"path": tmp_path_like(), "ports": (1, 2)})
    assert event.data == {"path": "/var/lib/shop", "ports": [1, 2]}
    assert log.events() == load_log(log.path) == [event]


def fill(log: EventLog, samples: int) -> list[Event]:
    """A long drill: a sample a second, and now and then something else."""
    written = [log.append("drill.started")]
    for n in range(samples):
        written.append(log.append("sli.sample", {"rps": float(n), "checks": [{"ok": True}]}))
        if n % 100 == 50:
            written.append(log.append("alert.firing", {"alert_id": f"a{n}"}, "detector"))
    return written


def test_every_read_agrees_with_the_file_however_far_back_it_reaches(log: EventLog) -> None:
    written = fill(log, 1000)  # far more than the log keeps in memory
    on_file = load_log(log.path)
    assert written == on_file
    assert log.events() == on_file
    for since in (0, 1, 500, len(on_file) - 300, len(on_file) - 5, len(on_file)):
        assert log.events(since_seq=since) == on_file[since:], since
    assert log.events(since_seq=len(on_file) + 10) == []
    assert log.of_type("sli.sample") == [e for e in on_file if e.type == "sli.sample"]
    both = log.of_type("alert.firing", "sli.sample")
    assert both == [e for e in on_file if e.type in ("alert.firing", "sli.sample")]
    assert [e.data["alert_id"] for e in log.of_type("alert.firing")] == [
        f"a{n}" for n in range(50, 1000, 100)
    ]
    assert log.latest("sli.sample") == on_file[-1]
    assert log.latest("drill.finished") is None


def test_memory_stays_flat_however_many_samples_a_drill_logs(log: EventLog) -> None:
    tracemalloc.start()  # before the warm-up: what it leaves is traced when freed
    try:
        fill(log, 500)  # warm: the in-memory window is full
        before = tracemalloc.get_traced_memory()[0]
        fill(log, 3000)  # ~4.5 MB if every event stayed in memory
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # What stays is the 31 alerts (a few hundred bytes each) and allocator slack.
    assert grown < 100_000, f"{grown} bytes kept for 3000 samples"

"""Reading logs: corrupt lines are named, unknown event types are kept and ignored."""

from __future__ import annotations

import gc
import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from scoring.drill import DrillView
from scoring.events import (
    Event,
    EventLogError,
    read_events_db,
    read_jsonl,
    read_log,
    write_jsonl,
)
from scoring.expectations import Expectations
from scoring.playbook import load_playbook
from scoring.scorecard import score_drill

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden"


def test_a_corrupt_line_is_named(tmp_path: Path) -> None:
    lines = (GOLDEN / "aborted.jsonl").read_text().splitlines()
    lines[41] = lines[41][:30]  # cut a line in half, as a crash would
    log = tmp_path / "crashed.jsonl"
    log.write_text("\n".join(lines) + "\n")
    with pytest.raises(EventLogError, match=r"crashed\.jsonl:42: not valid JSON"):
        read_jsonl(log)


def test_a_line_missing_a_field_is_named(tmp_path: Path) -> None:
    log = tmp_path / "bad.jsonl"
    log.write_text('{"seq": 0, "drill_id": "d", "type": "x", "wall": "2026-01-01T00:00:00Z"}\n')
    with pytest.raises(EventLogError, match=r"bad\.jsonl:1: field 't'"):
        read_jsonl(log)


def test_unknown_event_types_are_kept_and_ignored(tmp_path: Path) -> None:
    events = read_jsonl(GOLDEN / "team.jsonl")
    assert any(e.type == "chat.message" for e in events)  # kept by the reader
    key = Expectations.model_validate(
        next(e for e in events if e.type == "answer_key.revealed").data
    )
    playbook = load_playbook(None)
    without = [e for e in events if e.type != "chat.message"]
    assert (
        score_drill(events, key, playbook).model_dump()
        == score_drill(without, key, playbook).model_dump()
    )
    # And they survive a round trip through JSON Lines.
    copy = tmp_path / "copy.jsonl"
    write_jsonl(copy, events)
    assert read_jsonl(copy) == events


def test_a_bad_time_scale_is_one_clear_error() -> None:
    events = read_jsonl(GOLDEN / "scaled.jsonl")
    started = events[0].replace(**{"data": {**events[0].data, "time_scale": 0}})
    with pytest.raises(ValueError, match="time_scale is 0; it must be a positive number"):
        DrillView([started, *events[1:]])


def write_events_db(path: Path, events: list[Event], *, keep_open: bool = False) -> None:
    """An events.db as the engine writes it (WAL); `keep_open` leaves the WAL unmerged."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(
        "CREATE TABLE events (seq INTEGER PRIMARY KEY, drill_id TEXT NOT NULL, type TEXT NOT"
        " NULL, t REAL NOT NULL, wall TEXT NOT NULL, actor TEXT NOT NULL, data TEXT NOT NULL)"
    )
    db.executemany(
        "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (e.seq, e.drill_id, e.type, e.t, e.wall.isoformat(), e.actor, json.dumps(e.data))
            for e in events
        ],
    )
    if keep_open:
        OPEN.append(db)
    else:
        db.close()


OPEN: list[sqlite3.Connection] = []


@pytest.fixture(autouse=True)
def _close_open_dbs() -> Iterator[None]:
    yield
    while OPEN:
        OPEN.pop().close()


def test_an_events_db_reads_like_its_jsonl_export(tmp_path: Path) -> None:
    events = read_jsonl(GOLDEN / "team.jsonl")
    write_events_db(tmp_path / "events.db", events, keep_open=True)  # a live or killed writer
    log = read_log(tmp_path / "events.db")
    assert (log.format, log.warnings) == ("sqlite", [])
    assert log.events == events == read_events_db(tmp_path / "events.db")
    assert (tmp_path / "events.db-wal").is_file()  # read-only: the writer's WAL is left alone


def test_the_format_is_told_by_content_not_name(tmp_path: Path) -> None:
    events = read_jsonl(GOLDEN / "scaled.jsonl")
    write_events_db(tmp_path / "drill.jsonl", events)
    write_jsonl(tmp_path / "events.db", events)
    assert read_log(tmp_path / "drill.jsonl").events == read_log(tmp_path / "events.db").events


def test_a_report_directory_reads_its_events_db_else_its_jsonl(tmp_path: Path) -> None:
    events = read_jsonl(GOLDEN / "scaled.jsonl")
    write_jsonl(tmp_path / "events.jsonl", events[:-1])
    assert read_log(tmp_path).path == tmp_path / "events.jsonl"
    write_events_db(tmp_path / "events.db", events)
    log = read_log(tmp_path)
    assert log.path == tmp_path / "events.db" and log.events == events
    (tmp_path / "empty").mkdir()
    with pytest.raises(EventLogError, match=r"empty holds neither events\.db nor events\.jsonl"):
        read_log(tmp_path / "empty")


def test_a_cut_off_last_line_is_a_warning_not_an_error(tmp_path: Path) -> None:
    text = (GOLDEN / "aborted.jsonl").read_text()
    lines = text.splitlines()
    log = tmp_path / "killed.jsonl"
    log.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][:25])  # no newline: a crash
    read = read_log(log)
    assert read.events == read_jsonl(GOLDEN / "aborted.jsonl")[:-1]
    (warning,) = read.warnings
    assert warning.startswith(f"{log}:{len(lines)}: the last line is cut off")
    assert f"read the {len(lines) - 1} events before it" in warning
    with pytest.raises(EventLogError, match=rf"killed\.jsonl:{len(lines)}: not valid JSON"):
        read_jsonl(log)  # the strict reader (the engine's own export) still refuses it


def test_a_bad_line_in_the_middle_stays_an_error(tmp_path: Path) -> None:
    lines = (GOLDEN / "aborted.jsonl").read_text().splitlines()
    lines[41] = lines[41][:30]
    log = tmp_path / "crashed.jsonl"
    log.write_text("\n".join(lines) + "\n")
    with pytest.raises(EventLogError, match=r"crashed\.jsonl:42: not valid JSON"):
        read_log(log)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", r"byte 0 is not UTF-8 text"),
        (b"hello, world\nsecond line\n", r"line 1 is not JSON"),
    ],
)
def test_a_file_that_is_no_log_is_one_sentence_naming_it(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "photo.bin"
    path.write_bytes(content)
    with pytest.raises(EventLogError) as caught:
        read_log(path)
    text = str(caught.value)
    assert text.startswith(f"{path} is neither a JSON Lines event log nor a drill's events.db")
    assert re.search(message, text) and "\n" not in text


def test_an_sqlite_file_without_events_is_named(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    sqlite3.connect(path).execute("CREATE TABLE other (x)").connection.close()
    with pytest.raises(EventLogError, match=r"history\.db is not a drill's events\.db .*no such"):
        read_log(path)
    write_events_db(tmp_path / "events.db", [])
    sqlite3.connect(tmp_path / "events.db").execute(
        "INSERT INTO events VALUES (1, 'd', 'x', 0, '2026-01-01T00:00:00Z', 'engine', '{no')"
    ).connection.commit()
    with pytest.raises(EventLogError, match=r"events\.db: event seq 1: data is not JSON"):
        read_events_db(tmp_path / "events.db")


@pytest.mark.parametrize("running", [True, False])
def test_reading_leaves_the_garbage_collector_as_it_found_it(tmp_path: Path, running: bool) -> None:
    # The readers once paused the collector while they built events (pydantic events
    # were three tracked objects each); whatever a reader does, a bad line must not
    # leave it off, and a caller who had turned it off keeps it off.
    good, bad = tmp_path / "good.jsonl", tmp_path / "bad.jsonl"
    write_jsonl(good, read_jsonl(GOLDEN / "team.jsonl"))
    bad.write_text('{"seq": 0, "drill_id": "d", "type": "x", "wall": "2026-01-01T00:00:00Z"}\n')
    was = gc.isenabled()
    (gc.enable if running else gc.disable)()
    try:
        read_log(good)
        with pytest.raises(EventLogError):
            read_jsonl(bad)
        assert gc.isenabled() is running
    finally:
        (gc.enable if was else gc.disable)()

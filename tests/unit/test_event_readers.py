"""The strict event readers (msgspec) and the lenient ones (pydantic) read logs alike.

The strict reader reads a well-formed log in one call; whatever it refuses goes to
the pydantic schema, which accepts what it always accepted and names what it refuses.
"""

from __future__ import annotations

import gc
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scoring.events import (
    Event,
    EventLogError,
    EventModel,
    events_from_jsonl,
    read_events_db,
    read_jsonl,
    to_jsonl,
)
from simulator.drill.eventlog import SCHEMA

DATA = Path(__file__).resolve().parents[1] / "data"
LOGS = sorted(DATA.rglob("*.jsonl"))


@pytest.mark.parametrize("path", LOGS, ids=lambda p: str(p.relative_to(DATA)))
def test_the_strict_reader_reads_every_shipped_log_as_the_pydantic_schema_does(
    path: Path,
) -> None:
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    lenient = [EventModel.model_validate_json(line).event() for line in lines]
    assert read_jsonl(path) == lenient
    assert events_from_jsonl(path.read_text()) == lenient
    # Written back, a log reads the same, byte for byte as the pydantic model wrote it.
    assert to_jsonl(lenient) == "".join(
        EventModel.model_validate_json(line).model_dump_json() + "\n" for line in lines
    )


def test_what_only_the_lenient_reader_accepts_still_reads(tmp_path: Path) -> None:
    # A seq and a time as text, a wall clock as a Unix time: pydantic's lax mode took them.
    path = tmp_path / "lax.jsonl"
    path.write_text(
        json.dumps({"seq": "5", "drill_id": "d", "type": "x", "t": "1.5", "wall": 1767225600})
        + "\n"
    )
    (event,) = read_jsonl(path)
    assert (event.seq, event.t, event.wall) == (5, 1.5, datetime(2026, 1, 1, tzinfo=UTC))


def test_a_negative_seq_is_named_by_the_lenient_reader(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    good = {"seq": 0, "drill_id": "d", "type": "x", "t": 0, "wall": "2026-01-01T00:00:00Z"}
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, "seq": -1}) + "\n")
    with pytest.raises(EventLogError, match=r"bad\.jsonl:2: field 'seq': .*greater than or equal"):
        read_jsonl(path)


def test_a_line_holding_two_events_is_refused_not_read_as_two(tmp_path: Path) -> None:
    one = json.dumps({"seq": 0, "drill_id": "d", "type": "x", "t": 0, "wall": "2026-01-01T00:00Z"})
    path = tmp_path / "two.jsonl"
    path.write_text(f"{one},{one}\n")
    with pytest.raises(EventLogError, match=r"two\.jsonl:1: not valid JSON"):
        read_jsonl(path)


def test_an_events_db_row_with_a_wall_clock_as_a_unix_time_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    db = sqlite3.connect(path)
    db.execute(SCHEMA)
    db.execute(
        "INSERT INTO events (seq, drill_id, type, t, wall, actor, data) VALUES (?,?,?,?,?,?,?)",
        (0, "d", "drill.started", 0, 1767225600, "engine", '{"a": 1}'),
    )
    db.commit()
    db.close()
    (event,) = read_events_db(path)
    assert (event.t, event.wall, event.data) == (0.0, datetime(2026, 1, 1, tzinfo=UTC), {"a": 1})


def test_events_are_left_out_of_the_garbage_collectors_walks(tmp_path: Path) -> None:
    events = read_jsonl(DATA / "golden" / "team.jsonl")
    assert not any(gc.is_tracked(e) for e in events)
    made = Event(seq=0, drill_id="d", type="x", t=0, wall=datetime(2026, 1, 1, tzinfo=UTC))
    assert not gc.is_tracked(made)
    assert type(made.t) is float  # as the pydantic model made it: t=0 reads 0.0
    assert made.replace(seq=1).seq == 1 and made.seq == 0

"""Reading a log in one validation call per file refuses what reading it line by line refuses.

The readers validate a whole log in one pydantic-core call and fall back to line by
line only to name what is wrong. Joining the lines into one JSON array would let two
events on one line, or one event cut over two lines inside a string, pass as events;
each line is parsed on its own, so both stay errors naming the file and line.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from scoring.events import EventLogError, read_jsonl, read_log


def _line(seq: int, data: str = "") -> str:
    return (
        f'{{"seq":{seq},"drill_id":"d","type":"x","t":{seq},'
        f'"wall":"2026-01-01T00:00:00Z","data":{{{data}}}}}'
    )


def test_two_events_on_one_line_are_refused_naming_the_line(tmp_path: Path) -> None:
    log = tmp_path / "two.jsonl"
    log.write_text("\n".join([_line(0), _line(1) + "," + _line(2), _line(3)]) + "\n")
    with pytest.raises(EventLogError, match=r"two\.jsonl:2: not valid JSON \(Extra data\)"):
        read_log(log)


def test_an_event_cut_over_two_lines_is_refused_naming_the_line(tmp_path: Path) -> None:
    log = tmp_path / "split.jsonl"
    cut = _line(1, '"note":"a')[:-2]  # the string runs on into the next line
    log.write_text("\n".join([_line(0), cut, 'b"}}', _line(3)]) + "\n")
    with pytest.raises(EventLogError, match=r"split\.jsonl:2: not valid JSON"):
        read_jsonl(log)


def test_good_lines_read_the_same_in_one_call_as_line_by_line(tmp_path: Path) -> None:
    log = tmp_path / "good.jsonl"
    log.write_text("\n".join([_line(0), "", _line(1, '"x":[1,2]'), "  "]) + "\n")
    events = read_jsonl(log)
    assert [(e.seq, e.data) for e in events] == [(0, {}), (1, {"x": [1, 2]})]


@pytest.mark.parametrize(
    ("value", "shown"), [(None, "NULL"), (5, "int"), (b"\xff", "bytes")], ids=str
)
def test_data_that_is_no_json_text_in_a_hand_made_db_is_one_sentence(
    tmp_path: Path, value: object, shown: str
) -> None:
    path = tmp_path / "events.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE events (seq, drill_id, type, t, wall, actor, data)")  # no types
    db.execute(
        "INSERT INTO events VALUES (0, 'd', 'drill.started', 0, '2026-01-01T00:00:00Z',"
        " 'engine', ?)",
        (value,),
    )
    db.commit()
    db.close()
    with pytest.raises(EventLogError) as caught:
        read_log(path)
    assert str(caught.value) == (
        f"{path}: event seq 0: data is {shown}, not JSON text; the engine stores each"
        " event's data as a JSON object"
    )

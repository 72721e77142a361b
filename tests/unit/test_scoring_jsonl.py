"""Reading logs: corrupt lines are named, unknown event types are kept and ignored."""

from __future__ import annotations

from pathlib import Path

import pytest

from scoring.drill import DrillView
from scoring.events import EventLogError, read_jsonl, write_jsonl
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
    started = events[0].model_copy(update={"data": {**events[0].data, "time_scale": 0}})
    with pytest.raises(ValueError, match="time_scale is 0; it must be a positive number"):
        DrillView([started, *events[1:]])

"""Durations as written in YAML become seconds; bad ones say what is accepted."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from scoring.durations import Duration, PositiveDuration, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30.0),
        ("2m", 120.0),
        ("1h", 3600.0),
        ("1h30m", 5400.0),
        ("500ms", 0.5),
        ("1m30s", 90.0),
        ("1.5s", 1.5),
        (" 5m ", 300.0),
        ("1d", 86400.0),
        ("90", 90.0),
        (90, 90.0),
        (2.5, 2.5),
        ("0s", 0.0),
    ],
)
def test_parse_duration_accepts_the_documented_forms(
    text: str | int | float, seconds: float
) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "abc", "5 minutes", "m5", "5x", "1h 30m", "5m-", "nan"])
def test_parse_duration_rejects_other_text(text: str) -> None:
    with pytest.raises(ValueError, match=r"duration"):
        parse_duration(text)


def test_parse_duration_rejects_booleans_and_other_types() -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(True)
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration([5])  # type: ignore[arg-type]


def test_error_message_shows_the_accepted_forms() -> None:
    with pytest.raises(ValueError) as info:
        parse_duration("15 minutes")
    assert "'15 minutes'" in str(info.value)
    assert "30s, 5m, 1h30m or 500ms" in str(info.value)


class _Timed(BaseModel):
    at: Duration
    window: PositiveDuration = 1.0


def test_duration_fields_parse_and_bound() -> None:
    assert _Timed.model_validate({"at": "2m", "window": "500ms"}).at == 120.0
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        _Timed.model_validate({"at": "-5"})
    with pytest.raises(ValidationError, match="greater than 0"):
        _Timed.model_validate({"at": 1, "window": "0s"})
    with pytest.raises(ValidationError, match="not a duration"):
        _Timed.model_validate({"at": "soon"})


@pytest.mark.parametrize(
    ("seconds", "text"), [(0.5, "500ms"), (90, "1m30s"), (3600, "1h"), (0, "0ms"), (5400, "1h30m")]
)
def test_format_duration_round_trips(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
    assert parse_duration(text) == pytest.approx(seconds)

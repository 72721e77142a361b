"""Durations as people write them in YAML: "30s", "2m", "1h30m", "500ms", or plain seconds.

`parse_duration` turns them into seconds (float). `Duration` and `PositiveDuration`
are pydantic field types that accept either form and publish a JSON Schema that
editors understand.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, WithJsonSchema

__all__ = ["DURATION_PATTERN", "Duration", "PositiveDuration", "format_duration", "parse_duration"]

_UNIT_SECONDS: dict[str, float] = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
# One or more "<number><unit>" parts, largest unit first by convention ("1h30m").
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
DURATION_PATTERN = r"^\s*(\d+(\.\d+)?(ms|s|m|h|d))+\s*$|^\s*\d+(\.\d+)?\s*$"


def parse_duration(value: str | int | float) -> float:
    """Return the duration in seconds; numbers are seconds already.

    Raises ValueError with a sentence that shows the accepted forms.
    """
    if isinstance(value, bool):  # bool is an int subclass; `true` is never a duration
        raise ValueError(f"{value!r} is not a duration; write e.g. 30s, 5m, 1h30m or 500ms")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        seconds = _parse_text(value)
    else:
        raise ValueError(f"{value!r} is not a duration; write e.g. 30s, 5m, 1h30m or 500ms")
    if math.isnan(seconds) or math.isinf(seconds):
        raise ValueError(f"{value!r} is not a finite duration")
    return seconds


def _parse_text(text: str) -> float:
    stripped = text.strip().lower()
    try:
        return float(stripped)  # "90" or "-5" as text: seconds
    except ValueError:
        pass
    position = 0
    total = 0.0
    for match in _PART.finditer(stripped):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if position == 0 or position != len(stripped):
        raise ValueError(
            f"{text!r} is not a duration; write e.g. 30s, 5m, 1h30m or 500ms (units ms, s, m, h, d)"
        )
    return total


def format_duration(seconds: float) -> str:
    """Render seconds compactly for tables: 90 -> "1m30s", 0.5 -> "500ms"."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
        f"{secs}s" if secs else "",
    ]
    return "".join(parts) or "0s"


def _coerce(value: Any) -> Any:
    # Leave anything that is not a duration form to pydantic so its own error shows.
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return parse_duration(value)
    return value


_SCHEMA = WithJsonSchema(
    {
        "anyOf": [
            {"type": "number", "minimum": 0},
            {"type": "string", "pattern": DURATION_PATTERN},
        ],
        "description": "seconds, or a duration such as 30s, 5m, 1h30m, 500ms",
    }
)

Duration = Annotated[float, BeforeValidator(_coerce), Field(ge=0), _SCHEMA]
"""A non-negative duration in seconds (YAML may say "5m")."""

PositiveDuration = Annotated[float, BeforeValidator(_coerce), Field(gt=0), _SCHEMA]
"""A duration in seconds that must be greater than zero."""

"""The limits of a fault, in one place: scenario validation checks them before a
drill starts, and injection (simulator/faults/manager.py) enforces the same ones.

A TTL is the far-side safety net: the target itself ends the fault after it, even
if the engine is gone. Too short and the fault ends before anyone can see it; too
long and a killed drill leaves the shop broken for days.
"""

from __future__ import annotations

from scoring.durations import format_duration

__all__ = ["DEFAULT_TTL_S", "DRILL_TTL_MARGIN_S", "MAX_TTL_S", "MIN_TTL_S", "ttl_problem"]

DEFAULT_TTL_S = 300.0  # `chaosdrill fault inject` without --ttl
MIN_TTL_S = 1.0
MAX_TTL_S = 24 * 3600.0
# A scenario fault without a ttl gets the drill's time limit plus this margin.
DRILL_TTL_MARGIN_S = 60.0


def ttl_problem(ttl_s: float) -> str | None:
    """Why `ttl_s` cannot be a fault's TTL, or None if it can."""
    if MIN_TTL_S <= ttl_s <= MAX_TTL_S:
        return None
    shown = format_duration(ttl_s) if ttl_s < 1e7 else f"{ttl_s / 3600:.3g}h"
    return (
        f"ttl must be between {format_duration(MIN_TTL_S)} and {format_duration(MAX_TTL_S)},"
        f" not {shown}; it is how long the fault may outlive a dead engine"
    )

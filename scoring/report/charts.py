"""Geometry of the SLI charts for the HTML report (the template draws the SVG).

Each chart plots one SLI from `sli.sample` over the whole drill, shades the
fault windows, draws the playbook's alert thresholds and marks every timeline
event. Only numbers and labels come out of here; the Jinja template escapes
every label when it writes the SVG.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from scoring.drill import DrillView
from scoring.events import Event
from scoring.phrases import clock
from scoring.playbook import Playbook
from scoring.timeline import CATEGORIES, TimelineEntry

__all__ = ["Chart", "Tick", "build_charts", "nice_range"]

WIDTH = 1100
HEIGHT = 190
LEFT = 64
RIGHT = 16
TOP = 14
BOTTOM = 26


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str
    left: bool = False


@dataclass(frozen=True)
class Shade:
    x: float
    w: float
    label: str


@dataclass(frozen=True)
class Mark:
    x: float
    color: str
    label: str


@dataclass
class Chart:
    """One chart, in SVG user units."""

    key: str
    title: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM
    points: str = ""
    shades: list[Shade] = field(default_factory=list)
    thresholds: list[Tick] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    yticks: list[Tick] = field(default_factory=list)
    xticks: list[Tick] = field(default_factory=list)


@dataclass(frozen=True)
class _Sli:
    key: str
    title: str
    value: Callable[[Event], float | None]
    fmt: Callable[[float], str]
    thresholds: Callable[[Playbook], list[tuple[str, float]]]
    floor_at_zero: bool = True
    ceiling: float | None = None


def _num(event: Event, key: str, scale: float = 1.0) -> float | None:
    raw = event.data.get(key)
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return float(raw) * scale
    return None


SLIS = (
    _Sli(
        "error_rate",
        "Error rate (%)",
        lambda e: _num(e, "error_rate", 100.0),
        lambda v: f"{v:.0f}%" if v >= 10 else f"{v:.1f}%",
        lambda p: [(k, getattr(p.thresholds.error_rate, k) * 100) for k in ("critical", "high")],
    ),
    _Sli(
        "p99",
        "Latency p99 (ms)",
        lambda e: _num(e, "p99_ms"),
        lambda v: f"{v:.0f}",
        lambda p: [(k, getattr(p.thresholds.latency_p99_ms, k)) for k in ("critical", "high")],
    ),
    _Sli(
        "availability",
        "Availability (%)",
        lambda e: _num(e, "availability", 100.0),
        lambda v: f"{v:.1f}%",
        lambda p: [(k, getattr(p.thresholds.availability, k) * 100) for k in ("critical", "high")],
        floor_at_zero=False,
        ceiling=100.0,
    ),
)


def nice_range(low: float, high: float, ceiling: float | None) -> tuple[float, float, float]:
    """Axis bounds on round numbers (steps of 1, 2, 2.5 or 5 x 10^k), about four steps."""
    if ceiling is not None:
        high = min(max(high, low), ceiling)
    spread = high - low or max(abs(high), 1.0)
    raw = spread / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    bottom = math.floor(low / step) * step
    top = math.ceil(high / step) * step
    if top <= bottom:
        top = bottom + step
    if ceiling is None and top - high < step * 0.15:
        top += step  # headroom so the line never runs along the frame
    return bottom, top, step


def _threshold_labels(lines: list[tuple[float, str]]) -> list[Tick]:
    # Two thresholds close together would print on top of each other: the second
    # one's label goes to the left end of its line.
    ticks: list[Tick] = []
    last_y: float | None = None
    for pos, label in sorted(lines):
        crowded = last_y is not None and abs(pos - last_y) < 13
        ticks.append(Tick(pos, label, left=crowded))
        last_y = pos
    return ticks


def _x(t: float, end: float) -> float:
    return LEFT + (WIDTH - RIGHT - LEFT) * (t / end if end > 0 else 0.0)


def _chart(
    sli: _Sli,
    samples: list[Event],
    view: DrillView,
    playbook: Playbook,
    marks: list[Mark],
    xticks: list[Tick],
) -> Chart:
    chart = Chart(key=sli.key, title=sli.title, marks=marks, xticks=xticks)
    end = max(view.end_t, 1.0)
    values = [(s.t, v) for s in samples if (v := sli.value(s)) is not None]
    thresholds = sli.thresholds(playbook)
    seen = [v for _, v in values] + [v for _, v in thresholds]
    low, high, step = nice_range(
        0.0 if sli.floor_at_zero else min(seen, default=0.0),
        max(seen, default=1.0),
        ceiling=sli.ceiling,
    )

    def y(v: float) -> float:
        return chart.bottom - (chart.bottom - chart.top) * (v - low) / (high - low)

    chart.points = " ".join(f"{_x(t, end):.1f},{y(v):.1f}" for t, v in values)
    chart.thresholds = _threshold_labels([(y(v), f"{name} {sli.fmt(v)}") for name, v in thresholds])
    ticks = round((high - low) / step)
    chart.yticks = [Tick(y(low + step * i), sli.fmt(low + step * i)) for i in range(ticks + 1)]
    for fault in view.faults:
        stop = fault.end if fault.end is not None else view.end_t
        x0, x1 = _x(fault.start, end), _x(stop, end)
        chart.shades.append(Shade(x0, max(1.0, x1 - x0), f"{fault.kind} {fault.fault_id}"))
    return chart


def _xticks(end: float) -> list[Tick]:
    steps = (10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)
    step = next((s for s in steps if end / s <= 10), 14400)
    return [Tick(_x(t, end), clock(t)) for t in range(0, int(end) + 1, step)]


def build_charts(view: DrillView, playbook: Playbook, timeline: list[TimelineEntry]) -> list[Chart]:
    """One chart per SLI (error rate, p99, availability) over the whole drill."""
    end = max(view.end_t, 1.0)
    marks = [
        Mark(_x(e.t, end), CATEGORIES.get(e.category, "#6b7280"), f"{e.clock} {e.actor}: {e.text}")
        for e in timeline
    ]
    xticks = _xticks(end)
    samples = view.of("sli.sample")
    return [_chart(sli, samples, view, playbook, marks, xticks) for sli in SLIS]

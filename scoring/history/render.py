"""Show trends: Rich tables for the terminal and a self-contained HTML page."""

from __future__ import annotations

import math
from collections.abc import Callable

from rich.console import Group
from rich.table import Table
from rich.text import Text

from scoring.history.trends import PartyTrend, Stat, TrendPoint, Trends
from scoring.phrases import span
from scoring.playbook import SCORING_CRITERIA
from scoring.report.charts import HEIGHT, LEFT, RIGHT, WIDTH, Chart, Tick, nice_range
from scoring.report.render import environment

__all__ = ["render_history_html", "trends_renderable"]


def _stat(stat: Stat, fmt: Callable[[float | None], str]) -> str:
    if stat.n == 0:
        return "—"
    return f"{fmt(stat.median)} / {fmt(stat.mean)}"


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _parties(trends: Trends) -> list[PartyTrend]:
    parties = [p for p in (trends.team, trends.autopilot) if p is not None]
    return parties + trends.trainees


def trends_renderable(trends: Trends) -> Group:
    """Two tables (clocks and pass rates) and the escalation/MTTF lines."""
    clocks = Table(
        title=f"Drill trends — {trends.scope} ({trends.drills} drills)",
        caption="median / mean; times are real incident time",
    )
    for header in ("who", "drills", "score", "MTTD", "MTTA", "MTTR"):
        clocks.add_column(header, justify="left" if header == "who" else "right")
    for p in _parties(trends):
        clocks.add_row(
            p.name,
            str(p.drills),
            _stat(p.total, _score),
            _stat(p.mttd, span),
            _stat(p.mtta, span),
            _stat(p.mttr, span),
        )
    rates = Table(title="Pass rate per criterion (trainees: their own decisions)")
    rates.add_column("who")
    for key in SCORING_CRITERIA:
        rates.add_column(key.replace("_", " "), justify="right")
    for p in _parties(trends):
        rates.add_row(p.name, *(_rate(p.pass_rate.get(k)) for k in SCORING_CRITERIA))
    lines: list[Table | Text] = [clocks, rates]
    if trends.calibration:
        calls = Table(
            title="Severity calibration (declared vs true)",
            caption="trend oldest → newest: ↑ too high  = right  ↓ too low  · none set",
        )
        for header in ("who", "too high", "right", "too low", "trend"):
            calls.add_column(header, justify="left" if header in ("who", "trend") else "right")
        for c in trends.calibration:
            calls.add_row(c.name, str(c.too_high), str(c.right), str(c.too_low), c.marks)
        lines.append(calls)
    lines.append(_escalation_line(trends))
    if trends.outcomes:
        lines.append(_outcome_line(trends))
    for m in trends.mttf:
        lines.append(
            Text(
                f"MTTF of {m.target}: {span(m.mttf_s)} "
                f"({span(m.uptime_s)} uptime over {m.incidents} incidents)"
            )
        )
    return Group(*lines)


def _outcome_line(trends: Trends) -> Text:
    counts = ", ".join(f"{n} {outcome}" for outcome, n in trends.outcomes.items())
    line = Text(f"Outcomes: {counts}")
    if trends.interrupted:
        shown = ", ".join(trends.interrupted[:5])
        more = f" and {len(trends.interrupted) - 5} more" if len(trends.interrupted) > 5 else ""
        line.append(f" — interrupted (engine killed): {shown}{more}", style="yellow")
    return line


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _escalation_line(trends: Trends) -> Text:
    if trends.escalation_rate is None:
        return Text("Escalation rate: no drills stored yet.")
    ok = trends.escalation_rate <= trends.escalation_target
    return Text(
        f"Escalation rate: {trends.escalation_rate:.0%} ({trends.escalated} of {trends.drills}"
        f" drills) against the playbook's target of at most {trends.escalation_target:.0%}"
        f" — {'on target' if ok else 'above target'}",
        style="green" if ok else "red",
    )


def _series_chart(
    key: str,
    title: str,
    points: list[TrendPoint],
    value: Callable[[TrendPoint], float | None],
    fmt: Callable[[float], str],
    ceiling: float | None = None,
) -> Chart:
    chart = Chart(key=key, title=title)
    values = [(i, v) for i, p in enumerate(points) if (v := value(p)) is not None]
    top = max((v for _, v in values), default=1.0)
    low, high, step = nice_range(0.0, top, ceiling=ceiling)
    count = max(len(points) - 1, 1)

    def x(i: float) -> float:
        return LEFT + (WIDTH - RIGHT - LEFT) * i / count

    def y(v: float) -> float:
        return chart.bottom - (chart.bottom - chart.top) * (v - low) / (high - low)

    chart.points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in values)
    chart.yticks = [
        Tick(y(low + step * i), fmt(low + step * i)) for i in range(round((high - low) / step) + 1)
    ]
    every = max(1, math.ceil(len(points) / 8))
    chart.xticks = [
        Tick(x(i), p.started_at.date().isoformat() if p.started_at else p.drill_id)
        for i, p in enumerate(points)
        if i % every == 0
    ]
    return chart


def render_history_html(trends: Trends) -> str:
    """A page with trend charts for the team and tables for everyone (no external URL)."""
    charts: list[Chart] = []
    if trends.team is not None:
        pts = trends.team.series
        charts = [
            _series_chart(
                "score",
                "Team score per drill",
                pts,
                lambda p: p.total,
                lambda v: f"{v:.0f}",
                ceiling=100.0,
            ),
            _series_chart(
                "mttd",
                "Team MTTD per drill (minutes)",
                pts,
                lambda p: None if p.mttd_s is None else p.mttd_s / 60,
                lambda v: f"{v:g}",
            ),
            _series_chart(
                "mttr",
                "Team MTTR per drill (minutes)",
                pts,
                lambda p: None if p.mttr_s is None else p.mttr_s / 60,
                lambda v: f"{v:g}",
            ),
        ]
    return (
        environment(True)
        .get_template("history.html.j2")
        .render(
            t=trends,
            parties=_parties(trends),
            charts=charts,
            criteria=SCORING_CRITERIA,
            height=HEIGHT,
        )
    )

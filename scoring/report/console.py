"""The scorecard on a terminal (Rich): clocks, criteria with feedback, participants."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from scoring.clocks import ClockResult
from scoring.phrases import signed_span, span
from scoring.report.model import time_scale_note
from scoring.scorecard import ParticipantCard, Scorecard

__all__ = ["scorecard_renderable"]


STATUS_STYLE = {"PASS": "green", "FAIL": "red", "MISSED": "yellow"}


def _result(clock: ClockResult) -> Text:
    return Text(clock.status, style=STATUS_STYLE.get(clock.status, "dim"))


def _clocks(card: Scorecard) -> Table:
    table = Table(title="Clocks", title_justify="left")
    table.add_column("clock")
    table.add_column("drill", justify="right")
    if card.time_scale != 1:
        table.add_column(f"incident (x{card.time_scale:g})", justify="right")
    for header in ("target", "margin", "result"):
        table.add_column(header, justify="right")
    for clock in card.team.clocks.values():
        measured = [span(clock.drill_s)]
        if card.time_scale != 1:
            measured.append(span(clock.scaled_s))
        label = clock.label + (f"\n[dim]{clock.reason}[/dim]" if clock.reason else "")
        table.add_row(
            label, *measured, span(clock.target_s), signed_span(clock.margin_s), _result(clock)
        )
    return table


def _criteria(card: ParticipantCard, title: str) -> Table:
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("criterion")
    table.add_column("points", justify="right")
    table.add_column("feedback", ratio=1)
    for c in card.criteria:
        style = "green" if c.passed else ("yellow" if c.points > 0 else "red")
        shared = " [dim](team)[/dim]" if c.shared else ""
        table.add_row(
            c.label + shared, Text(f"{c.points:g}/{c.max_points:g}", style=style), c.feedback
        )
    table.add_row("[bold]total[/bold]", f"[bold]{card.total:g}[/bold]", f"grade {card.grade}")
    return table


def scorecard_renderable(card: Scorecard) -> Group:
    """Everything `chaosdrill score` prints."""
    head = Text.assemble(
        (f"{card.title or card.scenario_id} ", "bold"),
        (f"({card.drill_id}) ", "dim"),
        f"true severity {card.true_severity} ({card.severity_label}), ",
        f"{card.outcome}: {card.outcome_detail}\n",
        (time_scale_note(card.time_scale), "italic"),
        *[("\n" + note, "italic") for note in card.notes],
    )
    parts: list[Table | Text] = [head, _clocks(card)]
    who = "Team" if card.participants else card.team.name.capitalize()
    parts.append(
        _criteria(card.team, f"{who}: {card.team.total:g} points, grade {card.team.grade}")
    )
    if card.participants:
        people = Table(
            title="Participants (credited with their own decisions; '(team)' = shared result)",
            title_justify="left",
        )
        for header in ("name", "role", "points", "grade", "weakest"):
            people.add_column(header, justify="right" if header == "points" else "left")
        for p in card.participants:
            weak = p.weakest()
            remark = p.note or f"{weak.label}: {weak.feedback}"
            people.add_row(p.name, p.role, f"{p.total:g}", p.grade, remark)
        parts.append(people)
    for breach in card.breaches:
        parts.append(Text.assemble(("Data exposure: ", "bold"), breach.sentence))
    for stuffing in card.stuffings:
        parts.append(Text.assemble(("Accounts compromised: ", "bold"), stuffing.sentence))
    if card.baseline is not None:
        b = card.baseline
        parts.append(
            Text(
                f"Autopilot baseline ({b.source}): {b.card.total:g} points, grade"
                f" {b.card.grade}; the team is {b.delta_total:+.1f} points from it."
            )
        )
    return Group(*parts)

"""`chaosdrill scenarios list|show|validate` and `chaosdrill playbook validate`.

`list` and `show` (without --answer-key) print only what a trainee may see: never
the faults, the expected severity or team, the root cause or the remediations.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from scoring.durations import format_duration
from scoring.playbook import Playbook, PlaybookError, default_playbook_path, load_playbook
from simulator.scenario import (
    Scenario,
    ScenarioError,
    default_scenario_dir,
    duplicate_id_message,
    find_scenario,
    load_scenario,
    scenario_files,
)

__all__ = ["playbook", "scenarios"]

_DIR_OPTION = click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Scenario library directory (default: ./scenarios, else the built-in library).",
)
_PLAYBOOK_OPTION = click.option(
    "--playbook",
    "playbook_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Playbook to check against (default: ./playbook.yaml, else the built-in one).",
)


def _param_check(kind: str, params: dict[str, Any]) -> str | None:
    # Imported here: the fault registry loads every fault kind and its entry points,
    # which `playbook validate` does not need.
    from simulator.faults.registry import check_params

    return check_params(kind, params)


def _fail(message: str) -> None:
    click.echo(message, err=True)
    raise SystemExit(1)


def _playbook(path: Path | None) -> Playbook:
    try:
        return load_playbook(path)
    except PlaybookError as exc:
        _fail(str(exc))
        raise AssertionError("unreachable") from None


@click.group()
def scenarios() -> None:
    """List, show and validate drill scenarios."""


@scenarios.command("list")
@_DIR_OPTION
@_PLAYBOOK_OPTION
def list_scenarios(directory: Path | None, playbook_path: Path | None) -> None:
    """The library's scenarios in a suggested order for a first week of practice: easiest
    first, those that run without PostgreSQL before those that need it (no answers)."""
    book = _playbook(playbook_path)
    library = directory or default_scenario_dir()
    found: list[Scenario] = []
    problems: list[str] = []
    for path in scenario_files(library):
        try:
            found.append(load_scenario(path, check_params=_param_check, playbook=book))
        except ScenarioError as exc:
            problems.append(str(exc))
    ordered = sorted(found, key=first_week_key)
    rows: list[tuple[str, ...]] = [
        (
            str(order),
            scenario.id,
            scenario.title,
            scenario.difficulty,
            ", ".join(scenario.tags) or "-",
            f"<= {format_duration(scenario.time_limit_s)}",
            "PostgreSQL (--database-url)" if scenario.target.database == "postgres" else "-",
        )
        for order, scenario in enumerate(ordered, 1)
    ]
    if rows:
        _table(("ORDER", "ID", "TITLE", "DIFFICULTY", "TAGS", "DURATION", "NEEDS"), rows)
        click.echo(
            "\nFirst week: one or two a day in this order, each with `chaosdrill practice ID`;"
            " repeat one with --time-scale 10 once its fix comes easily."
        )
    else:
        click.echo(f"no valid scenarios in {library}")
    for problem in problems:
        click.echo(f"skipped: {problem}", err=True)
    if problems:
        raise SystemExit(1)


DIFFICULTY_ORDER = {"intro": 0, "standard": 1, "hard": 2}


def first_week_key(scenario: Scenario) -> tuple[int, int, float, str]:
    """Easiest first; without PostgreSQL first (nothing to set up); shorter first."""
    return (
        DIFFICULTY_ORDER.get(scenario.difficulty, len(DIFFICULTY_ORDER)),
        scenario.target.database == "postgres",
        scenario.time_limit_s,
        scenario.id,
    )


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        click.echo("  ".join(cells).rstrip())


@scenarios.command("show")
@click.argument("scenario_ref", metavar="ID_OR_FILE")
@click.option(
    "--answer-key", is_flag=True, help="Also print faults, expectations and hints (facilitators)."
)
@_DIR_OPTION
@_PLAYBOOK_OPTION
def show(
    scenario_ref: str, answer_key: bool, directory: Path | None, playbook_path: Path | None
) -> None:
    """Print a scenario's briefing; --answer-key adds what a good response looks like."""
    book = _playbook(playbook_path)
    try:
        scenario = find_scenario(
            scenario_ref, directory=directory, check_params=_param_check, playbook=book
        )
    except ScenarioError as exc:
        _fail(str(exc))
        return
    _show_briefing(scenario)
    if answer_key:
        _show_answer_key(scenario)


def _show_briefing(scenario: Scenario) -> None:
    click.echo(f"{scenario.title}  [{scenario.id}]")
    click.echo(
        f"difficulty: {scenario.difficulty}   tags: {', '.join(scenario.tags) or '-'}"
        f"   time limit: {format_duration(scenario.time_limit_s)}"
        f"   load: {scenario.load.users} users ({scenario.load.profile})"
        f"   database: {scenario.target.database}"
    )
    if scenario.time_scale != 1:
        click.echo(f"time scale: x{scenario.time_scale:g} (playbook targets are compressed)")
    click.echo("")
    click.echo(scenario.briefing.rstrip())


def _show_answer_key(scenario: Scenario) -> None:
    expected = scenario.expected
    click.echo("")
    click.echo("ANSWER KEY (facilitators only)")
    for fault in scenario.faults:
        params = ", ".join(f"{k}={v}" for k, v in fault.params.items())
        ending = (
            "until remediated"
            if fault.until == "remediated"
            else f"for {format_duration(fault.duration_s or 0)}"
        )
        click.echo(f"  fault: {fault.kind}({params}) at +{format_duration(fault.at_s)}, {ending}")
    for alert in expected.alerts:
        click.echo(
            f"  alert: {alert.name} {alert.severity} within {format_duration(alert.within_s)}"
        )
    click.echo(f"  severity: {expected.severity}")
    click.echo(f"  team: {expected.team} (root cause area: {expected.root_cause_area})")
    click.echo(f"  root cause: {expected.root_cause}")
    click.echo(f"  remediations: {', '.join(expected.remediations) or '-'}")
    click.echo(f"  harmful: {', '.join(expected.harmful) or '-'}")
    for hint in scenario.hints:
        click.echo(f"  hint after {format_duration(hint.after_s)}: {hint.text}")


@scenarios.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@_PLAYBOOK_OPTION
def validate(files: tuple[Path, ...], playbook_path: Path | None) -> None:
    """Check scenario files (or directories of them); exit 1 if any is invalid."""
    book = _playbook(playbook_path)
    failed = 0
    seen: dict[str, Path] = {}
    for path in scenario_files(files):
        try:
            scenario = load_scenario(path, check_params=_param_check, playbook=book)
        except ScenarioError as exc:
            failed += 1
            click.echo(f"FAIL {exc}")
            continue
        if scenario.id in seen:
            failed += 1
            click.echo(f"FAIL {duplicate_id_message(path, scenario.id, seen[scenario.id])}")
            continue
        seen[scenario.id] = path
        click.echo(f"ok   {path}")
    if failed:
        raise SystemExit(1)


@click.group()
def playbook() -> None:
    """Check the playbook's numbers (playbook.yaml)."""


@playbook.command("validate")
@click.argument("file", required=False, type=click.Path(path_type=Path, dir_okay=False))
def validate_playbook(file: Path | None) -> None:
    """Check a playbook file (default: ./playbook.yaml, else the built-in one)."""
    book = _playbook(file)
    path = file or default_playbook_path()
    click.echo(
        f"ok   {path}: {len(book.severities)} severities, {len(book.routing)} routing rules,"
        f" {len(book.escalation)} escalation levels, weights sum to"
        f" {sum(book.scoring.weights.values())}"
    )

"""`chaosdrill score`, `chaosdrill report` and `chaosdrill history`.

The answer key comes from `--scenario FILE` (its `expected:` block) or else
from the log's `answer_key.revealed` event. Every mistake a user can make (a
corrupt log line, a missing answer key, an unknown drill id, a bad database
URL) ends in one sentence on stderr and exit status 2.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click
import yaml
from pydantic import ValidationError
from rich.console import Console

from scoring.drill import DrillView
from scoring.events import Event, read_jsonl
from scoring.expectations import Expectations
from scoring.history import HistoryStore, TrendFilter, compute_trends
from scoring.history.render import render_history_html, trends_renderable
from scoring.playbook import Playbook, load_playbook
from scoring.report import build_report, render_html, render_json, render_markdown
from scoring.report.console import scorecard_renderable
from scoring.scorecard import Scorecard, score_drill

P = ParamSpec("P")
R = TypeVar("R")
RENDERERS = {"html": render_html, "md": render_markdown, "json": render_json}


def _fail(message: str) -> None:
    click.echo(f"chaosdrill: {message}", err=True)
    raise SystemExit(2)


def _user_errors(func: Callable[P, R]) -> Callable[P, R]:
    # Every error class of scoring (log, playbook, scenario, history) is a ValueError.
    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except OSError as exc:
            _fail(f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc))
            raise  # unreachable: _fail exits
        except ValueError as exc:
            _fail(str(exc))
            raise  # unreachable

    return wrapper


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "value"
    return f"field '{field}': {first['msg']}"


def _scenario_expectations(path: Path, playbook: Playbook) -> Expectations:
    try:  # the engine's loader gives located errors; scoring must not depend on it
        from simulator.scenario.loader import load_scenario
    except ImportError:  # pragma: no cover - the loader ships with the engine
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        block = raw.get("expected") if isinstance(raw, dict) else None
        if not isinstance(block, dict):
            raise ValueError(f"{path}: no 'expected:' block to score against") from None
        try:
            return Expectations.model_validate(block, context={"routing": playbook.routing})
        except ValidationError as exc:
            raise ValueError(f"{path}: expected: {_first_error(exc)}") from None
    return load_scenario(path, playbook=playbook).expected


def _log_expectations(log: Path, events: list[Event], playbook: Playbook) -> Expectations:
    revealed = [e for e in events if e.type == "answer_key.revealed"]
    if not revealed:
        raise ValueError(
            f"{log} has no answer_key.revealed event; pass --scenario FILE to score against"
            " the scenario's expected: block"
        )
    try:
        return Expectations.model_validate(revealed[-1].data, context={"routing": playbook.routing})
    except ValidationError as exc:
        raise ValueError(
            f"{log}: answer_key.revealed (seq {revealed[-1].seq}): {_first_error(exc)}"
        ) from None


def _read_log(path: Path) -> list[Event]:
    if not path.is_file():
        raise ValueError(f"{path}: no such log file")
    events = read_jsonl(path)
    if not events:
        raise ValueError(f"{path} holds no events; is it the right file?")
    return events


def _score_log(
    log: Path, scenario: Path | None, baseline: Path | None, playbook_path: Path | None
) -> tuple[Scorecard, list[Event], Expectations, Playbook, DrillView]:
    playbook = load_playbook(playbook_path)
    events = _read_log(log)
    expectations = (
        _scenario_expectations(scenario, playbook)
        if scenario is not None
        else _log_expectations(log, events, playbook)
    )
    other = _read_log(baseline) if baseline is not None else None
    view = DrillView(events)
    return score_drill(view, expectations, playbook, other), events, expectations, playbook, view


def _common(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(
        [
            click.option(
                "--scenario",
                type=click.Path(dir_okay=False, path_type=Path),
                help="Scenario file whose expected: block is the answer key"
                " (default: the log's answer_key.revealed event).",
            ),
            click.option(
                "--baseline",
                type=click.Path(dir_okay=False, path_type=Path),
                help="A second log, run by the autopilot, to compare with.",
            ),
            click.option(
                "--playbook",
                "playbook_path",
                type=click.Path(dir_okay=False, path_type=Path),
                help="playbook.yaml to score against (default: ./playbook.yaml).",
            ),
        ]
    ):
        func = option(func)
    return func


db_option = click.option(
    "--db",
    "db_url",
    envvar="DRILL_DB_URL",
    show_envvar=True,
    help="History database URL (default sqlite:///.chaosdrill/history.db).",
)


@click.command()
@click.argument("log", type=click.Path(dir_okay=False, path_type=Path))
@_common
@click.option("--json", "as_json", is_flag=True, help="Print the scorecard as JSON.")
@click.option("--store", is_flag=True, help="Also store the drill in the history database.")
@db_option
@_user_errors
def score(
    log: Path,
    scenario: Path | None,
    baseline: Path | None,
    playbook_path: Path | None,
    as_json: bool,
    store: bool,
    db_url: str | None,
) -> None:
    """Score a drill log (JSON Lines): clocks, criteria with feedback, participants."""
    card, events, expectations, _, _ = _score_log(log, scenario, baseline, playbook_path)
    if store:
        history = HistoryStore.open(db_url)
        try:
            history.save(card, events, expectations)
        finally:
            history.close()
    if as_json:
        click.echo(card.model_dump_json(indent=2))
        return
    console = Console()
    console.print(scorecard_renderable(card))
    if store:
        console.print(f"Stored drill {card.drill_id} in the history.")


@click.command()
@click.argument("drill")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(RENDERERS)),
    default="html",
    show_default=True,
    help="Report format.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report here (default: standard output).",
)
@_common
@db_option
@_user_errors
def report(
    drill: str,
    fmt: str,
    out: Path | None,
    scenario: Path | None,
    baseline: Path | None,
    playbook_path: Path | None,
    db_url: str | None,
) -> None:
    """Write the report of a drill: a LOG.jsonl file or the DRILL_ID of a stored drill."""
    path = Path(drill)
    if path.is_file() or drill.endswith(".jsonl"):
        card, _, _, playbook, view = _score_log(path, scenario, baseline, playbook_path)
    else:
        playbook = load_playbook(playbook_path)
        history = HistoryStore.open(db_url)
        try:
            stored = history.load(drill)
        finally:
            history.close()
        expectations = (
            _scenario_expectations(scenario, playbook) if scenario else stored.expectations
        )
        other = _read_log(baseline) if baseline is not None else None
        view = DrillView(stored.events)
        card = score_drill(view, expectations, playbook, other)
    text = RENDERERS[fmt](build_report(view, card, playbook))
    if out is None:
        click.echo(text, nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    click.echo(f"wrote {out}", err=True)


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"--since {value!r} is not a date; write e.g. 2026-03-01") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@click.command()
@click.option("--trainee", help="Only drills this trainee took part in, and their trend.")
@click.option("--team", help="Only drills of this team (drill.started.data.team).")
@click.option("--since", help="Only drills started on or after this date (YYYY-MM-DD).")
@click.option(
    "--html",
    "html_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the trends as an HTML page with charts.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the trends as JSON.")
@click.option(
    "--playbook",
    "playbook_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="playbook.yaml whose escalation-rate target applies.",
)
@db_option
@_user_errors
def history(
    trainee: str | None,
    team: str | None,
    since: str | None,
    html_out: Path | None,
    as_json: bool,
    playbook_path: Path | None,
    db_url: str | None,
) -> None:
    """Trends over stored drills: MTTD/MTTA/MTTR, pass rates, escalation rate, MTTF."""
    playbook = load_playbook(playbook_path)
    where = TrendFilter(trainee=trainee, team=team, since=_since(since))
    store = HistoryStore.open(db_url)
    try:
        trends = compute_trends(store, where, playbook.escalation_rate_target)
    finally:
        store.close()
    if html_out is not None:
        html_out.parent.mkdir(parents=True, exist_ok=True)
        html_out.write_text(render_history_html(trends), encoding="utf-8")
    if as_json:
        click.echo(trends.model_dump_json(indent=2))
    else:
        Console().print(trends_renderable(trends))
    if html_out is not None:
        click.echo(f"wrote {html_out}", err=True)

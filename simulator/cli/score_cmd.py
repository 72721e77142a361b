"""`chaosdrill score` and `chaosdrill report`.

A drill is named by its log (JSON Lines or the drill's `events.db`), its report
directory, or its DRILL_ID (a drill under --state-root, then the history). The
answer key is, in order: `--scenario FILE`, the one the history stored with the
drill, the log's `answer_key.revealed`, and for a drill that never finished
(so never revealed it) its scenario in the library, said in a note.

A log that breaks the event-log invariants (`scoring.invariants`) is not
scored: one sentence per violation on stderr and exit status 1; `--force`
scores it with the violations shown. Every mistake a user can make (a corrupt
log line, a missing answer key, an unknown drill) ends in one sentence on
stderr and exit status 2.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import yaml
from pydantic import ValidationError
from rich.console import Console
from rich.text import Text

from scoring.drill import DrillView
from scoring.events import Event
from scoring.expectations import Expectations
from scoring.invariants import Violation, check
from scoring.playbook import Playbook, load_playbook
from scoring.report import build_report, render_html, render_json, render_markdown
from scoring.report.console import scorecard_renderable
from scoring.scorecard import Scorecard, score_drill
from simulator.cli.drill_source import DrillSource, locate
from simulator.cli.scoring_options import db_option, fail, scoring_errors, state_root_option

__all__ = ["report", "score"]

RENDERERS = {"html": render_html, "md": render_markdown, "json": render_json}


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


def _library_expectations(source: DrillSource, playbook: Playbook) -> Expectations | None:
    # A drill killed before its end never revealed its answer key: its scenario still has it.
    from simulator.scenario.loader import ScenarioError, default_scenario_dir, find_scenario

    started = next((e for e in source.events if e.type == "drill.started"), None)
    scenario_id = str(started.data.get("scenario_id", "")) if started else ""
    if not scenario_id:
        return None
    try:
        scenario = find_scenario(scenario_id, playbook=playbook)
    except ScenarioError:
        return None
    _note(
        f"{source.label} has no answer_key.revealed (the drill did not finish); scored against"
        f" the expected: block of scenario {scenario_id} in {default_scenario_dir()}"
    )
    return scenario.expected


def _expectations(source: DrillSource, scenario: Path | None, playbook: Playbook) -> Expectations:
    if scenario is not None:
        return _scenario_expectations(scenario, playbook)
    if source.expectations is not None:
        return source.expectations
    revealed = [e for e in source.events if e.type == "answer_key.revealed"]
    if revealed:
        try:
            return Expectations.model_validate(
                revealed[-1].data, context={"routing": playbook.routing}
            )
        except ValidationError as exc:
            raise ValueError(
                f"{source.label}: answer_key.revealed (seq {revealed[-1].seq}): {_first_error(exc)}"
            ) from None
    if source.scenario_file is not None:
        return _scenario_expectations(source.scenario_file, playbook)
    found = _library_expectations(source, playbook)
    if found is None:
        raise ValueError(
            f"{source.label} has no answer_key.revealed event; pass --scenario FILE to score"
            " against the scenario's expected: block"
        )
    return found


def _note(message: str) -> None:
    click.echo(f"chaosdrill: {message}", err=True)


def _load(spec: str, state_root: Path, db_url: str | None) -> DrillSource:
    """The drill's events, with what was tolerated on the way said on stderr."""
    source = locate(spec, state_root=state_root, db_url=db_url)
    for warning in source.warnings:
        _note(f"warning: {warning}")
    if not source.events:
        raise ValueError(f"{source.label} holds no events; is it the right file?")
    return source


def _gate(source: DrillSource, force: bool) -> list[Violation]:
    """The log's violations; without --force, each one on stderr and exit status 1."""
    violations = check(source.events)
    if violations and not force:
        for violation in violations:
            _note(f"{source.label}: {violation.sentence}")
        fail(
            f"{source.label} breaks the event-log invariants, so it was not scored;"
            " --force scores it anyway",
            code=1,
        )
    return violations


@dataclass
class Scored:
    card: Scorecard
    source: DrillSource
    expectations: Expectations
    playbook: Playbook
    view: DrillView
    violations: list[Violation]


def _score(options: dict[str, Any], spec: str, force: bool) -> Scored:
    playbook = load_playbook(options["playbook_path"])
    roots = {"state_root": options["state_root"], "db_url": options["db_url"]}
    source = _load(spec, **roots)
    violations = _gate(source, force)
    expectations = _expectations(source, options["scenario"], playbook)
    other: list[Event] | None = None
    if options["baseline"] is not None:
        baseline = _load(options["baseline"], **roots)
        violations += _gate(baseline, force)
        other = baseline.events
    view = DrillView(source.events)
    card = score_drill(view, expectations, playbook, other)
    return Scored(card, source, expectations, playbook, view, violations)


def _common(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(
        [
            click.option(
                "--scenario",
                type=click.Path(dir_okay=False, path_type=Path),
                help="Scenario file whose expected: block is the answer key (default: the"
                " log's answer_key.revealed; for a drill that never finished, its scenario).",
            ),
            click.option(
                "--baseline",
                metavar="DRILL",
                help="A second drill (log, report directory or id), run by the autopilot.",
            ),
            click.option(
                "--playbook",
                "playbook_path",
                type=click.Path(dir_okay=False, path_type=Path),
                help="playbook.yaml to score against (default: ./playbook.yaml).",
            ),
            click.option(
                "--force",
                is_flag=True,
                help="Score a log that breaks the event-log invariants, showing the violations.",
            ),
            state_root_option,
            db_option,
        ]
    ):
        func = option(func)
    return func


def _violations_text(violations: list[Violation]) -> Text:
    lines = [f"Log violations (scored with --force): {len(violations)}"]
    lines += [f"  {v.sentence}" for v in violations]
    return Text("\n".join(lines), style="red")


@click.command()
@click.argument("drill", metavar="LOG|REPORT_DIR|DRILL_ID")
@_common
@click.option("--json", "as_json", is_flag=True, help="Print the scorecard as JSON.")
@click.option("--store", is_flag=True, help="Also store the drill in the history database.")
@scoring_errors
def score(drill: str, force: bool, as_json: bool, store: bool, **options: Any) -> None:
    """Score a drill: clocks, criteria with feedback, participants.

    The drill is a log (JSON Lines, or a drill's events.db), a report directory,
    or a DRILL_ID. Exit status 1 when the log breaks the event-log invariants
    (unless --force), 2 on bad input.
    """
    scored = _score(options, drill, force)
    card = scored.card
    if store:
        from scoring.history import HistoryStore  # SQLAlchemy: only with --store

        history_store = HistoryStore.open(options["db_url"])
        try:
            history_store.save(card, scored.source.events, scored.expectations)
        finally:
            history_store.close()
    if as_json:
        body = card.model_dump(mode="json")
        body["violations"] = [v.model_dump(mode="json") for v in scored.violations]
        click.echo(json.dumps(body, indent=2))
        return
    console = Console()
    console.print(scorecard_renderable(card))
    if scored.violations:
        console.print(_violations_text(scored.violations))
    if store:
        console.print(f"Stored drill {card.drill_id} in the history.")


@click.command()
@click.argument("drill", metavar="LOG|REPORT_DIR|DRILL_ID")
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
@scoring_errors
def report(drill: str, fmt: str, out: Path | None, force: bool, **options: Any) -> None:
    """Write the report of a drill: a log, a report directory, or a DRILL_ID."""
    scored = _score(options, drill, force)
    for violation in scored.violations:
        _note(f"warning: scored with --force: {violation.sentence}")
    text = RENDERERS[fmt](build_report(scored.view, scored.card, scored.playbook))
    if out is None:
        click.echo(text, nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    click.echo(f"wrote {out}", err=True)

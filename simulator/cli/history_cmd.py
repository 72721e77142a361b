"""`chaosdrill history`: trends over the drills stored in the history database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
from rich.console import Console

from scoring.history import HistoryStore, TrendFilter, compute_trends
from scoring.history.render import render_history_html, trends_renderable
from scoring.playbook import load_playbook
from simulator.cli.scoring_options import db_option, scoring_errors


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
@scoring_errors
def history(
    trainee: str | None,
    team: str | None,
    since: str | None,
    html_out: Path | None,
    as_json: bool,
    playbook_path: Path | None,
    db_url: str | None,
) -> None:
    """Trends over stored drills: MTTD/MTTA/MTTR, pass rates, escalation rate, MTTF, outcomes."""
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

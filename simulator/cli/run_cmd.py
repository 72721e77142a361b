"""`chaosdrill run SCENARIO`: one whole drill, from environment to report."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.console import Console

from scoring.playbook import load_playbook
from simulator.cli.errors import fail, user_errors
from simulator.drill.progress import Progress
from simulator.drill.run import run_drill
from simulator.faults.registry import check_params
from simulator.scenario.loader import find_scenario


def database_for(target: str, given: str | None) -> str | None:
    """The PostgreSQL URL a scenario needs, or None for SQLite."""
    url = given or os.environ.get("CHAOSDRILL_DATABASE_URL")
    if target == "postgres" and not url:
        fail(
            "this scenario needs PostgreSQL: pass --database-url postgresql+psycopg://... "
            "(or set CHAOSDRILL_DATABASE_URL)"
        )
    return url if target == "postgres" else None


@click.command()
@click.argument("scenario")
@click.option("--autopilot", is_flag=True, help="Let the automated responder work the incident.")
@click.option(
    "--backend", type=click.Choice(["local", "docker"]), default="local", show_default=True
)
@click.option(
    "--detector", type=click.Choice(["builtin", "prometheus"]), default="builtin", show_default=True
)
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the log and reports go (default reports/DRILL).",
)
@click.option(
    "--database-url",
    envvar="CHAOSDRILL_DATABASE_URL",
    help="PostgreSQL for scenarios that target it.",
)
@click.option(
    "--playbook",
    "playbook_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="playbook.yaml to use (default: the repository's).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON only.")
@user_errors
def run(
    scenario: str,
    autopilot: bool,
    backend: str,
    detector: str,
    report_dir: Path | None,
    database_url: str | None,
    playbook_path: Path | None,
    as_json: bool,
) -> None:
    """Run the drill SCENARIO (an id from scenarios/ or a YAML file)."""
    if backend != "local":
        fail("the docker backend is not built yet; use --backend local")
    if detector != "builtin":
        fail("the prometheus detector is not built yet; use --detector builtin")
    if not autopilot:
        fail(
            "drills with people in them run through the console, which is not built yet; "
            "pass --autopilot for an automated responder"
        )
    playbook = load_playbook(playbook_path)
    loaded = find_scenario(scenario, check_params=check_params, playbook=playbook)
    url = database_for(loaded.target.database, database_url)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    directory = report_dir or Path("reports") / f"{loaded.id}-{stamp}"
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    if not as_json:
        console.print(f"[bold]{loaded.title}[/bold] ({loaded.id})\n{loaded.briefing.strip()}\n")
    result = run_drill(
        loaded,
        playbook,
        directory,
        autopilot=autopilot,
        database_url=url,
        progress=None if as_json else Progress(console),
    )
    if as_json:
        click.echo(
            json.dumps({**result.summary, "files": {k: str(v) for k, v in result.files.items()}})
        )
        return
    card = result.scorecard
    console.print(f"\n[bold]Outcome:[/bold] {card.outcome_detail}")
    console.print(f"[bold]Score:[/bold] {card.team.total:.0f}/100 (grade {card.team.grade})")
    for alert in card.alerts:
        mark = "ok" if alert.passed else "MISSED"
        console.print(
            f"  expected alert {alert.name}/{alert.severity} within {alert.within_s:.0f}s: {mark}"
        )
    console.print(f"[bold]Report:[/bold] {result.files['report']}")
    console.print(f"[bold]Review draft:[/bold] {result.files['review']}")

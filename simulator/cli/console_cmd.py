"""`chaosdrill console`: a facilitated session, drill after drill, from the browser."""

from __future__ import annotations

import os
from pathlib import Path

import click
from rich.console import Console

from scoring.playbook import load_playbook
from simulator.cli.errors import user_errors
from simulator.cli.options import database_url_option, playbook_option
from simulator.console.launch import parse_trainee, run_console
from simulator.console.live import DrillSettings
from simulator.notify.config import NotifyConfig, notifiers_from, notify_options


@click.command()
@click.option("--port", default=0, show_default=True, help="Port on 127.0.0.1 (0: a free one).")
@click.option(
    "--trainee",
    "trainees",
    multiple=True,
    metavar="NAME[:ROLE]",
    help="A trainee with a personal link (others join with the open link).",
)
@click.option(
    "--report-root",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Each drill's results go below.",
)
@database_url_option
@playbook_option
@click.option("--team", default="on-call", show_default=True, help="The team being drilled.")
@click.option(
    "--review-window",
    default=300.0,
    show_default=True,
    help="Seconds trainees have for the post-incident review after each drill.",
)
@click.option(
    "--links-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the join links and tokens to this JSON file.",
)
@notify_options
@user_errors
def console(
    port: int,
    trainees: tuple[str, ...],
    report_root: Path,
    database_url: str | None,
    playbook_path: Path | None,
    team: str,
    review_window: float,
    links_file: Path | None,
    slack_webhook_url: str | None,
    pagerduty_routing_key: str | None,
    pagerduty_url: str,
) -> None:
    """Serve the console for a facilitated session: pick a scenario, start, debrief, next."""
    settings = DrillSettings(
        playbook=load_playbook(playbook_path),
        report_root=report_root,
        database_url=database_url or os.environ.get("CHAOSDRILL_DATABASE_URL"),
        team=team,
        review_window_s=review_window,
        notifiers=notifiers_from(
            NotifyConfig(slack_webhook_url, pagerduty_routing_key, pagerduty_url)
        ),
    )
    out = Console(stderr=True, highlight=False, soft_wrap=True)
    session = run_console(
        settings,
        scenario=None,
        trainees=[parse_trainee(spec) for spec in trainees],
        port=port,
        start_now=False,
        exit_when_scored=False,
        links_file=links_file,
        console=out,
    )
    done = [d for d in [*session.past, session.live] if d is not None and d.result is not None]
    for live in done:
        assert live.result is not None
        card = live.result.scorecard
        report = live.result.files["report"]
        out.print(f"{card.title}: {card.team.total:.0f}/100 ({card.team.grade}) - {report}")

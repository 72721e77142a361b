"""`chaosdrill practice SCENARIO`: one drill for one trainee, worked from a terminal.

A console session with one trainee (you), started at once, with no browser
needed: this terminal shows the briefing, the pages and what happens (never
the faults: that is the answer); a second terminal works the incident with
`chaosdrill incident ...`, which finds this drill by itself. Hints are asked
for (`incident hint`), never pushed on a timer. The review opens once recovery
is measured; the drill is scored as soon as it ends (review window 0, unless
--review-window says otherwise), and the scorecard is printed here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
from rich.console import Console

from scoring.playbook import load_playbook
from simulator.cli.errors import fail, user_errors
from simulator.cli.options import database_url_option, playbook_option
from simulator.cli.run_cmd import database_for
from simulator.console.auth import check_name
from simulator.console.launch import run_console
from simulator.console.live import DrillSettings
from simulator.console.session import ConsoleSession
from simulator.drill.report_dir import archive_report_dir, check_report_dir
from simulator.drill.results import DrillResult
from simulator.faults.registry import check_params
from simulator.scenario.loader import find_scenario

STEPS = """\
In another terminal, from this directory (no --url or --token needed):
  chaosdrill incident show                 where things stand; run it often
  chaosdrill incident ack                  acknowledge the page
  chaosdrill incident severity P1          classify (P0-P3)
  chaosdrill incident assign sre           route (`incident assign --help`)
  chaosdrill incident status INVESTIGATING (`incident status --help` shows the state machine)
  chaosdrill incident diagnose health      look (`incident diagnose --help`)
  chaosdrill incident hint                 ask for a hint (each costs points)
  chaosdrill incident action NAME --yes    fix (`incident show` lists what can act here)
  chaosdrill incident update "summary"     tell people where it stands
  chaosdrill incident review ...           once the service has recovered, before you resolve
  chaosdrill incident resolve              ends the drill; the scorecard is printed here"""


@click.command()
@click.argument("scenario")
@click.option("--name", default="me", show_default=True, help="Your name on the scorecard.")
@click.option(
    "--time-scale",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Compress the playbook's targets and escalation by N (default: the scenario's).",
)
@click.option(
    "--review-window",
    default=0.0,
    show_default=True,
    help="Seconds to wait for your review after the drill (0: score at once; write it"
    " before you resolve).",
)
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the log and reports go (default reports/SCENARIO-STAMP).",
)
@click.option("--force", is_flag=True, help="Move a drill already in --report-dir aside first.")
@click.option("--port", default=0, show_default=True, help="Console port on 127.0.0.1 (0: free).")
@database_url_option
@playbook_option
@user_errors
def practice(
    scenario: str,
    name: str,
    time_scale: float | None,
    review_window: float,
    report_dir: Path | None,
    force: bool,
    port: int,
    database_url: str | None,
    playbook_path: Path | None,
) -> None:
    """Practise alone: work SCENARIO from a second terminal with `chaosdrill incident`.

    Ctrl-C aborts the drill (every fault reverted) and still scores it.
    """
    playbook = load_playbook(playbook_path)
    loaded = find_scenario(scenario, check_params=check_params, playbook=playbook)
    if time_scale is not None:
        loaded = loaded.model_copy(update={"time_scale": time_scale})
    url = database_for(loaded.target.database, database_url)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    directory = report_dir or Path("reports") / f"{loaded.id}-{stamp}"
    if force:
        archive_report_dir(directory)
    check_report_dir(directory)
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    settings = DrillSettings(
        playbook=playbook,
        report_dir=directory,
        database_url=url,
        review_window_s=review_window,
        solo=True,
    )
    console.print(f"[bold]{loaded.title}[/bold]\n{loaded.briefing.strip()}\n")
    if loaded.time_scale != 1:
        console.print(
            f"Time scale {loaded.time_scale:g}x: the playbook's targets and escalation run"
            f" {loaded.time_scale:g}x faster, on every clock and in the report.\n"
        )

    def ready(_session: ConsoleSession) -> None:
        console.print(f"\n{STEPS}\n\nThe drill is starting; wait for the page.\n")

    session = run_console(
        settings,
        scenario=loaded,
        trainees=[(check_name(name), "commander")],
        port=port,
        start_now=True,
        exit_when_scored=True,
        links_file=None,
        console=console,
        show_faults=False,
        show_links=False,
        on_ready=ready,
    )
    live = session.live
    if live is None or live.result is None:
        reason = live.error if live is not None and live.error else "it was never started"
        fail(f"the drill left no results: {reason}", code=1)
        return
    _print(live.result, console)
    if live.result.exit_code:
        raise SystemExit(live.result.exit_code)


def _print(result: DrillResult, console: Console) -> None:
    card = result.scorecard
    console.print(f"\n[bold]Outcome:[/bold] {card.outcome_detail}")
    if card.time_scale != 1:
        console.print(f"Time scale: {card.time_scale:g}x")
    for person in card.participants or [card.team]:
        console.print(f"[bold]{person.name}: {person.total:.0f}/100 (grade {person.grade})[/bold]")
        for criterion in person.criteria:
            console.print(
                f"  {criterion.label}: {criterion.points:g}/{criterion.max_points:g}"
                f" - {criterion.feedback}"
            )
            for line in criterion.details:
                console.print(f"      {line}")
    console.print(f"[bold]Report:[/bold] {result.files['report']}")
    console.print(f"[bold]Review draft:[/bold] {result.files['review']}")

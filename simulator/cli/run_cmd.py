"""`chaosdrill run SCENARIO`: one whole drill, from environment to report.

With `--autopilot` the automated responder works the incident; without it the
drill is served to people through the console (join links printed here), and
the facilitator starts it from the browser (or `--start-now`).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from scoring.playbook import load_playbook
from simulator.cli.cluster_options import drill_cluster_options, reach_of
from simulator.cli.errors import fail, user_errors
from simulator.cli.options import database_url_option, playbook_option
from simulator.drill.progress import Progress
from simulator.drill.reach import queries_slis, refusal, scenario_refusal
from simulator.drill.report_dir import archive_report_dir, check_report_dir
from simulator.drill.results import DrillResult
from simulator.drill.run import run_drill
from simulator.env import own_cluster
from simulator.env.lifecycle import OWN_CLUSTER
from simulator.faults.registry import check_params
from simulator.notify.config import NotifyConfig, notifiers_from, notify_options
from simulator.platform.registry import NAMES, platform_for
from simulator.prometheus.select import detector_factory
from simulator.prometheus.sli_queries import precheck as precheck_slis
from simulator.prometheus.sli_queries import resolve as resolve_slis
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


def own_cluster_url() -> str:
    """The drill's own cluster, or one sentence saying how to install PostgreSQL."""
    problem = own_cluster.refusal()
    if problem:
        fail(problem)
    return OWN_CLUSTER


@click.command()
@click.argument("scenario")
@click.option("--autopilot", is_flag=True, help="Let the automated responder work the incident.")
@click.option("--backend", type=click.Choice(NAMES), default=NAMES[0], show_default=True)
@click.option(
    "--detector", type=click.Choice(["builtin", "prometheus"]), default="builtin", show_default=True
)
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the log and reports go (default reports/DRILL).",
)
@database_url_option
@playbook_option
@click.option(
    "--rules",
    "rules_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Prometheus rules file to alert with (--detector prometheus; default: the playbook's).",
)
@click.option(
    "--prometheus-url",
    envvar="CHAOSDRILL_PROMETHEUS_URL",
    default=None,
    help="Read alerts from this running Prometheus instead of starting one.",
)
@click.option(
    "--force",
    is_flag=True,
    help="If --report-dir already holds a drill, move it aside (DIR.old-STAMP) first.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON only.")
@click.option("--port", default=0, show_default=True, help="Console port on 127.0.0.1 (0: free).")
@click.option(
    "--trainee",
    "trainees",
    multiple=True,
    metavar="NAME[:ROLE]",
    help="A trainee with a personal link; ROLE: commander, operations, communications.",
)
@click.option(
    "--start-now", is_flag=True, help="Start at once instead of waiting for the facilitator."
)
@click.option(
    "--review-window",
    default=300.0,
    show_default=True,
    help="Seconds trainees have for the post-incident review after the drill.",
)
@click.option("--exit-when-scored", is_flag=True, help="Stop the console once results are written.")
@click.option(
    "--links-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the join links and tokens to this JSON file (for scripts).",
)
@notify_options
@drill_cluster_options
@user_errors
def run(
    scenario: str,
    autopilot: bool,
    backend: str,
    detector: str,
    report_dir: Path | None,
    database_url: str | None,
    playbook_path: Path | None,
    rules_file: Path | None,
    prometheus_url: str | None,
    force: bool,
    as_json: bool,
    port: int,
    trainees: tuple[str, ...],
    start_now: bool,
    review_window: float,
    exit_when_scored: bool,
    links_file: Path | None,
    slack_webhook_url: str | None,
    pagerduty_routing_key: str | None,
    pagerduty_url: str,
    **where: Any,
) -> None:
    """Run the drill SCENARIO (an id from scenarios/ or a YAML file).

    With --autopilot the automated responder works the incident. Without it,
    people do, through the console served here on 127.0.0.1: the join links
    (facilitator, observers, trainees) are printed, the facilitator starts the
    drill from the browser (or --start-now), and responders can also use
    `chaosdrill incident ...` from a terminal. Ctrl-C aborts the drill (every
    fault reverted) and still writes the results.

    Exit status: 0 the drill completed (resolved or time limit), 1 it was aborted
    or failed mid-drill, 2 bad input, 130 / 143 interrupted by SIGINT / SIGTERM
    (after teardown and results).
    """
    reach = reach_of(where)
    if problem := refusal(backend, detector, prometheus_url, reach):
        fail(problem)
    queried = queries_slis(backend)  # a cluster: its SLIs from the Prometheus's query API
    factory = detector_factory(detector, rules_file, prometheus_url, queried_slis=queried)
    people = _trainees(trainees)
    playbook = load_playbook(playbook_path)
    loaded = find_scenario(scenario, check_params=check_params, playbook=playbook)
    if problem := scenario_refusal(loaded, backend, reach):
        fail(problem)
    if queried:  # the team's PromQL (target.slis, --sli-queries), else the shop's
        slis = resolve_slis(loaded, reach.sli_file)
        running = reach.env_fields(loaded.target).get("own_deployment") is not None
        precheck_slis(str(prometheus_url), slis, running=running)  # before anything exists
        factory = detector_factory(
            detector, None, prometheus_url, queried_slis=True, sli_queries=slis
        )
    url: str | None
    if loaded.target.own_cluster:  # the drill initdbs its own PostgreSQL
        url = own_cluster_url()
    elif not platform_for(backend).own_database:
        url = database_for(loaded.target.database, database_url)
    else:  # the docker stack brings its own PostgreSQL container
        url = "postgres" if loaded.target.database == "postgres" else None
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    directory = report_dir or Path("reports") / f"{loaded.id}-{stamp}"
    if force:
        moved = archive_report_dir(directory)
        if moved is not None and not as_json:
            click.echo(f"moved the earlier drill in {directory} to {moved}", err=True)
    check_report_dir(directory)
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    notifiers = notifiers_from(
        NotifyConfig(slack_webhook_url, pagerduty_routing_key, pagerduty_url)
    )
    if not as_json:
        console.print(f"[bold]{loaded.title}[/bold] ({loaded.id})\n{loaded.briefing.strip()}\n")
    if autopilot:
        result = run_drill(
            loaded,
            playbook,
            directory,
            autopilot=True,
            database_url=url,
            progress=None if as_json else Progress(console),
            notifiers=notifiers,
            backend=backend,
            detector_factory=factory,
            detector=detector,
            reach=reach,
        )
    else:
        from simulator.console.launch import run_console  # the web stack: only with people
        from simulator.console.live import DrillSettings

        settings = DrillSettings(
            playbook=playbook,
            report_dir=directory,
            database_url=url,
            review_window_s=review_window,
            notifiers=notifiers,
            backend=backend,
            detector=detector,
            detector_factory=factory,
            reach=reach,
        )
        session = run_console(
            settings,
            scenario=loaded,
            trainees=people,
            port=port,
            start_now=start_now,
            exit_when_scored=exit_when_scored,
            links_file=links_file,
            console=console,
            show_progress=not as_json,
        )
        live = session.live
        if live is None or live.result is None:
            reason = live.error if live is not None and live.error else "it was never started"
            fail(f"the drill left no results: {reason}", code=1)
            return
        result = live.result
    _print(result, as_json, console)
    if result.exit_code:
        raise SystemExit(result.exit_code)


def _trainees(specs: tuple[str, ...]) -> list[tuple[str, str]]:
    if not specs:
        return []
    from simulator.console.launch import parse_trainee

    return [parse_trainee(spec) for spec in specs]


def _print(result: DrillResult, as_json: bool, console: Console) -> None:
    if as_json:
        click.echo(
            json.dumps({**result.summary, "files": {k: str(v) for k, v in result.files.items()}})
        )
        return
    card = result.scorecard
    console.print(f"\n[bold]Outcome:[/bold] {card.outcome_detail}")
    console.print(f"[bold]Score:[/bold] {card.team.total:.0f}/100 (grade {card.team.grade})")
    for person in card.participants:
        console.print(
            f"  {person.name} ({person.role or 'trainee'}): {person.total:.0f} ({person.grade})"
        )
    for alert in card.alerts:
        mark = "ok" if alert.passed else "MISSED"
        console.print(
            f"  expected alert {alert.name}/{alert.severity} within {alert.within_s:.0f}s: {mark}"
        )
    for breach in card.breaches:
        console.print(f"  data exposure: {breach.sentence}", markup=False)
    for stuffing in card.stuffings:
        console.print(f"  accounts compromised: {stuffing.sentence}", markup=False)
    console.print(f"[bold]Report:[/bold] {result.files['report']}")
    console.print(f"[bold]Review draft:[/bold] {result.files['review']}")

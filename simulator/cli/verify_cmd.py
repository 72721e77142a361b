"""`chaosdrill verify [SCENARIO...] [--junit FILE]`: CI's check that alerting still fires."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from scoring.events import read_jsonl
from scoring.playbook import load_playbook
from simulator.cli.cluster_options import drill_cluster_options, reach_of
from simulator.cli.errors import fail, user_errors
from simulator.cli.options import database_url_option
from simulator.drill.progress import Progress
from simulator.drill.reach import queries_slis, refusal, scenario_refusal
from simulator.drill.run import run_drill
from simulator.drill.verify import Case, Verdict, accuracy, judge, write_junit
from simulator.env import own_cluster
from simulator.env.lifecycle import OWN_CLUSTER
from simulator.faults.registry import check_params
from simulator.platform.registry import DEFAULT, NAMES, platform_for
from simulator.prometheus.errors import PrometheusError
from simulator.prometheus.select import detector_factory
from simulator.prometheus.sli_queries import resolve as resolve_slis
from simulator.prometheus.teamrules import coverage_cases
from simulator.scenario.loader import find_scenario, load_scenarios
from simulator.scenario.model import Scenario
from simulator.teamalerting.check import TeamCheck


def _scenarios(args: tuple[str, ...]) -> list[Scenario]:
    playbook = load_playbook()
    if not args:
        return load_scenarios(check_params=check_params, playbook=playbook)
    found: list[Scenario] = []
    for arg in args:
        if Path(arg).is_dir():
            found += load_scenarios(Path(arg), check_params=check_params, playbook=playbook)
        else:
            found.append(find_scenario(arg, check_params=check_params, playbook=playbook))
    return found


@click.command()
@click.argument("scenarios", nargs=-1)
@click.option(
    "--junit",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the results as JUnit XML.",
)
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep each drill's log and reports under this directory.",
)
@database_url_option
@click.option("--backend", type=click.Choice(NAMES), default=DEFAULT, show_default=True)
@click.option(
    "--detector", type=click.Choice(["builtin", "prometheus"]), default="builtin", show_default=True
)
@click.option(
    "--rules",
    "rules_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The team's Prometheus rules file to check against real faults (--detector prometheus).",
)
@click.option("--prometheus-url", envvar="CHAOSDRILL_PROMETHEUS_URL", default=None)
@click.option(
    "--alertmanager-config",
    "am_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The team's alertmanager.yml, run for real beside the drill's with every receiver "
    "on a local capture sink (the rewritten file is saved next to the JUnit).",
)
@click.option(
    "--deliveries",
    "deliveries_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Which alert must reach which receiver in which scenario (--alertmanager-config).",
)
@click.option(
    "--coverage",
    "coverage_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the rule and receiver coverage (.md or .json; --alertmanager-config).",
)
@click.option("--verbose", "-v", is_flag=True, help="Show each drill's timeline.")
@drill_cluster_options
@user_errors
def verify(
    scenarios: tuple[str, ...],
    junit: Path | None,
    report_dir: Path | None,
    database_url: str | None,
    backend: str,
    detector: str,
    rules_file: Path | None,
    prometheus_url: str | None,
    am_file: Path | None,
    deliveries_file: Path | None,
    coverage_file: Path | None,
    verbose: bool,
    **where: Any,
) -> None:
    """Inject each scenario's faults; fail if an expected alert did not fire in budget
    or the service did not recover. SCENARIOS are ids, files or directories
    (default: the whole library).

    Exit status: 0 every case passed, 1 a case failed, 2 bad input, 130 / 143
    interrupted by SIGINT / SIGTERM (after that drill's teardown and the JUnit file).
    """
    reach = reach_of(where)
    if problem := refusal(backend, detector, prometheus_url, reach):
        fail(problem)
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    playbook = load_playbook()
    chosen = _scenarios(scenarios)
    for scenario in chosen:  # a target off the allow-list: before any drill starts
        if problem := scenario_refusal(scenario, backend, reach):
            fail(problem)
    # Every mistake in the detector's settings is one sentence before any drill runs.
    team = _team_check(am_file, deliveries_file, coverage_file, rules_file, chosen, junit)
    factory = detector_factory(
        detector,
        rules_file,
        prometheus_url,
        team=team.factory if team else None,
        queried_slis=queries_slis(backend),
    )
    # On a cluster each scenario's SLIs are its own PromQL (target.slis, --sli-queries).
    slis = {s.id: resolve_slis(s, reach.sli_file) for s in chosen if queries_slis(backend)}
    verdicts: list[Verdict] = []
    if team is not None:  # amtool config routes test, after promtool check rules (above)
        verdicts.append(Verdict("static checks", team.static_cases()))
        _print_cases(console, verdicts[-1])
        if not verdicts[-1].passed:  # fail fast: no drill starts, no fault is injected
            console.print("a route cannot deliver an expected alert: no drill was started")
            if junit is not None:
                write_junit(verdicts, junit)
                console.print(f"JUnit: {junit}")
            raise SystemExit(1)
    interrupted = 0  # 130 / 143 when SIGINT / SIGTERM ended a drill: stop, report, exit so
    with tempfile.TemporaryDirectory(prefix="chaosdrill-verify-") as tmp:
        root = report_dir or Path(tmp)
        for scenario in chosen:
            console.print(f"[bold]verify {scenario.id}[/bold]: {scenario.title}")
            url = database_url or os.environ.get("CHAOSDRILL_DATABASE_URL")
            if platform_for(backend).own_database:  # e.g. the stack's PostgreSQL container
                url = "postgres"
            if scenario.target.own_cluster:  # the drill initdbs its own PostgreSQL
                url = OWN_CLUSTER
                problem = own_cluster.refusal()
                if problem:
                    case = Case(scenario.id, "environment", False, problem)
                    verdicts.append(Verdict(scenario.id, [case]))
                    continue
            if scenario.target.database == "postgres" and not url:
                verdicts.append(
                    Verdict(
                        scenario.id,
                        [
                            Case(
                                scenario.id,
                                "environment",
                                False,
                                "needs PostgreSQL: pass --database-url or set "
                                "CHAOSDRILL_DATABASE_URL",
                            )
                        ],
                    )
                )
                continue
            result = run_drill(
                scenario,
                playbook,
                root / scenario.id,
                database_url=url if scenario.target.database == "postgres" else None,
                progress=Progress(console) if verbose else None,
                store_history=False,
                backend=backend,
                detector_factory=factory
                if scenario.id not in slis
                else detector_factory(
                    detector,
                    None,
                    prometheus_url,
                    queried_slis=True,
                    sli_queries=slis[scenario.id],
                ),
                detector=detector,
                reach=reach,
            )
            events = read_jsonl(result.files["log"])
            verdict = judge(scenario.id, result, events, scenario.expected)
            if team is not None:
                names = {a.name for a in scenario.expected.alerts}
                verdict.cases += team.cases(scenario.id, events, names)
            if result.exit_code >= 128:  # a cancelled CI job must not look green
                interrupted = result.exit_code
                verdict.cases.append(
                    Case(scenario.id, "drill ran to the end", False, "interrupted by a signal")
                )
            if rules_file is not None:
                verdict.cases[:0] = coverage_cases(
                    scenario.id, rules_file, scenario.expected.alerts
                )
            verdicts.append(verdict)
            _print_cases(console, verdict)
            if interrupted:
                break
    covered = team.finish(coverage_file) if team is not None else None
    if covered is not None:
        verdicts.append(Verdict("coverage", [covered]))
        console.print(f"coverage: {covered.message}")
        if coverage_file is not None:
            console.print(f"coverage report: {coverage_file}")
    if junit is not None:
        write_junit(verdicts, junit)
        console.print(f"JUnit: {junit}")
    _print_summary(console, verdicts)
    if interrupted:
        raise SystemExit(interrupted)
    if not all(v.passed for v in verdicts):
        raise SystemExit(1)


def _team_check(
    am_file: Path | None,
    deliveries_file: Path | None,
    coverage_file: Path | None,
    rules_file: Path | None,
    chosen: list[Scenario],
    junit: Path | None,
) -> TeamCheck | None:
    if am_file is None:
        if deliveries_file is not None or coverage_file is not None:
            raise PrometheusError("--deliveries and --coverage need --alertmanager-config")
        return None
    save_dir = junit.parent if junit is not None else Path.cwd()
    library = [s.id for s in _scenarios(())]  # a deliveries file may name the whole library
    ids = [s.id for s in chosen]
    return TeamCheck.prepare(am_file, deliveries_file, rules_file, ids, save_dir, library)


def _print_cases(console: Console, verdict: Verdict) -> None:
    for case in verdict.cases:
        mark = "[green]pass[/green]" if case.passed else "[red]FAIL[/red]"
        console.print(f"  {mark} {case.name}: {case.message}")


def _print_summary(console: Console, verdicts: list[Verdict]) -> None:
    table = Table(title="autopilot triage accuracy")
    for column in ("decision", "correct", "of", "share"):
        table.add_column(column)
    for name, (good, total) in accuracy(verdicts).items():
        share = f"{good / total:.0%}" if total else "-"
        table.add_row(name, str(good), str(total), share)
    console.print(table)
    failed = sum(not c.passed for v in verdicts for c in v.cases)
    total = sum(len(v.cases) for v in verdicts)
    console.print(f"{total - failed} passed, {failed} failed")

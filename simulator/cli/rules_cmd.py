"""`chaosdrill rules export`: the playbook's thresholds as Prometheus alerting rules."""

from __future__ import annotations

from pathlib import Path

import click

from scoring.playbook import load_playbook
from simulator.cli.errors import user_errors
from simulator.prometheus import RuleFileOptions, promtool_test, write_rules
from simulator.prometheus.rulefile import DEFAULT_JOB, DEFAULT_WINDOW
from simulator.prometheus.ruletest import duration_s


@click.group()
def rules() -> None:
    """Alert rules as Prometheus rule files."""


@rules.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("prometheus"),
    show_default=True,
    help="Directory for the rule file and its promtool test file.",
)
@click.option(
    "--playbook",
    "playbook_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="playbook.yaml to read the thresholds from (default: the repository's).",
)
@click.option(
    "--window",
    default=DEFAULT_WINDOW,
    show_default=True,
    help="Rate window of the SLIs (3s for a 1s scrape interval; 2m for 15s).",
)
@click.option(
    "--job", default=DEFAULT_JOB, show_default=True, help="Scrape job of the target (for `up`)."
)
@click.option(
    "--check/--no-check",
    default=False,
    help="Run `promtool test rules` on the exported files (needs Debian's prometheus).",
)
@user_errors
def export(out_dir: Path, playbook_path: Path | None, window: str, job: str, check: bool) -> None:
    """Write Prometheus alerting rules equal to the playbook's thresholds, and a
    `promtool test rules` file for them."""
    duration_s(window)  # a bad window is one sentence before anything is written
    options = RuleFileOptions(window=window, job=job)
    rules_path, test_path = write_rules(load_playbook(playbook_path), out_dir, options)
    click.echo(f"rules: {rules_path}")
    click.echo(f"tests: {test_path}   (promtool test rules {test_path})")
    if check:
        click.echo(promtool_test(test_path))

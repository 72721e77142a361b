"""Entry point: wires the command groups together; no logic lives here."""

from __future__ import annotations

import click

from simulator import __version__
from simulator.cli import (
    console_cmd,
    env_cmd,
    fault_cmd,
    history_cmd,
    incident_cmd,
    load_cmd,
    remediate_cmd,
    rules_cmd,
    run_cmd,
    scenarios_cmd,
    score_cmd,
    verify_cmd,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="chaosdrill")
def cli() -> None:
    """Break a real service on purpose and train the people who fix it."""


# Command groups register here, one line each.
cli.add_command(env_cmd.env)
cli.add_command(fault_cmd.fault)
cli.add_command(fault_cmd.cleanup)
cli.add_command(remediate_cmd.remediate)
cli.add_command(run_cmd.run)
cli.add_command(console_cmd.console)
cli.add_command(incident_cmd.incident)
cli.add_command(verify_cmd.verify)
cli.add_command(load_cmd.load)
cli.add_command(scenarios_cmd.scenarios)
cli.add_command(scenarios_cmd.playbook)
cli.add_command(score_cmd.score)
cli.add_command(score_cmd.report)
cli.add_command(history_cmd.history)
cli.add_command(rules_cmd.rules)


def main() -> None:
    cli()

"""Entry point: wires the command groups together; no logic lives here.

Each command's module is imported only when that command runs, so that a quick
command (`cleanup`, `incident ack`) does not pay for loading the engine, the
console and the Docker SDK first.
"""

from __future__ import annotations

import importlib

import click

from simulator import __version__

# Command name -> "module:attribute" of its click command, one line each.
COMMANDS = {
    "env": "env_cmd:env",
    "fault": "fault_cmd:fault",
    "cleanup": "fault_cmd:cleanup",
    "remediate": "remediate_cmd:remediate",
    "run": "run_cmd:run",
    "practice": "practice_cmd:practice",
    "console": "console_cmd:console",
    "incident": "incident_cmd:incident",
    "verify": "verify_cmd:verify",
    "load": "load_cmd:load",
    "scenarios": "scenarios_cmd:scenarios",
    "playbook": "scenarios_cmd:playbook",
    "score": "score_cmd:score",
    "report": "score_cmd:report",
    "history": "history_cmd:history",
    "rules": "rules_cmd:rules",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported when they are asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        module, _, attribute = spec.partition(":")
        command = getattr(importlib.import_module(f"simulator.cli.{module}"), attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="chaosdrill")
def cli() -> None:
    """Break a real service on purpose and train the people who fix it."""


def main() -> None:
    cli()

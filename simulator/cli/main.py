"""Entry point: wires the command groups together; no logic lives here."""

from __future__ import annotations

import click

from simulator import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="chaosdrill")
def cli() -> None:
    """Break a real service on purpose and train the people who fix it."""


# Command groups register here, one line each.


def main() -> None:
    cli()

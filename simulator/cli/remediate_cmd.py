"""`chaosdrill remediate ACTION [ARG]`: the responder's toolbox from a shell."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from simulator.cli.errors import fail, user_errors
from simulator.cli.options import json_option, resolve_state_dir, state_dir_option
from simulator.remediation.actions import ACTIONS
from simulator.remediation.apply import apply
from simulator.remediation.table import table_rows


@click.command()
@click.argument("action", required=False)
@click.argument("arg", required=False)
@click.option("--list", "show_list", is_flag=True, help="List the actions.")
@state_dir_option
@json_option
@user_errors
def remediate(
    action: str | None, arg: str | None, show_list: bool, state_dir: Path | None, as_json: bool
) -> None:
    """Apply a remediation ACTION (with ARG for feature.disable) to the environment."""
    if show_list or not action:
        ends = dict(table_rows())
        table = Table(title="remediations")
        for column in ("action", "what it does", "ends these faults"):
            table.add_column(column)
        for name, spec in ACTIONS.items():
            label = f"{name} {spec.arg.upper()}" if spec.arg else name
            table.add_row(label, spec.summary, ends.get(name, "-"))
        Console().print(table)
        if not action and not show_list:
            fail("name an action to apply", code=2)
        return
    result = apply(resolve_state_dir(state_dir), action, arg)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "action": result.action,
                    "arg": result.arg,
                    "detail": result.detail,
                    "ended": [e.id for e in result.ended],
                    "reasserted": [e.id for e in result.reasserted],
                }
            )
        )
        return
    click.echo(result.detail)
    for entry in result.ended:
        click.echo(f"  ended fault {entry.id} ({entry.kind})")

"""Options and error handling shared by `score`, `report` and `history`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

import click

from simulator.cli.drill_source import DEFAULT_STATE_ROOT

P = ParamSpec("P")
R = TypeVar("R")

db_option = click.option(
    "--db",
    "db_url",
    envvar="DRILL_DB_URL",
    show_envvar=True,
    help="History database URL (default sqlite:///.chaosdrill/history.db).",
)
state_root_option = click.option(
    "--state-root",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_STATE_ROOT,
    show_default=True,
    envvar="CHAOSDRILL_STATE_ROOT",
    show_envvar=True,
    help="Where drills leave their pointer files (drills/*/drill.json), to find a DRILL_ID.",
)


def fail(message: str, code: int = 2) -> None:
    click.echo(f"chaosdrill: {message}", err=True)
    raise SystemExit(code)


def scoring_errors(func: Callable[P, R]) -> Callable[P, R]:
    """One sentence on stderr and exit status 2 for every mistake a user can make."""

    # Every error class of scoring (log, playbook, scenario, history) is a ValueError.
    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except OSError as exc:
            fail(f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc))
            raise  # unreachable: fail exits
        except ValueError as exc:
            fail(str(exc))
            raise  # unreachable

    return wrapper

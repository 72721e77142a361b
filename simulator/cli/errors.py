"""How the CLI ends on a user's mistake: one sentence on stderr, exit 2, no traceback."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import click

from simulator.env.errors import EnvError
from simulator.env.proxy_client import ProxyError
from simulator.env.services import ServiceError
from simulator.faults.errors import FaultError

P = ParamSpec("P")
R = TypeVar("R")
USER_ERRORS: tuple[type[Exception], ...] = (
    FaultError,
    EnvError,
    ServiceError,
    ProxyError,
    ValueError,
)


def fail(message: str, code: int = 2) -> None:
    click.echo(f"chaosdrill: {message}", err=True)
    raise SystemExit(code)


def user_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn the errors a user can cause into one clear line and exit status 2."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except USER_ERRORS as exc:
            fail(str(exc))
            raise  # unreachable: fail() exits

    return wrapper

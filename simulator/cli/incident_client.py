"""What every `chaosdrill incident ...` command shares: finding the drill, errors.

The client is built when a command first needs it, never in the group, so
`--help` works for every subcommand without a running drill. Without --url the
running drill is found in the state root (see simulator/console/discovery.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ParamSpec, TypeVar

import click

from simulator.cli.errors import fail
from simulator.console.client import ConsoleClient, ConsoleClientError
from simulator.console.discovery import DiscoveryError, Published, pick_session

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class Target:
    """Where the commands go: given on the command line, or found in the state root."""

    url: str | None
    token: str | None
    name: str | None
    state_root: Path
    found: Published | None = None
    _client: ConsoleClient | None = field(default=None, repr=False)

    def client(self) -> ConsoleClient:
        if self._client is None:
            if self.url:
                self._client = ConsoleClient(self.url, self.token)
            else:
                self.found = pick_session(self.state_root)
                token = self.token or self.found.token_for(self.name)
                self._client = ConsoleClient(self.found.url, token)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def client(ctx: click.Context) -> ConsoleClient:
    target: Target = ctx.obj
    return target.client()


def target(ctx: click.Context) -> Target:
    found: Target = ctx.obj
    return found


def errors(func: Callable[P, R]) -> Callable[P, R]:
    """A refusal from the console or a missing drill ends in its one sentence, exit 2."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except (ConsoleClientError, DiscoveryError) as exc:
            fail(str(exc))
            raise  # unreachable

    return wrapper

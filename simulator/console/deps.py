"""FastAPI dependencies: the session, and the principal each endpoint allows.

Every route declares who may call it with one of the `*Only` / `Anyone`
annotations below; the role-matrix test walks every route and checks them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from simulator.console.auth import Principal, Role, authenticate, require_role, token_of
from simulator.console.session import ConsoleSession

__all__ = [
    "Anyone",
    "FacilitatorOnly",
    "Joiner",
    "Responder",
    "SessionDep",
    "StreamReader",
    "TraineeOnly",
    "session_of",
]


def session_of(request: Request) -> ConsoleSession:
    session: ConsoleSession = request.app.state.session
    return session


def allow(*roles: Role, query_token: bool = False) -> Callable[[Request], Principal]:
    """A dependency that authenticates the request and admits only `roles`."""
    allowed = frozenset(roles)

    def check(request: Request) -> Principal:
        principal = authenticate(
            session_of(request).tokens, token_of(request, allow_query=query_token)
        )
        return require_role(principal, allowed)

    return check


SessionDep = Annotated[ConsoleSession, Depends(session_of)]
Anyone = Annotated[Principal, Depends(allow(Role.FACILITATOR, Role.TRAINEE, Role.OBSERVER))]
Responder = Annotated[Principal, Depends(allow(Role.TRAINEE))]
TraineeOnly = Responder
FacilitatorOnly = Annotated[Principal, Depends(allow(Role.FACILITATOR))]
Joiner = Annotated[Principal, Depends(allow(Role.JOIN, Role.FACILITATOR))]
StreamReader = Annotated[
    Principal,
    Depends(allow(Role.FACILITATOR, Role.TRAINEE, Role.OBSERVER, query_token=True)),
]

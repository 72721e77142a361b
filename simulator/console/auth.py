"""Who is asking: per-drill tokens, the three roles, and the checks every endpoint makes.

A join link carries a token (`/join/TOKEN`). The token says who the holder is:
the facilitator, an observer, one named trainee, or the open trainee join link
(which can only trade a name for a personal trainee token). API calls send the
token in the `X-Chaosdrill-Token` header (or `Authorization: Bearer`); there is
no cookie, so a page on another site cannot make a browser act for anyone (no
CSRF). Only read-only GETs may carry it in the URL, because EventSource and
page links cannot set headers.
"""

from __future__ import annotations

import re
import secrets
import threading
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import Request

__all__ = [
    "DUTIES",
    "HEADER",
    "Principal",
    "Role",
    "Tokens",
    "check_name",
    "token_of",
]

HEADER = "X-Chaosdrill-Token"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")

# What a trainee does in the drill (the playbook's incident roles), id -> label.
DUTIES: dict[str, str] = {
    "commander": "incident commander",
    "operations": "operations",
    "communications": "communications",
}


class Role(StrEnum):
    FACILITATOR = "facilitator"
    TRAINEE = "trainee"
    OBSERVER = "observer"
    JOIN = "join"  # the open trainee link: may only join under a name


@dataclass(frozen=True)
class Principal:
    """The holder of one token."""

    role: Role
    name: str
    token: str
    duty: str = ""

    @property
    def actor(self) -> str:
        """The event log's actor for this person ("trainee:NAME" for trainees)."""
        return f"trainee:{self.name}" if self.role is Role.TRAINEE else self.role.value

    @property
    def sees_answer_key(self) -> bool:
        return self.role is Role.FACILITATOR


def check_name(name: str) -> str:
    """A trainee name as it will appear in the log; one sentence if it is not usable."""
    name = name.strip()
    if not NAME_PATTERN.match(name):
        raise ValueError(
            f"the name {name!r} is not usable; use 1-32 letters, digits, '.', '_' or '-',"
            " starting with a letter or digit"
        )
    return name


def check_duty(duty: str) -> str:
    if duty not in DUTIES:
        raise ValueError(f"unknown role {duty!r}; roles are {', '.join(DUTIES)}")
    return duty


class Tokens:
    """Every token of one console session (kept in memory: a session is one process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_token: dict[str, Principal] = {}
        self.facilitator = self._issue(Role.FACILITATOR, "facilitator")
        self.observer = self._issue(Role.OBSERVER, "observer")
        self.join = self._issue(Role.JOIN, "join")

    def _issue(self, role: Role, name: str, duty: str = "") -> Principal:
        principal = Principal(role, name, secrets.token_urlsafe(18), duty)
        self._by_token[principal.token] = principal
        return principal

    def add_trainee(self, name: str, duty: str = "operations") -> Principal:
        """A personal token for a trainee; names are unique within the session."""
        name, duty = check_name(name), check_duty(duty)
        with self._lock:
            if any(
                p.role is Role.TRAINEE and p.name.lower() == name.lower()
                for p in self._by_token.values()
            ):
                raise ValueError(f"the name {name!r} is taken in this drill; pick another")
            return self._issue(Role.TRAINEE, name, duty)

    def get(self, token: str) -> Principal | None:
        with self._lock:
            return self._by_token.get(token)

    def trainees(self) -> list[Principal]:
        with self._lock:
            return [p for p in self._by_token.values() if p.role is Role.TRAINEE]


def token_of(request: Request, *, allow_query: bool) -> str | None:
    """The token a request carries: header first; the URL only for read-only GETs."""
    header = request.headers.get(HEADER)
    if header:
        return header.strip()
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    if allow_query and request.method in ("GET", "HEAD"):
        return request.query_params.get("token")
    return None


def authenticate(tokens: Tokens, token: str | None) -> Principal:
    from fastapi import HTTPException  # the CLI's incident client imports this module

    if not token:
        raise HTTPException(401, f"send your token in the {HEADER} header (from your join link)")
    principal = tokens.get(token)
    if principal is None:
        raise HTTPException(401, "this token is not valid for this console; use your join link")
    return principal


def require_role(principal: Principal, roles: frozenset[Role]) -> Principal:
    from fastapi import HTTPException

    if principal.role not in roles:
        allowed = " or ".join(sorted(r.value for r in roles))
        raise HTTPException(403, f"only the {allowed} may do this (you are {principal.role})")
    return principal

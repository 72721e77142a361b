"""The shop's audit log read back: one `shop.audit` line per request that presented a key,
and one per login attempt (route `/login`, with the account tried and the outcome)."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.env.state import EnvState

LOGIN_ROUTE = "/login"


@dataclass(frozen=True)
class AuditEntry:
    ts: float  # wall time
    key_id: str | None
    client: str | None
    route: str
    status: int
    rows: int
    account: str | None = None  # a login attempt: the account tried
    login: str | None = None  # and its outcome (ok, wrong_password, locked, blocked, ...)

    @property
    def is_login(self) -> bool:
        return self.route == LOGIN_ROUTE


def audit_path(state: EnvState) -> Path:
    return Path(state.data_dir) / "shop.jsonl"


def read_audit(path: Path, since_wall: float = 0.0) -> list[AuditEntry]:
    """Every audit entry of the shop's log at or after `since_wall` (whole file: exact)."""
    entries = []
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return []
    for line in lines:
        if '"shop.audit"' not in line:
            continue
        try:
            raw = json.loads(line)
        except ValueError:
            continue  # a line cut short by a killed shop
        if raw.get("logger") != "shop.audit" or float(raw.get("ts", 0)) < since_wall:
            continue
        entries.append(
            AuditEntry(
                ts=float(raw["ts"]),
                key_id=raw.get("key_id"),
                client=raw.get("client"),
                route=str(raw.get("route", "")),
                status=int(raw.get("status", 0)),
                rows=int(raw.get("rows", 0)),
                account=raw.get("account"),
                login=raw.get("login"),
            )
        )
    return entries


@dataclass(frozen=True)
class Exposure:
    """What one key gave one client: rows returned and the window they left in."""

    key_id: str | None
    client: str | None
    requests: int
    refused: int
    rows: int
    first_ok_wall: float | None
    last_ok_wall: float | None


def exposures(entries: list[AuditEntry]) -> list[Exposure]:
    """Per (key, client): requests, refusals, rows returned, first and last success."""
    groups: dict[tuple[str | None, str | None], list[AuditEntry]] = defaultdict(list)
    for entry in entries:
        if not entry.is_login:
            groups[(entry.key_id, entry.client)].append(entry)
    result = []
    for (key_id, client), group in sorted(groups.items(), key=lambda g: str(g[0])):
        ok = [e for e in group if 200 <= e.status < 300]
        result.append(
            Exposure(
                key_id=key_id,
                client=client,
                requests=len(group),
                refused=len(group) - len(ok),
                rows=sum(e.rows for e in ok),
                first_ok_wall=min((e.ts for e in ok), default=None),
                last_ok_wall=max((e.ts for e in ok), default=None),
            )
        )
    return result


def summary(entries: list[AuditEntry]) -> list[dict[str, Any]]:
    """The audit view a responder reads: who used which key, from where, how many rows."""
    return [
        {
            "key_id": x.key_id or "(unknown key)",
            "client": x.client,
            "requests": x.requests,
            "refused": x.refused,
            "rows_returned": x.rows,
            "last_success": x.last_ok_wall,
        }
        for x in exposures(entries)
    ]


@dataclass(frozen=True)
class LoginTally:
    """What one client address did at the login: attempts, failures, accounts opened."""

    client: str | None
    attempts: int
    failed: int  # wrong password or unknown account (401)
    refused: int  # blocked address, locked account, reset required
    accounts: tuple[str, ...]  # accounts it logged into
    first_success_wall: float | None
    last_success_wall: float | None
    last_attempt_wall: float | None
    last_reached_wall: float | None  # its last attempt not refused by a block


def login_tallies(entries: list[AuditEntry]) -> list[LoginTally]:
    """Per client address, every login attempt of the log summed up."""
    groups: dict[str | None, list[AuditEntry]] = defaultdict(list)
    for entry in entries:
        if entry.is_login:
            groups[entry.client].append(entry)
    result = []
    for client, group in sorted(groups.items(), key=lambda g: str(g[0])):
        ok = [e for e in group if e.status == 200]
        result.append(
            LoginTally(
                client=client,
                attempts=len(group),
                failed=sum(1 for e in group if e.status == 401),
                refused=sum(1 for e in group if e.status not in (200, 401)),
                accounts=tuple(sorted({str(e.account) for e in ok})),
                first_success_wall=min((e.ts for e in ok), default=None),
                last_success_wall=max((e.ts for e in ok), default=None),
                last_attempt_wall=max((e.ts for e in group), default=None),
                last_reached_wall=max((e.ts for e in group if e.login != "blocked"), default=None),
            )
        )
    return result


def login_summary(entries: list[AuditEntry]) -> list[dict[str, Any]]:
    """The login view a responder reads: per address, attempts, failures, accounts opened."""
    return [
        {
            "client": x.client,
            "attempts": x.attempts,
            "failed": x.failed,
            "refused": x.refused,
            "logged_into": list(x.accounts),
        }
        for x in login_tallies(entries)
    ]

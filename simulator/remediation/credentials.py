"""Credential actions: revoke a key, rotate an owner's keys, block an address, notify,
lock or force a reset of customer accounts.

Each really acts through the shop's token-protected controls (`target_app/routes/keys.py`)
or reads its audit log; bad input is refused in one sentence before anything changes.
"""

from __future__ import annotations

import ipaddress
import re
import time
from typing import Any

import httpx

from simulator.env.http import client
from simulator.faults.backend import FaultBackend
from simulator.faults.errors import FaultError
from simulator.security.audit import audit_path, exposures, read_audit

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


def _admin(
    backend: FaultBackend, method: str, path: str, body: dict[str, Any] | None = None
) -> Any:
    shop = backend.state.shop
    try:
        response = client().request(
            method,
            shop.url + path,
            json=body,
            timeout=5.0,
            headers={"X-Chaos-Token": backend.state.chaos_token},
        )
    except httpx.HTTPError as exc:
        raise FaultError(f"the shop at {shop.url} did not answer ({type(exc).__name__})") from exc
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail")
        except ValueError:
            detail = response.text[:200]
        raise FaultError(f"the shop refused: {detail}")
    return response.json()


def _name(what: str, arg: str | None) -> str:
    if arg is None or not NAME.match(arg):
        raise FaultError(f"{what} must be lower-case letters, digits and dashes (got {arg!r})")
    return arg


def revoke_key(backend: FaultBackend, arg: str | None) -> str:
    key_id = _name("key.revoke takes an API key id, which", arg)
    result = _admin(backend, "POST", f"/admin/keys/{key_id}/revoke")
    return f"revoked API key {result['revoked']} (owner {result['owner']}): it gets 401 from now"


def rotate_keys(backend: FaultBackend, arg: str | None) -> str:
    owner = _name("keys.rotate takes an owner, which", arg)
    result = _admin(backend, "POST", "/admin/keys/rotate", {"owner": owner})
    ids = ", ".join(sorted(result["rotated"]))
    # The new secrets go to their owners out of band, never into the drill's log.
    return f"rotated every key of {owner} ({ids}): the old secrets get 401 from now"


def block_client(backend: FaultBackend, arg: str | None) -> str:
    try:
        address = str(ipaddress.ip_address(arg or ""))
    except ValueError:
        raise FaultError(
            f"client.block takes an IP address such as 127.0.0.2 (got {arg!r})"
        ) from None
    _admin(backend, "POST", "/admin/blocks", {"address": address})
    return f"blocked client {address}: the shop's API answers it 403 from now"


def notify_users(backend: FaultBackend, arg: str | None) -> str:
    key_id = _name("users.notify takes the leaked key's id, which", arg)
    leaked = [x for x in exposures(read_audit(audit_path(backend.state))) if x.key_id == key_id]
    rows = sum(x.rows for x in leaked)
    if not leaked:
        raise FaultError(f"the audit log has no request with key {key_id!r}; nobody to notify")
    clients = ", ".join(sorted({str(x.client) for x in leaked}))
    window = [x.first_ok_wall for x in leaked if x.first_ok_wall] + [
        x.last_ok_wall for x in leaked if x.last_ok_wall
    ]
    span = (
        f" between {time.strftime('%H:%M:%S', time.localtime(min(window)))} and "
        f"{time.strftime('%H:%M:%S', time.localtime(max(window)))}"
        if window
        else ""
    )
    return (
        f"[DRILL] notified the customers of {rows} record(s) exported with key {key_id} "
        f"(to {clients}){span}, from the audit log"
    )


EMAIL = re.compile(r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,}$")


def _accounts(backend: FaultBackend, action: str, arg: str | None) -> list[str]:
    """The e-mails of `arg`, every one a known account, or one sentence and no change."""
    emails = sorted({e.strip() for e in (arg or "").split(",") if e.strip()})
    if not emails or len(emails) > 50 or not all(EMAIL.match(e) for e in emails):
        raise FaultError(
            f"{action} takes one or more account e-mails separated by commas, at most 50 "
            f"(got {arg!r}); the `audit` view lists the accounts logged into per address"
        )
    known = {a["email"] for a in _admin(backend, "GET", "/admin/accounts")["accounts"]}
    unknown = [e for e in emails if e not in known]
    if unknown:
        raise FaultError(f"{action}: no account {', '.join(unknown)}; nothing was changed")
    return emails


def lock_accounts(backend: FaultBackend, arg: str | None) -> str:
    emails = _accounts(backend, "accounts.lock", arg)
    for email in emails:
        _admin(backend, "POST", f"/admin/accounts/{email}/lock")
    return f"locked {len(emails)} account(s) ({', '.join(emails)}): every login refused (423)"


def reset_accounts(backend: FaultBackend, arg: str | None) -> str:
    emails = _accounts(backend, "accounts.reset", arg)
    for email in emails:
        _admin(backend, "POST", f"/admin/accounts/{email}/reset")
    return (
        f"forced a password reset of {len(emails)} account(s) ({', '.join(emails)}): "
        "their old passwords no longer work"
    )

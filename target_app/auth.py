"""Who is calling: the API-key dependency, the audit record, the deny list.

Every request that presents an `X-Api-Key` is audited (key id, client address,
route, status, rows returned) as one `shop.audit` line in the shop's log; the
handler and this module fill `scope["state"]["audit"]` and the observability
middleware writes it once the status is known.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from target_app.deps import ShopDep
from target_app.keys import CANARY_KEY, KeyRecord, KeyStore

# The control plane and the platform's probes are never behind the deny list: a
# responder who blocks 127.0.0.1 breaks the API, not their own tools.
UNBLOCKABLE = (
    "/chaos",
    "/admin/keys",
    "/admin/blocks",
    "/admin/canary",
    "/admin/cache",
    "/admin/accounts",
)
LOGIN = "/login"
UNBLOCKABLE_EXACT = frozenset({"/metrics", "/healthz", "/readyz"})


def audit_of(scope: Scope) -> dict[str, Any] | None:
    state = scope.get("state")
    return state.get("audit") if isinstance(state, dict) else None


def start_audit(scope: Scope, key_id: str | None) -> dict[str, Any]:
    audit: dict[str, Any] = {"key_id": key_id, "rows": 0}
    scope.setdefault("state", {})["audit"] = audit
    return audit


async def api_key(
    request: Request, shop: ShopDep, x_api_key: Annotated[str | None, Header()] = None
) -> KeyRecord:
    """The calling key, valid and not revoked; a canary key is counted and refused."""
    if x_api_key is None:
        raise HTTPException(401, detail="missing X-Api-Key header")
    key = shop.keys.authenticate(x_api_key)
    audit = start_audit(request.scope, key.id if key else None)
    if key is None:
        raise HTTPException(401, detail="unknown API key")
    if key.id == CANARY_KEY:
        shop.metrics.canary.labels(token="key").inc()
        raise HTTPException(401, detail="unknown API key")
    if key.revoked:
        raise HTTPException(401, detail="API key revoked")
    audit["owner"] = key.owner
    return key


def require_scope(scope: str) -> Callable[[KeyRecord, ShopDep], Awaitable[KeyRecord]]:
    async def check(key: Annotated[KeyRecord, Depends(api_key)], shop: ShopDep) -> KeyRecord:
        if scope not in key.scopes:
            raise HTTPException(403, detail=f"API key {key.id!r} lacks the {scope} scope")
        return key

    return check


class DenyListMiddleware:
    """Refuses requests from blocked client addresses with a 403 (audited when they
    present a key or try to log in); sits inside the observability middleware so they
    are counted."""

    def __init__(self, app: ASGIApp, keys: KeyStore) -> None:
        self.app = app
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        path = str(scope.get("path", ""))
        if (
            scope["type"] != "http"
            or client is None
            or not self.keys.is_blocked(client[0])
            or path in UNBLOCKABLE_EXACT
            or path.startswith(UNBLOCKABLE)
        ):
            await self.app(scope, receive, send)
            return
        secret = dict(scope.get("headers") or []).get(b"x-api-key")
        if secret is not None:
            key = self.keys.authenticate(secret.decode(errors="replace"))
            start_audit(scope, key.id if key else None)
        elif path == LOGIN:  # a refused login attempt is audited too (not its body)
            start_audit(scope, None).update(route=LOGIN, login="blocked")
        body = b'{"detail":"client address blocked"}'
        await send(
            {
                "type": "http.response.start",
                "status": 403,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

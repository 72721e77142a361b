"""Customer login, and the operator's account controls (lock, forced reset).

Every login attempt is audited (`shop.audit`: client address, account, outcome)
and counted: `login_successes_total`, `login_failures_total{reason}`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from target_app.accounts import UnknownAccount
from target_app.auth import start_audit
from target_app.deps import ShopDep, require_chaos_token

router = APIRouter(tags=["login"])
admin = APIRouter(
    prefix="/admin/accounts", tags=["credentials"], dependencies=[Depends(require_chaos_token)]
)
REFUSED = {"locked": (423, "account locked"), "reset_required": (403, "password reset required")}


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(min_length=3, max_length=200)
    password: str = Field(min_length=1, max_length=200)


@router.post("/login")
async def login(body: LoginIn, request: Request, shop: ShopDep) -> dict[str, Any]:
    audit = start_audit(request.scope, None)
    audit["account"] = body.email
    outcome = await run_in_threadpool(shop.accounts.login, body.email, body.password)
    audit["login"] = outcome
    if outcome == "ok":
        shop.metrics.login_successes.inc()
        return {"account": body.email, "logged_in": True}
    shop.metrics.login_failures.labels(reason=outcome).inc()
    status, detail = REFUSED.get(outcome, (401, "wrong e-mail or password"))
    raise HTTPException(status, detail=detail)


@admin.get("")
async def list_accounts(shop: ShopDep) -> dict[str, Any]:
    return {"accounts": await run_in_threadpool(shop.accounts.rows)}


@admin.post("/{email}/lock")
async def lock_account(email: str, shop: ShopDep) -> dict[str, Any]:
    try:
        await run_in_threadpool(shop.accounts.lock, email)
    except UnknownAccount as exc:
        raise HTTPException(404, detail=str(exc)) from None
    return {"locked": email}


@admin.post("/{email}/reset")
async def reset_account(email: str, shop: ShopDep) -> dict[str, Any]:
    try:
        await run_in_threadpool(shop.accounts.reset, email)
    except UnknownAccount as exc:
        raise HTTPException(404, detail=str(exc)) from None
    return {"reset": email}

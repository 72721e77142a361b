"""Liveness, readiness, version and metrics: what operators and probes read."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from target_app.deps import Shop, ShopDep

router = APIRouter(tags=["operations"])
READY_BUDGET_S = 0.8  # /readyz answers within 1 s even when a dependency hangs


@router.get("/healthz")
def healthz(shop: ShopDep) -> dict[str, str]:
    return {"status": "ok", "version": shop.settings.app_version}


@router.get("/version")
def version(shop: ShopDep) -> dict[str, str]:
    return {"version": shop.settings.app_version}


def _check_database(shop: Shop) -> None:
    with shop.engine.connect() as conn:
        conn.execute(text("SELECT 1"))


async def _timed(check: Any, *args: Any) -> tuple[bool, str]:
    try:
        await asyncio.wait_for(asyncio.to_thread(check, *args), READY_BUDGET_S)
    except TimeoutError:
        return False, f"no answer within {READY_BUDGET_S}s"
    except Exception as exc:
        return False, f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    return True, "ok"


def _check_payments(shop: Shop, provider: str) -> None:
    if not shop.payments.health(provider, READY_BUDGET_S):
        raise ConnectionError(f"{provider} payment provider is not healthy")


@router.get("/readyz")
async def readyz(shop: ShopDep) -> JSONResponse:
    provider = str(shop.chaos.flags["payment_provider"])
    (db_ok, db_msg), (pay_ok, pay_msg) = await asyncio.gather(
        _timed(_check_database, shop), _timed(_check_payments, shop, provider)
    )
    body = {
        "status": "ready" if db_ok and pay_ok else "not ready",
        "checks": {"database": db_msg, f"payment_provider:{provider}": pay_msg},
    }
    return JSONResponse(body, status_code=200 if db_ok and pay_ok else 503)


@router.get("/metrics")
def metrics(shop: ShopDep) -> Response:
    return Response(generate_latest(shop.metrics.registry), media_type=CONTENT_TYPE_LATEST)

"""Liveness, readiness, version and metrics: what operators and probes read.

These are `async def` on purpose: they must answer even when every worker
thread is stuck on a hung database.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from target_app.db import pool_usage
from target_app.deps import ShopDep

router = APIRouter(tags=["operations"])
READY_BUDGET_S = 0.8  # /readyz answers within 1 s even when a dependency hangs


@router.get("/healthz")
async def healthz(shop: ShopDep) -> dict[str, str]:
    return {"status": "ok", "version": shop.settings.app_version}


@router.get("/version")
async def version(shop: ShopDep) -> dict[str, str]:
    return {"version": shop.settings.app_version}


@router.get("/readyz")
async def readyz(shop: ShopDep) -> JSONResponse:
    """200 when the database and the payment provider in use answer; else 503
    naming each failed check."""
    provider = shop.chaos.flags.payment_provider
    probes = (shop.probes.database, shop.probes.payments[provider])
    results = await asyncio.gather(*(probe.run(READY_BUDGET_S) for probe in probes))
    checks = {probe.name: msg for probe, (_ok, msg) in zip(probes, results, strict=True)}
    failed = [probe.name for probe, (ok, _msg) in zip(probes, results, strict=True) if not ok]
    if "database" in failed:
        checks["database"] += f" (pool: {pool_usage(shop.engine)})"
    body = {"status": "not ready" if failed else "ready", "checks": checks, "failed": failed}
    return JSONResponse(body, status_code=503 if failed else 200)


@router.get("/metrics")
async def metrics(shop: ShopDep) -> Response:
    return Response(generate_latest(shop.metrics.registry), media_type=CONTENT_TYPE_LATEST)

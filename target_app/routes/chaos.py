"""Token-protected, loopback-only controls used by the fault layer and operators.

All handlers are `async def` and never block: the controls must answer even
when every worker thread is stuck on a hung database.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from target_app.deps import ShopDep, require_chaos_token

router = APIRouter(tags=["chaos"], dependencies=[Depends(require_chaos_token)])
MAX_TTL_S = 24 * 3600
Ttl = Annotated[float, Field(gt=0, le=MAX_TTL_S)]
Routes = list[Annotated[str, Field(pattern=r"^/", max_length=200)]]  # path prefixes


class _Strict(BaseModel):
    # A misspelt field is an error, not a silently ignored setting.
    model_config = ConfigDict(extra="forbid")


class ErrorsIn(_Strict):
    fraction: float = Field(gt=0, le=1)
    status: int = Field(default=500, ge=400, le=599)
    routes: Routes = []
    ttl_s: Ttl


class LatencyIn(_Strict):
    ms: float = Field(gt=0, le=60_000)
    jitter_ms: float = Field(default=0, ge=0, le=60_000)
    routes: Routes = []
    ttl_s: Ttl


class SlowdownIn(_Strict):
    factor: float = Field(gt=1, le=100)
    routes: Routes = []
    ttl_s: Ttl


class CpuIn(_Strict):
    threads: int = Field(default=2, ge=1, le=16)
    duty: float = Field(default=1.0, gt=0, le=1)
    ttl_s: Ttl


class MemoryIn(_Strict):
    mb_per_s: float = Field(default=20, gt=0, le=1000)
    max_mb: float = Field(default=512, gt=0, le=16_384)
    ttl_s: Ttl


class PoolLeakIn(_Strict):
    connections: int = Field(ge=1, le=200)
    ttl_s: Ttl


class FlagsIn(_Strict):
    recommendations_enabled: bool | None = None
    payment_provider: Literal["primary", "backup"] | None = None
    search_ranking_enabled: bool | None = None
    storefront_v2_enabled: bool | None = None
    product_summaries_enabled: bool | None = None
    writes_enabled: bool | None = None
    ttl_s: Ttl | None = None


Kind = Literal["errors", "latency", "slowdown", "cpu", "memory", "pool_leak", "flags"]


@router.get("/chaos")
async def chaos_state(shop: ShopDep) -> dict[str, Any]:
    return shop.chaos.snapshot()


@router.put("/chaos/errors")
async def set_errors(body: ErrorsIn, shop: ShopDep) -> dict[str, Any]:
    shop.chaos.set_errors(body.fraction, body.status, body.routes, body.ttl_s)
    return shop.chaos.snapshot()


@router.put("/chaos/latency")
async def set_latency(body: LatencyIn, shop: ShopDep) -> dict[str, Any]:
    shop.chaos.set_latency(body.ms, body.jitter_ms, body.routes, body.ttl_s)
    return shop.chaos.snapshot()


@router.put("/chaos/slowdown")
async def set_slowdown(body: SlowdownIn, shop: ShopDep) -> dict[str, Any]:
    shop.chaos.set_slowdown(body.factor, body.routes, body.ttl_s)
    return shop.chaos.snapshot()


@router.put("/chaos/cpu")
async def set_cpu(body: CpuIn, shop: ShopDep) -> dict[str, Any]:
    shop.chaos.set_cpu_burn(body.threads, body.duty, body.ttl_s)
    return shop.chaos.snapshot()


@router.put("/chaos/memory")
async def set_memory(body: MemoryIn, shop: ShopDep) -> dict[str, Any]:
    shop.chaos.set_memory_growth(body.mb_per_s, body.max_mb, body.ttl_s)
    return shop.chaos.snapshot()


@router.put("/chaos/pool_leak")
async def set_pool_leak(body: PoolLeakIn, shop: ShopDep) -> dict[str, Any]:
    shop.chaos.set_pool_leak(body.connections, body.ttl_s)
    return shop.chaos.snapshot()


@router.put("/chaos/flags")
async def set_flags(body: FlagsIn, shop: ShopDep) -> dict[str, Any]:
    values = body.model_dump(exclude_none=True, exclude={"ttl_s"})
    if not values:
        raise HTTPException(422, detail="name at least one flag to set")
    shop.chaos.set_flags(values, body.ttl_s)
    return shop.chaos.snapshot()


class ExtendIn(_Strict):
    ttl_s: Ttl


@router.post("/chaos/{kind}/extend")
async def extend_kind(kind: Kind, body: ExtendIn, shop: ShopDep) -> dict[str, Any]:
    """A new deadline for an active setting: `ttl_s` seconds from now (404 when not active)."""
    if kind == "flags" or not shop.chaos.extend(kind, body.ttl_s):
        raise HTTPException(404, detail=f"no active '{kind}' setting to extend")
    return shop.chaos.snapshot()


@router.delete("/chaos/{kind}")
async def clear_kind(kind: Kind, shop: ShopDep) -> dict[str, Any]:
    was_active = shop.chaos.clear(kind)
    return {"cleared": kind, "was_active": was_active, "state": shop.chaos.snapshot()}


@router.delete("/chaos")
async def clear_all(shop: ShopDep) -> dict[str, Any]:
    cleared = shop.chaos.clear_all()
    return {"cleared": cleared, "state": shop.chaos.snapshot()}


@router.get("/admin/cache")
async def cache_stats(shop: ShopDep) -> dict[str, int]:
    return shop.cache.stats()


@router.post("/admin/cache/clear")
async def cache_clear(shop: ShopDep) -> dict[str, int]:
    return {"dropped": shop.cache.clear()}

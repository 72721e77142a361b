"""Faults through the shop's own chaos controls (each with an in-app TTL)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from simulator.faults.backend import FaultBackend
from simulator.faults.base import FaultKind, FaultParams


class ErrorParams(FaultParams):
    fraction: float = Field(default=0.5, gt=0, le=1)
    status: int = Field(default=500, ge=400, le=599)
    routes: list[str] = Field(default_factory=list)


class LatencyParams(FaultParams):
    ms: float = Field(default=1000, gt=0, le=60_000)
    jitter_ms: float = Field(default=0, ge=0, le=60_000)
    routes: list[str] = Field(default_factory=list)


class CpuParams(FaultParams):
    threads: int = Field(default=2, ge=1, le=16)
    duty: float = Field(default=1.0, gt=0, le=1)


class MemoryParams(FaultParams):
    mb_per_s: float = Field(default=20, gt=0, le=1000)
    max_mb: float = Field(default=512, gt=0, le=16_384)


class PoolParams(FaultParams):
    connections: int | None = Field(default=None, ge=1, le=200)


class ShopControlFault(FaultKind):
    """A fault that is one setting of the shop's chaos controls."""

    control: ClassVar[str]  # the path under /chaos/

    def body(self, params: FaultParams) -> dict[str, Any]:
        return params.model_dump()

    def exclusive(self, params: FaultParams, database: str) -> str | None:
        # A second setting replaces the first, and the first one's revert clears both.
        return f"the shop's {self.control!r} chaos control"

    def inject(
        self, backend: FaultBackend, params: FaultParams, ttl_s: float, fault_id: str
    ) -> dict[str, Any]:
        backend.shop_chaos("PUT", f"/chaos/{self.control}", {**self.body(params), "ttl_s": ttl_s})
        return {}

    def extend(
        self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any], ttl_s: float
    ) -> None:
        if backend.shop_chaos_state() is None:
            return  # a dead shop holds no setting; the restart re-asserts it with the new TTL
        backend.shop_chaos("POST", f"/chaos/{self.control}/extend", {"ttl_s": ttl_s})

    def revert(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> None:
        if backend.shop_chaos_state() is not None:  # a dead shop holds no setting
            backend.shop_chaos("DELETE", f"/chaos/{self.control}")

    def is_active(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> bool:
        state = backend.shop_chaos_state()
        return state is not None and self.control in state


class ErrorRate(ShopControlFault):
    name = "app.error_rate"
    summary = "a share of API requests fail with a 5xx (optionally on some routes only)"
    params_model = ErrorParams
    control = "errors"
    survives_restart = True


class Latency(ShopControlFault):
    name = "app.latency"
    summary = "API handlers answer slower by ms (± jitter), optionally on some routes"
    params_model = LatencyParams
    control = "latency"
    survives_restart = True


class CpuBurn(ShopControlFault):
    name = "app.cpu_burn"
    summary = "runaway threads burn CPU inside the shop process"
    params_model = CpuParams
    control = "cpu"


class MemoryLeak(ShopControlFault):
    name = "app.memory_leak"
    summary = "the recommendations cache grows without bound (MB/s up to max_mb)"
    params_model = MemoryParams
    control = "memory"


class PoolExhaustion(ShopControlFault):
    name = "db.pool_exhaustion"
    summary = "the shop leaks database connections until its pool is empty"
    params_model = PoolParams
    control = "pool_leak"

    def body(self, params: FaultParams) -> dict[str, Any]:
        assert isinstance(params, PoolParams)
        # Default: exactly the shop's pool_size + max_overflow (5 + 5).
        return {"connections": params.connections or 10}


KINDS: list[type[FaultKind]] = [ErrorRate, Latency, CpuBurn, MemoryLeak, PoolExhaustion]

"""Faults through the shop's own chaos controls (each with an in-app TTL)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

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
    # Instead of a fixed delay: every matching request takes `factor` times as long
    # (1.35 = degraded by 35 % against what the route costs unharmed).
    factor: float | None = Field(default=None, gt=1, le=100)

    @model_validator(mode="after")
    def _ms_or_factor(self) -> LatencyParams:
        # (the journal stores every field, so a stored default ms is not a conflict)
        fixed = ("ms" in self.model_fields_set and self.ms != 1000) or self.jitter_ms != 0
        if self.factor is not None and fixed:
            raise ValueError("give either ms (a fixed delay) or factor (a slowdown), not both")
        return self


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

    def control_for(self, params: FaultParams) -> str:
        """The chaos control these params set (a kind may have two forms)."""
        return self.control

    def exclusive(self, params: FaultParams, database: str) -> str | None:
        # A second setting replaces the first, and the first one's revert clears both.
        return f"the shop's {self.control_for(params)!r} chaos control"

    def inject(
        self, backend: FaultBackend, params: FaultParams, ttl_s: float, fault_id: str
    ) -> dict[str, Any]:
        control = self.control_for(params)
        backend.shop_chaos("PUT", f"/chaos/{control}", {**self.body(params), "ttl_s": ttl_s})
        return {}

    def extend(
        self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any], ttl_s: float
    ) -> None:
        if backend.shop_chaos_state() is None:
            return  # a dead shop holds no setting; the restart re-asserts it with the new TTL
        backend.shop_chaos("POST", f"/chaos/{self.control_for(params)}/extend", {"ttl_s": ttl_s})

    def revert(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> None:
        if backend.shop_chaos_state() is not None:  # a dead shop holds no setting
            backend.shop_chaos("DELETE", f"/chaos/{self.control_for(params)}")

    def is_active(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> bool:
        state = backend.shop_chaos_state()
        return state is not None and self.control_for(params) in state


class ErrorRate(ShopControlFault):
    name = "app.error_rate"
    summary = "a share of API requests fail with a 5xx (optionally on some routes only)"
    params_model = ErrorParams
    control = "errors"
    survives_restart = True


class Latency(ShopControlFault):
    name = "app.latency"
    summary = (
        "API handlers answer slower by ms (± jitter), or factor times slower,"
        " optionally on some routes"
    )
    params_model = LatencyParams
    control = "latency"
    survives_restart = True

    def control_for(self, params: FaultParams) -> str:
        assert isinstance(params, LatencyParams)
        return "slowdown" if params.factor is not None else "latency"

    def body(self, params: FaultParams) -> dict[str, Any]:
        assert isinstance(params, LatencyParams)
        if params.factor is not None:
            return {"factor": params.factor, "routes": params.routes}
        return params.model_dump(exclude={"factor"})


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


class FeatureParams(FaultParams):
    feature: Literal["storefront_v2", "product_summaries"]


class FeatureEnable(FaultKind):
    """Someone switches a new feature's flag on; its real bug ships with it. The
    shop ends the flag by itself at the TTL (flags fall back to their defaults)."""

    name = "feature.enable"
    summary = "a new feature's flag is switched on (storefront_v2, product_summaries)"
    params_model = FeatureParams
    survives_restart = True  # a flag lives in the flag store, not in the process

    def _flag(self, params: FaultParams) -> str:
        assert isinstance(params, FeatureParams)
        return f"{params.feature}_enabled"

    def exclusive(self, params: FaultParams, database: str) -> str | None:
        return f"the shop's {self._flag(params)} flag"

    def inject(
        self, backend: FaultBackend, params: FaultParams, ttl_s: float, fault_id: str
    ) -> dict[str, Any]:
        backend.shop_chaos("PUT", "/chaos/flags", {self._flag(params): True, "ttl_s": ttl_s})
        return {}

    def extend(
        self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any], ttl_s: float
    ) -> None:
        if backend.shop_chaos_state() is not None:
            backend.shop_chaos("PUT", "/chaos/flags", {self._flag(params): True, "ttl_s": ttl_s})

    def revert(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> None:
        if backend.shop_chaos_state() is not None:  # a dead shop starts with its defaults
            backend.shop_chaos("PUT", "/chaos/flags", {self._flag(params): False})

    def is_active(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> bool:
        state = backend.shop_chaos_state()
        return state is not None and bool(state.get("flags", {}).get(self._flag(params)))


KINDS: list[type[FaultKind]] = [
    ErrorRate,
    Latency,
    CpuBurn,
    MemoryLeak,
    PoolExhaustion,
    FeatureEnable,
]

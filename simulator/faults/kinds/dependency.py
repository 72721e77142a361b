"""Faults on the shop's payment provider, through the chaos proxy."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from simulator.faults.backend import FaultBackend
from simulator.faults.base import FaultKind, FaultParams
from simulator.faults.kinds.database import ToxicFault

# Dependency name in scenarios -> the proxy in front of it.
DEPENDENCIES = {"payment": "payment"}


class DependencyParams(FaultParams):
    dependency: Literal["payment"] = "payment"


class DependencyLatencyParams(DependencyParams):
    ms: float = Field(default=3000, gt=0, le=60_000)
    jitter_ms: float = Field(default=0, ge=0, le=60_000)


class DependencyDown(FaultKind):
    name = "dependency.down"
    summary = "the payment provider is unreachable (connections refused)"
    params_model = DependencyParams

    def target(self, params: FaultParams) -> str:
        assert isinstance(params, DependencyParams)
        return DEPENDENCIES[params.dependency]

    def exclusive(self, params: FaultParams, database: str) -> str | None:
        assert isinstance(params, DependencyParams)
        return f"the link to the {params.dependency} provider"

    def inject(
        self, backend: FaultBackend, params: FaultParams, ttl_s: float, fault_id: str
    ) -> dict[str, Any]:
        proxy = self.target(params)
        backend.require_proxy(proxy).set_enabled(proxy, False, ttl_s=ttl_s)
        return {"proxy": proxy}

    def extend(
        self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any], ttl_s: float
    ) -> None:
        proxy = self.target(params)
        backend.require_proxy(proxy).set_enabled(proxy, False, ttl_s=ttl_s)

    def revert(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> None:
        proxy = self.target(params)
        backend.require_proxy(proxy).set_enabled(proxy, True)

    def is_active(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> bool:
        proxy = self.target(params)
        return not bool(backend.require_proxy(proxy).proxy(proxy).get("enabled", True))


class DependencyLatency(ToxicFault):
    name = "dependency.latency"
    summary = "the payment provider answers slower by ms"
    params_model = DependencyLatencyParams

    def target(self, params: FaultParams) -> str:
        return self.proxy_name(params)

    def proxy_name(self, params: FaultParams) -> str:
        assert isinstance(params, DependencyParams)
        return DEPENDENCIES[params.dependency]

    def toxic(self, params: FaultParams) -> tuple[str, dict[str, Any], float]:
        assert isinstance(params, DependencyLatencyParams)
        return "latency", {"latency": int(params.ms), "jitter": int(params.jitter_ms)}, 1.0


KINDS: list[type[FaultKind]] = [DependencyDown, DependencyLatency]

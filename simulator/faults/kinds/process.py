"""Faults on the shop's process: crash, hang, and a bad release going live."""

from __future__ import annotations

import signal
import time
from typing import Any

from pydantic import Field

from simulator.env import services
from simulator.faults.backend import FaultBackend
from simulator.faults.base import FaultKind, FaultParams
from simulator.faults.errors import BadParams

# Killing, freezing and redeploying the shop each undo the others.
SHOP_PROCESS = "the shop process"


class Crash(FaultKind):
    name = "app.crash"
    summary = "the shop process is killed (SIGKILL) and stays down until restarted"

    def exclusive(self, params: FaultParams, database: str) -> str | None:
        return SHOP_PROCESS

    def inject(
        self, backend: FaultBackend, params: FaultParams, ttl_s: float, fault_id: str
    ) -> dict[str, Any]:
        pid = backend.state.shop.pid
        if backend.signal_service("shop", signal.SIGKILL):
            services.wait_gone(pid, 5.0)  # until its port is closed, not just its pid
        return {}

    def revert(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> None:
        if not backend.service_running("shop"):
            backend.start_service("shop")

    def is_active(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> bool:
        return not backend.service_running("shop")


class Hang(FaultKind):
    name = "app.hang"
    summary = "the shop process is frozen (SIGSTOP): connections open, nothing answers"

    def exclusive(self, params: FaultParams, database: str) -> str | None:
        return SHOP_PROCESS

    def inject(
        self, backend: FaultBackend, params: FaultParams, ttl_s: float, fault_id: str
    ) -> dict[str, Any]:
        backend.signal_service("shop", signal.SIGSTOP)
        return {}

    def revert(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> None:
        backend.signal_service("shop", signal.SIGCONT)

    def is_active(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> bool:
        return backend.service_stopped("shop")


class ReleaseParams(FaultParams):
    version: str = Field(default="1.1.0", pattern=r"^\d+\.\d+\.\d+$")


class BadRelease(FaultKind):
    name = "deploy.bad_release"
    summary = "a new release with a real bug goes live (deploy history shows it)"
    params_model = ReleaseParams

    def exclusive(self, params: FaultParams, database: str) -> str | None:
        return SHOP_PROCESS

    def check(self, backend: FaultBackend, params: FaultParams) -> None:
        assert isinstance(params, ReleaseParams)
        if backend.state.shop.version == params.version:
            raise BadParams(f"release {params.version} is already live; choose another version")

    def inject(
        self, backend: FaultBackend, params: FaultParams, ttl_s: float, fault_id: str
    ) -> dict[str, Any]:
        assert isinstance(params, ReleaseParams)
        previous = backend.state.shop.version or "1.0.0"
        backend.state.deploys.append(
            {
                "version": params.version,
                "at": time.time(),
                "by": "deploy-bot",
                "change": "regional pricing",
            }
        )
        backend.restart_service("shop", version=params.version)
        return {"previous": previous}

    def revert(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> None:
        assert isinstance(params, ReleaseParams)
        if backend.state.shop.version == params.version:
            rollback_to(backend, str(undo.get("previous", "1.0.0")), by="chaosdrill")

    def is_active(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> bool:
        assert isinstance(params, ReleaseParams)
        return backend.state.shop.version == params.version


def rollback_to(backend: FaultBackend, version: str, *, by: str) -> None:
    """Deploy `version` again and record it in the deploy history."""
    backend.state.deploys.append(
        {"version": version, "at": time.time(), "by": by, "change": "rollback"}
    )
    backend.restart_service("shop", version=version)


KINDS: list[type[FaultKind]] = [Crash, Hang, BadRelease]

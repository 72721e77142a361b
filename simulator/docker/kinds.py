"""Container faults, and the docker forms of the contract's kinds.

Docker-only kinds act on any allow-listed compose service: stop, kill, pause,
a restart loop (a bad setting with restart on failure), a network disconnect,
a CPU throttle (`docker update`), packet reject inside its network namespace.
The contract's kinds keep their meaning: `db.down` rejects every packet to
PostgreSQL, `dependency.down` disconnects the payment provider from the
network, `network.loss` drops a share of packets with iptables `statistic`.
Kinds the docker stack cannot express say so in one sentence.
"""

from __future__ import annotations

import time
from abc import abstractmethod
from typing import Any, ClassVar, Literal

from pydantic import Field

from simulator.docker.backend import DockerBackend
from simulator.docker.netns import iptables, reject_rule, remove_all, require_nsenter
from simulator.faults.backend import FaultBackend
from simulator.faults.base import FaultKind, FaultParams
from simulator.faults.errors import FaultError, NotApplicable

PORTS = {"postgres": 5432}  # every other service of the stack listens on 8000


def _docker(backend: FaultBackend) -> DockerBackend:
    if not isinstance(backend, DockerBackend):
        raise NotApplicable("this fault kind acts on containers; use --backend docker")
    return backend


class ServiceParams(FaultParams):
    service: str = "shop"


class ContainerFault(FaultKind):
    params_model: ClassVar[type[FaultParams]] = ServiceParams

    def service(self, params: FaultParams) -> str:
        """The compose service whose container this fault acts on."""
        assert isinstance(params, ServiceParams)
        return params.service

    def target(self, params: FaultParams) -> str:
        return self.service(params)

    def check(self, backend: FaultBackend, params: FaultParams) -> None:
        _docker(backend).container(self.service(params))


class ContainerStop(ContainerFault):
    name = "container.stop"
    summary = "the container is stopped (SIGTERM, then SIGKILL after 3 s) and stays down"

    def inject(
        self, backend: FaultBackend, params: FaultParams, ttl_s: float, fault_id: str
    ) -> dict[str, Any]:
        _docker(backend).container(self.service(params)).stop(timeout=3)
        return {}

    def revert(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> None:
        docker = _docker(backend)
        if docker.status(self.service(params)) not in ("running", "paused"):
            docker.start_service(self.service(params))

    def is_active(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> bool:
        return _docker(backend).status(self.service(params)) in ("exited", "created", "dead")


class ContainerKill(ContainerStop):
    name = "container.kill"
    summary = "the container's main process is killed (SIGKILL) and stays down"

    def inject(
        self, backend: FaultBackend, params: FaultParams, ttl_s: float, fault_id: str
    ) -> dict[str, Any]:
        docker = _docker(backend)
        container = docker.container(self.service(params))
        container.kill(signal="SIGKILL")
        deadline = time.monotonic() + 5
        while docker.status(self.service(params)) == "running" and time.monotonic() < deadline:
            time.sleep(0.05)
        return {}


class ContainerPause(ContainerFault):
    name = "container.pause"
    summary = "the container is frozen (docker pause): connections open, nothing answers"

    def inject(
        self, backend: FaultBackend, params: FaultParams, ttl_s: float, fault_id: str
    ) -> dict[str, Any]:
        _docker(backend).container(self.service(params)).pause()
        return {}

    def revert(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> None:
        docker = _docker(backend)
        if docker.status(self.service(params)) == "paused":
            docker.container(self.service(params)).unpause()

    def is_active(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> bool:
        return _docker(backend).status(self.service(params)) == "paused"


class ShopParams(FaultParams):
    service: Literal["shop"] = "shop"


class RestartLoop(ContainerFault):
    name = "container.restart_loop"
    summary = "a bad setting is deployed with restart-on-failure: the shop crashes at every start"
    params_model = ShopParams

    def service(self, params: FaultParams) -> str:
        return "shop"

    BAD: ClassVar[dict[str, str]] = {
        "SHOP_POOL_SIZE": "0",
        "SHOP_RESTART": "on-failure",
    }  # pool_size must be >= 1

    def inject(
        self, backend: FaultBackend, params: FaultParams, ttl_s: float, fault_id: str
    ) -> dict[str, Any]:
        docker = _docker(backend)
        docker.compose_up("shop", self.BAD)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if int(docker.inspect("shop").get("RestartCount", 0)) >= 1:
                return {}
            time.sleep(0.1)
        raise FaultError("the shop container did not start crashing within 15s")

    def revert(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> None:
        docker = _docker(backend)
        if self.is_active(backend, params, undo):
            docker.compose_up("shop")  # the recorded, good settings
            docker.start_service("shop")

    def is_active(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> bool:
        env = _docker(backend).inspect("shop")["Config"].get("Env") or []
        return "TARGET_POOL_SIZE=0" in env


class NetworkDisconnect(ContainerFault):
    name = "network.disconnect"
    summary = "the container is disconnected from the stack's network (its name stops resolving)"

    def inject(
        self, backend: FaultBackend, params: FaultParams, ttl_s: float, fault_id: str
    ) -> dict[str, Any]:
        docker = _docker(backend)
        docker.network().disconnect(docker.container(self.service(params)), force=True)
        return {}

    def revert(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> None:
        if self.is_active(backend, params, undo):
            docker = _docker(backend)
            service = self.service(params)
            docker.network().connect(docker.container(service), aliases=[service])

    def is_active(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> bool:
        docker = _docker(backend)
        networks = docker.inspect(self.service(params))["NetworkSettings"]["Networks"] or {}
        return f"{docker.project}_default" not in networks


class ThrottleParams(ServiceParams):
    cpus: float = Field(default=0.05, gt=0, le=16)


class CpuThrottle(ContainerFault):
    name = "container.cpu_throttle"
    summary = "the container gets a small share of a CPU (docker update --cpu-quota)"
    params_model = ThrottleParams
    # The kernel's CFS period when the container sets none (cpu.cfs_period_us).
    DEFAULT_PERIOD = 100_000

    def inject(
        self, backend: FaultBackend, params: FaultParams, ttl_s: float, fault_id: str
    ) -> dict[str, Any]:
        assert isinstance(params, ThrottleParams)
        docker = _docker(backend)
        host = docker.inspect(params.service)["HostConfig"]
        undo = {"quota": int(host.get("CpuQuota") or 0), "period": int(host.get("CpuPeriod") or 0)}
        # Only the quota changes, against the period in force: Docker cannot set a
        # period back to "none" once one is written, so we never write one.
        quota = max(1000, int(params.cpus * (undo["period"] or self.DEFAULT_PERIOD)))
        docker.container(params.service).update(cpu_quota=quota)
        return {**undo, "set": quota}

    def revert(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> None:
        if undo and self.is_active(backend, params, undo):
            # The quota it had; "none" (0) is written as -1, the only "no limit" the
            # update API accepts (it reads 0 as "leave unchanged").
            _docker(backend).container(self.service(params)).update(
                cpu_quota=int(undo["quota"]) or -1
            )

    def is_active(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> bool:
        quota = _docker(backend).inspect(self.service(params))["HostConfig"].get("CpuQuota")
        return bool(undo) and quota == undo.get("set")


class RejectParams(ServiceParams):
    port: int | None = Field(default=None, ge=1, le=65535)


class PacketFault(ContainerFault):
    """An iptables rule inside a service's network namespace."""

    def check(self, backend: FaultBackend, params: FaultParams) -> None:
        require_nsenter()
        super().check(backend, params)

    @abstractmethod
    def rule(self, params: FaultParams, fault_id: str) -> list[str]:
        """The iptables rule (after the chain) this fault inserts."""

    def inject(
        self, backend: FaultBackend, params: FaultParams, ttl_s: float, fault_id: str
    ) -> dict[str, Any]:
        docker = _docker(backend)
        rule = self.rule(params, fault_id)
        pid = docker.pid(self.service(params))
        iptables(pid, "-I", rule)
        return {"rule": rule}

    def revert(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> None:
        if undo:
            remove_all(_docker(backend).pid(self.service(params)), undo["rule"])

    def is_active(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> bool:
        pid = _docker(backend).pid(self.service(params))
        return bool(undo) and iptables(pid, "-C", undo["rule"], check=False) == 0


class NetworkReject(PacketFault):
    name = "network.reject"
    summary = "every TCP packet to the service's port is answered with a reset (refused)"
    params_model = RejectParams

    def rule(self, params: FaultParams, fault_id: str) -> list[str]:
        assert isinstance(params, RejectParams)
        return reject_rule(params.port or PORTS.get(params.service, 8000), fault_id)

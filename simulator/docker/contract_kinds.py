"""The docker forms of the contract's kinds whose local form needs the chaos proxy.

`docker_kinds()` is the docker backend's registry on top of the local one:
container faults, these forms, and a refusal for kinds with no Docker form.
Kinds that act through the shop's controls, signals, a release or the data
directory (app.*, deploy.bad_release, db.lock, db.pool_exhaustion, disk.full)
are the local ones: DockerBackend gives them their docker meaning.
"""

from __future__ import annotations

from typing import Any

from simulator.docker import kinds
from simulator.docker.kinds import PacketFault, ServiceParams
from simulator.docker.netns import drop_rule, reject_rule
from simulator.faults.backend import FaultBackend
from simulator.faults.base import FaultKind, FaultParams, NoParams
from simulator.faults.errors import NotApplicable
from simulator.faults.kinds.data import BadMigration
from simulator.faults.kinds.database import DbLatency, require_postgres
from simulator.faults.kinds.dependency import DependencyLatency, DependencyParams
from simulator.faults.kinds.network import LossParams
from simulator.faults.kinds.replication import ReplicaLag
from simulator.faults.kinds.security import LeakedKey

# Names of the contract -> compose services.
SERVICES = {"shop": "shop", "payment": "payment-primary", "database": "postgres"}


class DockerDbDown(PacketFault):
    name = "db.down"
    summary = "PostgreSQL refuses every connection: its port answers with TCP resets"
    # Always the stack's PostgreSQL: no `service` to choose, as with the local kind.
    params_model = NoParams

    def target(self, params: FaultParams) -> str:
        return "database"

    def service(self, params: FaultParams) -> str:
        return "postgres"

    def check(self, backend: FaultBackend, params: FaultParams) -> None:
        require_postgres(backend, self.name)
        super().check(backend, params)

    def rule(self, params: FaultParams, fault_id: str) -> list[str]:
        return reject_rule(5432, fault_id)


class DockerDependencyDown(kinds.NetworkDisconnect):
    name = "dependency.down"
    summary = "the payment provider's container is cut off the network (unreachable)"
    params_model = DependencyParams

    def service(self, params: FaultParams) -> str:
        assert isinstance(params, DependencyParams)
        return SERVICES[params.dependency]


class DockerNetworkLoss(PacketFault):
    name = "network.loss"
    summary = "a share of packets to the shop or a dependency is dropped (iptables statistic)"
    params_model = LossParams

    def target(self, params: FaultParams) -> str:
        assert isinstance(params, LossParams)
        return params.target if params.target == "database" else SERVICES[params.target]

    def service(self, params: FaultParams) -> str:
        assert isinstance(params, LossParams)
        return SERVICES[params.target]

    def check(self, backend: FaultBackend, params: FaultParams) -> None:
        assert isinstance(params, LossParams)
        if params.target == "database":
            require_postgres(backend, self.name)
        super().check(backend, params)

    def rule(self, params: FaultParams, fault_id: str) -> list[str]:
        assert isinstance(params, LossParams)
        port = kinds.PORTS.get(self.service(params), 8000)
        return drop_rule(port, params.percent / 100, fault_id)


class NoDockerForm(FaultKind):
    """A contract kind the docker stack cannot express; refused with its reason."""

    def __init__(self, local: FaultKind, reason: str) -> None:
        self.local = local
        self.reason = reason
        self.name = local.name  # type: ignore[misc]
        self.summary = f"(no Docker form) {local.summary}"  # type: ignore[misc]
        self.params_model = local.params_model  # type: ignore[misc]

    def target(self, params: FaultParams) -> str:
        # Always on the allow-list, so that `check` says why this kind cannot act.
        return "shop"

    def check(self, backend: FaultBackend, params: FaultParams) -> None:
        raise NotApplicable(f"{self.name} has no Docker form: {self.reason}; use --backend local")

    def inject(
        self, backend: FaultBackend, params: FaultParams, ttl_s: float, fault_id: str
    ) -> dict[str, Any]:
        self.check(backend, params)
        return {}

    def revert(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> None:
        return None  # never injected

    def is_active(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> bool:
        return False


NO_NETEM = (
    "delay needs netem (absent from this kernel) or the chaos proxy, "
    "which the docker stack does not run"
)


NO_OWN_CLUSTER = (
    "it needs the drill's own PostgreSQL cluster (WAL archive, base backups), "
    "which only the local platform starts"
)


def docker_kinds() -> dict[str, FaultKind]:
    """Kinds that differ on the docker backend, by name."""
    found: list[FaultKind] = [
        kinds.ContainerStop(),
        kinds.ContainerKill(),
        kinds.ContainerPause(),
        kinds.RestartLoop(),
        kinds.NetworkDisconnect(),
        kinds.CpuThrottle(),
        kinds.NetworkReject(),
        DockerDbDown(),
        DockerDependencyDown(),
        DockerNetworkLoss(),
        NoDockerForm(DbLatency(), NO_NETEM),
        NoDockerForm(DependencyLatency(), NO_NETEM),
        NoDockerForm(
            LeakedKey(),
            "the attacker needs its own loopback address (127.0.0.2) on the shop's host",
        ),
        NoDockerForm(BadMigration(), NO_OWN_CLUSTER),
        NoDockerForm(ReplicaLag(), NO_OWN_CLUSTER),
    ]
    return {kind.name: kind for kind in found}


__all__ = ["ServiceParams", "docker_kinds"]

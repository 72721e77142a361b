"""Each contract fault kind as Chaos Mesh resources: a pure mapping, no cluster needed.

`chaos_manifests(kind, params, ttl_s, fault_id, scope)` is what `fault inject --dry-run`
prints and what the platform creates. The TTL is the resource's `spec.duration`, so the
Chaos Mesh controller reverts the fault even when chaosdrill is gone. Kinds done with
the Kubernetes API directly are in `DIRECT`; kinds with no honest form in `REFUSED`, each
with the one sentence a user sees.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from simulator.faults.base import FaultParams
from simulator.faults.kinds.app import CpuParams, ErrorParams, LatencyParams, MemoryParams
from simulator.faults.kinds.database import DbLatencyParams
from simulator.faults.kinds.dependency import DependencyLatencyParams
from simulator.faults.kinds.network import LossParams
from simulator.kubernetes.labels import CHAOS_API_VERSION, FAULT_LABEL, TARGET_LABEL, owner_labels

Spec = dict[str, Any]


@dataclass(frozen=True)
class Scope:
    """Where a fault acts: the drill's namespace and the environment that owns it; with
    `service`, the pods of a team's own Deployment (its selector) stand for the shop."""

    namespace: str
    env_id: str
    service: dict[str, str] | None = field(default=None)
    http_port: int = 8000  # where HTTPChaos intercepts: the shop's, or the team's container port


class NoChaosForm(ValueError):
    """These parameters have no Chaos Mesh form (one sentence, naming the parameter)."""


def _ms(value: float) -> str:
    return f"{value:g}ms"


def _selector(scope: Scope, target: str) -> Spec:
    if scope.service and target == "shop":
        return {"namespaces": [scope.namespace], "labelSelectors": dict(scope.service)}
    return {"namespaces": [scope.namespace], "labelSelectors": {TARGET_LABEL: target}}


def _towards(scope: Scope, target: str) -> Spec:
    """NetworkChaos: the shop's traffic towards `target`'s pods."""
    return {
        "selector": _selector(scope, "shop"),
        "mode": "all",
        "direction": "to",
        "target": {"mode": "all", "selector": _selector(scope, target)},
    }


def _pod_kill(params: FaultParams, scope: Scope) -> list[tuple[str, Spec]]:
    return [
        ("PodChaos", {"action": "pod-kill", "mode": "all", "selector": _selector(scope, "shop")})
    ]


def _pod_failure(params: FaultParams, scope: Scope) -> list[tuple[str, Spec]]:
    spec = {"action": "pod-failure", "mode": "all", "selector": _selector(scope, "shop")}
    return [("PodChaos", spec)]


def _share(fraction: float) -> Spec:
    """A share of the shop's pods, so of its requests when the Service spreads them evenly."""
    if fraction >= 1:
        return {"mode": "all"}
    return {"mode": "fixed-percent", "value": str(max(1, round(fraction * 100)))}


def _routes(routes: list[str]) -> list[Spec]:
    # HTTPChaos matches one path pattern per resource, none means every route; the
    # local kinds match routes by prefix, hence the wildcard.
    return [{"path": f"{route.rstrip('*')}*"} for route in routes] or [{}]


def _http_abort(params: FaultParams, scope: Scope) -> list[tuple[str, Spec]]:
    assert isinstance(params, ErrorParams)
    base = {
        "selector": _selector(scope, "shop"),
        **_share(params.fraction),
        "target": "Response",
        "port": scope.http_port,
        "replace": {"code": params.status},
    }
    return [("HTTPChaos", {**base, **route}) for route in _routes(params.routes)]


def _http_delay(params: FaultParams, scope: Scope) -> list[tuple[str, Spec]]:
    assert isinstance(params, LatencyParams)
    if params.jitter_ms:
        raise NoChaosForm("HTTPChaos delays by a fixed time: set jitter_ms to 0 on kubernetes")
    base = {
        "selector": _selector(scope, "shop"),
        "mode": "all",
        "target": "Request",
        "port": scope.http_port,
        "delay": _ms(params.ms),
    }
    return [("HTTPChaos", {**base, **route}) for route in _routes(params.routes)]


def _cpu(params: FaultParams, scope: Scope) -> list[tuple[str, Spec]]:
    assert isinstance(params, CpuParams)
    cpu = {"workers": params.threads, "load": max(1, round(params.duty * 100))}
    spec = {"selector": _selector(scope, "shop"), "mode": "all", "stressors": {"cpu": cpu}}
    return [("StressChaos", spec)]


def _memory(params: FaultParams, scope: Scope) -> list[tuple[str, Spec]]:
    assert isinstance(params, MemoryParams)
    # stress-ng takes the whole size at once: mb_per_s has no counterpart.
    memory = {"workers": 1, "size": f"{math.ceil(params.max_mb)}MB"}
    spec = {"selector": _selector(scope, "shop"), "mode": "all", "stressors": {"memory": memory}}
    return [("StressChaos", spec)]


def _partition(target: str) -> Callable[[FaultParams, Scope], list[tuple[str, Spec]]]:
    def build(params: FaultParams, scope: Scope) -> list[tuple[str, Spec]]:
        return [("NetworkChaos", {"action": "partition", **_towards(scope, target)})]

    return build


def _delay(params: FaultParams, scope: Scope) -> list[tuple[str, Spec]]:
    assert isinstance(params, DbLatencyParams | DependencyLatencyParams)
    target = "database" if isinstance(params, DbLatencyParams) else params.dependency
    delay = {"latency": _ms(params.ms), "jitter": _ms(params.jitter_ms)}
    return [("NetworkChaos", {"action": "delay", **_towards(scope, target), "delay": delay})]


def _loss(params: FaultParams, scope: Scope) -> list[tuple[str, Spec]]:
    assert isinstance(params, LossParams)
    loss = {"loss": f"{params.percent:g}", "correlation": "0"}
    if params.target == "shop":  # the shop's own packets, every peer
        where: Spec = {"selector": _selector(scope, "shop"), "mode": "all", "direction": "to"}
    else:
        where = _towards(scope, params.target)
    return [("NetworkChaos", {"action": "loss", **where, "loss": loss})]


def _disk_full(params: FaultParams, scope: Scope) -> list[tuple[str, Spec]]:
    spec = {
        "selector": _selector(scope, "shop"),
        "mode": "all",
        "action": "fault",
        "volumePath": "/data",
        "path": "/data/**/*",
        "errno": 28,  # ENOSPC: what a full disk answers to a write
        "methods": ["WRITE", "FSYNC", "CREATE"],
        "percent": 100,
    }
    return [("IOChaos", spec)]


Mapping = Callable[[FaultParams, Scope], list[tuple[str, Spec]]]

MAPPINGS: dict[str, Mapping] = {
    "app.crash": _pod_kill,
    "app.hang": _pod_failure,
    "app.error_rate": _http_abort,
    "app.latency": _http_delay,
    "app.cpu_burn": _cpu,
    "app.memory_leak": _memory,
    "db.down": _partition("database"),
    "db.latency": _delay,
    "dependency.down": _partition("payment"),
    "dependency.latency": _delay,
    "network.loss": _loss,
    "disk.full": _disk_full,
}

# Done with the Kubernetes API, not Chaos Mesh: what the fault really is there.
DIRECT: dict[str, str] = {
    "deploy.bad_release": "a rollout of the shop's Deployment to the bad image tag",
    "db.lock": "a Job whose psql session holds the table lock inside the cluster",
}

REFUSED: dict[str, str] = {
    "db.pool_exhaustion": (
        "the connection pool lives inside each shop process, and Chaos Mesh has no "
        "form that fills it"
    ),
    "security.leaked_key": (
        "the attacker needs a source address of its own next to the shop, which a "
        "cluster's pod network does not give"
    ),
    "security.credential_stuffing": (
        "the stuffer needs a source address of its own next to the shop, which a "
        "cluster's pod network does not give"
    ),
    "data.bad_migration": (
        "it needs the drill's own PostgreSQL cluster (WAL archive, base backups), which "
        "runs on the local platform only"
    ),
    "data.rogue_job": (
        "it needs the drill's own PostgreSQL cluster (WAL archive, base backups), which "
        "runs on the local platform only"
    ),
    "db.replica_lag": (
        "it needs the drill's own PostgreSQL cluster and its streaming standby, which run "
        "on the local platform only"
    ),
    "feature.enable": (
        "the shop's feature switches are in-process controls that the cluster's shop "
        "does not expose"
    ),
}


def duration(ttl_s: float) -> str:
    """The TTL as Chaos Mesh's `spec.duration` (whole seconds, rounded up)."""
    return f"{max(1, math.ceil(ttl_s))}s"


def resource_name(fault_id: str, index: int, count: int) -> str:
    base = f"chaosdrill-{fault_id}".lower()
    return base if count == 1 else f"{base}-{index + 1}"


def chaos_manifests(
    kind_name: str, params: FaultParams, ttl_s: float, fault_id: str, scope: Scope
) -> list[Spec]:
    """The Chaos Mesh resources that inject this fault for `ttl_s` seconds."""
    pieces = MAPPINGS[kind_name](params, scope)
    manifests = []
    for index, (chaos_kind, spec) in enumerate(pieces):
        labels = {**owner_labels(scope.env_id), FAULT_LABEL: fault_id}
        manifests.append(
            {
                "apiVersion": CHAOS_API_VERSION,
                "kind": chaos_kind,
                "metadata": {
                    "name": resource_name(fault_id, index, len(pieces)),
                    "namespace": scope.namespace,
                    "labels": labels,
                    "annotations": {"chaosdrill.io/kind": kind_name},
                },
                "spec": {**spec, "duration": duration(ttl_s)},
            }
        )
    return manifests

"""The contract's fault kinds on Kubernetes: Chaos Mesh resources (`chaos.MAPPINGS`), a
rollout done with the API directly (`deploy.bad_release`), and refusals.

Each keeps the local kind's name, summary and parameters, so scenario files do not
change; what it does is the cluster's form of the same fault.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from simulator.faults.backend import FaultBackend
from simulator.faults.base import FaultKind, FaultParams
from simulator.faults.catalog import REGISTRY
from simulator.faults.errors import NotApplicable
from simulator.faults.kinds.database import LockParams
from simulator.faults.kinds.process import ReleaseParams
from simulator.kubernetes import chaos, chaos_run, rollout, sql_jobs
from simulator.kubernetes.backend import KubernetesBackend
from simulator.kubernetes.chaos import NoChaosForm, Scope, chaos_manifests


def _kube(backend: FaultBackend, kind: str) -> KubernetesBackend:
    if not isinstance(backend, KubernetesBackend):
        raise NotApplicable(f"this form of {kind} acts only on --backend kubernetes")
    return backend


class KubernetesKind(FaultKind):
    """A local kind's contract (name, summary, params, target) with a cluster form."""

    def __init__(self, local: FaultKind) -> None:
        self.local = local
        self.name = local.name  # type: ignore[misc]
        self.summary = local.summary  # type: ignore[misc]
        self.params_model = local.params_model  # type: ignore[misc]
        # Re-created after a rollout restart: Chaos Mesh selects pods once, so the new
        # pods would otherwise escape a cause that a restart does not remove.
        self.survives_restart = local.survives_restart  # type: ignore[misc]

    def target(self, params: FaultParams) -> str:
        return self.local.target(params)

    def databases(self, params: FaultParams) -> frozenset[str]:
        return self.local.databases(params)

    def exclusive(self, params: FaultParams, database: str) -> str | None:
        return self.local.exclusive(params, database)

    def manifests(
        self, params: FaultParams, ttl_s: float, fault_id: str, scope: Scope
    ) -> list[dict[str, Any]]:
        """What `inject` would apply, for `fault inject --dry-run`."""
        raise NotImplementedError


class ChaosMeshFault(KubernetesKind):
    def check(self, backend: FaultBackend, params: FaultParams) -> None:
        self.manifests(params, 1, "f-check", Scope("check", "check"))

    def manifests(
        self, params: FaultParams, ttl_s: float, fault_id: str, scope: Scope
    ) -> list[dict[str, Any]]:
        try:
            return chaos_manifests(self.name, params, ttl_s, fault_id, scope)
        except NoChaosForm as exc:
            raise NotApplicable(
                f"{self.name} has no Chaos Mesh form with these params: {exc}"
            ) from None

    def inject(
        self, backend: FaultBackend, params: FaultParams, ttl_s: float, fault_id: str
    ) -> dict[str, Any]:
        kube = _kube(backend, self.name)
        manifests = self.manifests(params, ttl_s, fault_id, kube.scope)
        earlier = [r for r in chaos_run.resources(manifests) if kube.api.get_chaos(*r)]
        if earlier:  # re-asserted after a restart: the old selection is stale
            chaos_run.revert(kube.api, earlier)
        return {"resources": chaos_run.inject(kube.api, manifests)}

    def revert(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> None:
        resources = [(p, n) for p, n in undo.get("resources", [])]
        chaos_run.revert(_kube(backend, self.name).api, resources)

    def is_active(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> bool:
        resources = [(p, n) for p, n in undo.get("resources", [])]
        return chaos_run.active(_kube(backend, self.name).api, resources)

    def extend(
        self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any], ttl_s: float
    ) -> None:
        # spec.duration counts from the resource's creation: the new one is its age
        # plus what is left.
        api = _kube(backend, self.name).api
        for plural, name in undo.get("resources", []):
            found = api.get_chaos(plural, name)
            if found is None:
                continue
            created = datetime.fromisoformat(found["metadata"]["creationTimestamp"])
            age = (datetime.now(UTC) - created).total_seconds()
            body = {"spec": {"duration": chaos.duration(age + ttl_s)}}
            api.patch_chaos(plural, name, body)


class BadRelease(KubernetesKind):
    """A rollout of the shop's Deployment to the bad release's image tag: the cluster
    has no TTL for it, so the watchdog's deadline is its TTL."""

    def manifests(
        self, params: FaultParams, ttl_s: float, fault_id: str, scope: Scope
    ) -> list[dict[str, Any]]:
        assert isinstance(params, ReleaseParams)
        return [
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {
                    "name": "shop",
                    "namespace": scope.namespace,
                    "annotations": {"kubernetes.io/change-cause": f"release {params.version}"},
                },
                "spec": {
                    "template": {
                        "spec": {
                            "containers": [
                                {"name": "shop", "image": f"chaosdrill/shop:{params.version}"}
                            ]
                        }
                    }
                },
            }
        ]

    def inject(
        self, backend: FaultBackend, params: FaultParams, ttl_s: float, fault_id: str
    ) -> dict[str, Any]:
        assert isinstance(params, ReleaseParams)
        kube = _kube(backend, self.name)
        api, name, container = kube.api, kube.deployment, kube.container
        before = rollout.image_of(api, name, container)
        bad = f"{before.rsplit(':', 1)[0]}:{params.version}"
        rollout.set_image(api, name, container, bad, f"release {params.version}")
        rollout.wait_rolled_out(api, name)
        return {"image": before, "bad": bad}

    def revert(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> None:
        kube = _kube(backend, self.name)
        api, name, container = kube.api, kube.deployment, kube.container
        if undo.get("bad") and rollout.image_of(api, name, container) == undo["bad"]:
            rollout.set_image(api, name, container, undo["image"], "revert of a bad release")
            rollout.wait_rolled_out(api, name)

    def is_active(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> bool:
        kube = _kube(backend, self.name)
        image = rollout.image_of(kube.api, kube.deployment, kube.container)
        return bool(undo.get("bad")) and image == undo["bad"]


class SqlLock(KubernetesKind):
    """db.lock as a Job in the cluster (`sql_jobs.lock_job`): landed when its readiness
    probe sees the lock granted in pg_locks; `activeDeadlineSeconds` is its TTL, moved
    when the drill is extended."""

    def manifests(
        self, params: FaultParams, ttl_s: float, fault_id: str, scope: Scope
    ) -> list[dict[str, Any]]:
        assert isinstance(params, LockParams)
        return [sql_jobs.lock_job(params.table, ttl_s, fault_id, scope)]

    def inject(
        self, backend: FaultBackend, params: FaultParams, ttl_s: float, fault_id: str
    ) -> dict[str, Any]:
        kube = _kube(backend, self.name)
        (job,) = self.manifests(params, ttl_s, fault_id, kube.scope)
        return {"job": sql_jobs.hold_lock(kube.api, job)}

    def revert(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> None:
        if undo.get("job"):
            sql_jobs.release(_kube(backend, self.name).api, undo["job"])

    def extend(
        self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any], ttl_s: float
    ) -> None:
        if undo.get("job"):
            sql_jobs.extend_lock(_kube(backend, self.name).api, undo["job"], ttl_s)

    def is_active(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> bool:
        if not undo.get("job"):
            return False
        job = _kube(backend, self.name).api.job(undo["job"])
        return job is not None and (job.status.ready or 0) >= 1


class NoKubernetesForm(KubernetesKind):
    """A contract kind with no honest cluster form; refused with its reason."""

    def __init__(self, local: FaultKind, reason: str) -> None:
        super().__init__(local)
        self.reason = reason

    def target(self, params: FaultParams) -> str:
        return "shop"  # always allow-listed, so that `check` says why it cannot act

    def check(self, backend: FaultBackend, params: FaultParams) -> None:
        raise NotApplicable(f"{self.name} has no Kubernetes form: {self.reason}")

    def manifests(
        self, params: FaultParams, ttl_s: float, fault_id: str, scope: Scope
    ) -> list[dict[str, Any]]:
        raise NotApplicable(f"{self.name} has no Kubernetes form: {self.reason}")

    def inject(
        self, backend: FaultBackend, params: FaultParams, ttl_s: float, fault_id: str
    ) -> dict[str, Any]:
        self.check(backend, params)
        return {}

    def revert(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> None:
        return None  # never injected

    def is_active(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> bool:
        return False


DIRECT_KINDS: dict[str, type[KubernetesKind]] = {
    "deploy.bad_release": BadRelease,
    "db.lock": SqlLock,
}


def kubernetes_kinds() -> dict[str, FaultKind]:
    """Every contract kind by name, as the Kubernetes platform implements it."""
    found: dict[str, FaultKind] = {}
    for name, local in REGISTRY.items():
        if name in chaos.MAPPINGS:
            found[name] = ChaosMeshFault(local)
        elif name in chaos.DIRECT:
            found[name] = DIRECT_KINDS[name](local)
        elif name in chaos.REFUSED:
            found[name] = NoKubernetesForm(local, chaos.REFUSED[name])
    return found

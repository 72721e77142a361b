"""Remediations on the Kubernetes platform: rollouts of the shop's Deployment, a
failover of the payment Service and a feature switched off in the shop's ConfigMap,
each waiting until the rollout is really done.

Which action ends which fault is the local table (`ENDS`): the answer key of a
scenario does not change with the platform. Actions with no cluster form here are
offered and answer `unavailable` with their reason, so a responder's choice is
logged and scored like anywhere else.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from scoring.names import REMEDIATIONS
from simulator.faults.backend import FaultBackend
from simulator.faults.errors import FaultError, NotApplicable
from simulator.kubernetes import rollout, sql_jobs
from simulator.kubernetes.backend import KubernetesBackend
from simulator.remediation.actions import ACTIONS, Action
from simulator.remediation.table import FEATURES, ends

FEATURES_MAP = "shop-features"  # deploy/kubernetes/base/shop.yaml
FEATURES_KEY = "TARGET_DISABLED_FEATURES"  # read by the shop at start (envFrom)


def _kube(backend: FaultBackend) -> KubernetesBackend:
    if not isinstance(backend, KubernetesBackend):
        raise NotApplicable("this action acts only on --backend kubernetes")
    return backend


def restart(backend: FaultBackend, _arg: str | None) -> str:
    kube = _kube(backend)
    rollout.restart(kube.api, kube.deployment)
    return f"restarted deployment/{kube.deployment}: a rollout of new pods, finished"


def rollback(backend: FaultBackend, _arg: str | None) -> str:
    kube = _kube(backend)
    image = rollout.rollback(kube.api, kube.deployment)
    return f"rolled deployment/{kube.deployment} back to its previous revision ({image})"


def scale_up(backend: FaultBackend, _arg: str | None) -> str:
    kube = _kube(backend)
    replicas = rollout.replicas_of(kube.api, kube.deployment) * 2
    rollout.scale(kube.api, kube.deployment, replicas)
    return f"scaled deployment/{kube.deployment} to {replicas} replicas, all available"


def switch_backup(backend: FaultBackend, _arg: str | None) -> str:
    kube = _kube(backend)
    if kube.own_service is not None:
        raise NotApplicable(
            f"dependency.switch_backup is not available: deployment/{kube.deployment} is a "
            "team's own service, whose dependencies chaosdrill does not know"
        )
    api = kube.api
    api.patch_service(
        "payment", {"spec": {"selector": {"app.kubernetes.io/name": "payment-backup"}}}
    )
    return "pointed the payment Service at the backup provider's pods"


def kill_long_queries(backend: FaultBackend, _arg: str | None) -> str:
    kube = _kube(backend)
    if kube.own_service is not None:
        raise NotApplicable(
            "db.kill_long_queries is not available: chaosdrill does not know the database "
            f"of deployment/{kube.deployment}"
        )
    name = sql_jobs.run_kill(kube.api, kube.scope)
    return f"terminated the long-running database sessions (job/{name} finished)"


def disable_feature(backend: FaultBackend, arg: str | None) -> str:
    """The feature added to the shop's ConfigMap, then a rollout: the pods read their
    environment at start, so only new pods run without it."""
    kube = _kube(backend)
    if arg not in FEATURES:
        raise FaultError(
            f"feature.disable takes a feature name: {', '.join(FEATURES)} (got {arg!r})"
        )
    if kube.own_service is not None:
        raise NotApplicable(
            f"feature.disable is not available: deployment/{kube.deployment} is a team's own "
            "service, whose feature switches chaosdrill does not know"
        )
    data = kube.api.config_map(FEATURES_MAP).data or {}
    disabled = [n.strip() for n in data.get(FEATURES_KEY, "").split(",") if n.strip()]
    if arg not in disabled:
        disabled.append(arg)
    kube.api.patch_config_map(FEATURES_MAP, {"data": {FEATURES_KEY: ",".join(disabled)}})
    rollout.restart(kube.api, kube.deployment)
    return (
        f"disabled the {arg} feature in configmap/{FEATURES_MAP} and restarted "
        f"deployment/{kube.deployment} (rollout finished)"
    )


OWN: dict[str, Any] = {
    "service.restart": restart,
    "deploy.rollback": rollback,
    "service.scale_up": scale_up,
    "dependency.switch_backup": switch_backup,
    "db.kill_long_queries": kill_long_queries,
    "feature.disable": disable_feature,
}
# Actions that roll the shop's pods out here though not locally: faults that Chaos Mesh
# selected on the old pods are re-created afterwards (`Action.restarts_shop`).
ROLLS_OUT = frozenset({"feature.disable"})

OWN_CLUSTER_ONLY = (
    "the data drills run on the drill's own PostgreSQL cluster, on the local platform"
)
UNAVAILABLE: dict[str, str] = {
    "db.restore": "the cluster's PostgreSQL has no backup set up by chaosdrill",
    "db.failover_to_replica": "the cluster's PostgreSQL has no replica",
    "cache.clear": "the shop's cache is inside each pod; restart the shop instead",
    "disk.cleanup": "the shop's data volume is an emptyDir; restart the shop instead",
    "key.revoke": "the credential drills do not run on kubernetes",
    "keys.rotate": "the credential drills do not run on kubernetes",
    "client.block": "the credential drills do not run on kubernetes",
    "users.notify": "the credential drills do not run on kubernetes",
    "accounts.lock": "the credential drills do not run on kubernetes",
    "accounts.reset": "the credential drills do not run on kubernetes",
    "db.replica_resume": "the cluster's PostgreSQL has no replica",
    "job.stop": OWN_CLUSTER_ONLY,
    "writes.stop": OWN_CLUSTER_ONLY,
    "writes.resume": OWN_CLUSTER_ONLY,
    "backup.list": OWN_CLUSTER_ONLY,
    "data.verify": OWN_CLUSTER_ONLY,
}


def _refuse(name: str, reason: str, _backend: FaultBackend, _arg: str | None) -> str:
    raise NotApplicable(f"{name} is not available on kubernetes: {reason}")


def _actions() -> dict[str, Action]:
    found: dict[str, Action] = {}
    for name in REMEDIATIONS:
        local = ACTIONS[name]
        run = OWN.get(name) or partial(_refuse, name, UNAVAILABLE[name])
        found[name] = Action(
            name,
            local.summary,
            run,
            arg=local.arg,
            restarts_shop=(local.restarts_shop or name in ROLLS_OUT) and name in OWN,
            default_arg=local.default_arg,
        )
    return found


KUBE_ACTIONS = _actions()


def ends_kubernetes(
    action: str, arg: str | None, kind: str, params: dict[str, Any], target: str
) -> bool:
    return action in OWN and ends(action, arg, kind, params, target)


def unavailable(action: str) -> str | None:
    reason = UNAVAILABLE.get(action)
    return None if reason is None else f"{action} is not available on kubernetes: {reason}"

"""The Kubernetes platform's fault backend: the drill's namespace through the API.

Its kinds (`simulator.kubernetes.kinds`) create Chaos Mesh resources and patch the
shop's Deployment; they reach the API through `api` after narrowing to this class.
The rest of the `FaultBackend` surface gets its Kubernetes meaning: a service is a
Deployment, SIGKILL deletes its pods, a restart is a rollout. The shop's in-process
chaos controls and the chaos proxy do not exist here and say so.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

from simulator.env.proxy_client import ProxyClient
from simulator.env.state import EnvState, save_state
from simulator.faults.backend import check_target
from simulator.faults.errors import FaultError, NotApplicable, TargetRefused
from simulator.kubernetes import rollout
from simulator.kubernetes.chaos import Scope
from simulator.kubernetes.client import KubeApi
from simulator.kubernetes.cluster import Cluster
from simulator.kubernetes.labels import TARGET_LABEL

# Names of the contract -> the Deployment that runs them.
DEPLOYMENTS = {"shop": "shop", "payment": "payment-primary", "payment-backup": "payment-backup"}


def deployment_of(name: str, shop: str = "shop") -> str:
    if name == "shop":
        return shop
    try:
        return DEPLOYMENTS[name]
    except KeyError:
        raise NotApplicable(
            f"'{name}' is not a Deployment of this environment; "
            f"choose one of {', '.join(DEPLOYMENTS)}"
        ) from None


class KubernetesBackend:
    name = "kubernetes"

    def __init__(self, state: EnvState) -> None:
        self.state = state
        self.cluster = Cluster.from_record(state.cluster)
        self._api: KubeApi | None = None
        self.measured: dict[str, Any] = {}  # what an action measured, for the log

    @property
    def api(self) -> KubeApi:
        if self._api is None:
            self._api = KubeApi(self.cluster)
        return self._api

    @property
    def own_service(self) -> dict[str, str] | None:
        """A team's own Deployment's selector, when the drill targets it (not our shop)."""
        selector = self.state.cluster.get("selector")
        return dict(json.loads(selector)) if selector else None

    @property
    def deployment(self) -> str:
        """The Deployment that stands for the shop: ours, or the team's own."""
        return self.state.cluster.get("deployment", "shop")

    @property
    def container(self) -> str:
        return self.state.cluster.get("container", "shop")

    @property
    def scope(self) -> Scope:
        port = int(self.state.cluster.get("http_port", "8000"))
        return Scope(self.cluster.namespace, self.state.cluster["env_id"], self.own_service, port)

    def check_target(self, target: str) -> None:
        if self.own_service is not None and target != "shop":
            raise TargetRefused(
                f"target '{target}' is not part of this drill: it acts only on the "
                f"deployment {self.deployment} in {self.cluster.namespace} (target 'shop')"
            )
        check_target(self.state, target)

    def shop_chaos(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        raise FaultError(
            "the shop's in-process chaos controls are not used on kubernetes: "
            "its faults are Chaos Mesh resources"
        )

    def shop_chaos_state(self) -> dict[str, Any] | None:
        return None

    def require_proxy(self, name: str) -> ProxyClient:
        raise NotApplicable(
            "the kubernetes platform runs no chaos proxy; network faults are NetworkChaos"
        )

    def signal_service(self, name: str, sig: signal.Signals) -> bool:
        if sig not in (signal.SIGKILL, signal.SIGTERM):
            raise NotApplicable(f"a pod cannot be sent {sig.name} through the Kubernetes API")
        labels = self.own_service if name == "shop" and self.own_service else {TARGET_LABEL: name}
        pods = self.api.pods(",".join(f"{k}={v}" for k, v in labels.items()))
        for pod in pods:
            self.api.delete_pod(pod.metadata.name)
        return bool(pods)

    def service_running(self, name: str) -> bool:
        status = self.api.deployment(deployment_of(name, self.deployment)).status
        return bool(status.available_replicas)

    def service_stopped(self, name: str) -> bool:
        return False  # a pod is never frozen through the API (pod-failure is a fault)

    def start_service(self, name: str) -> None:
        rollout.restart(self.api, deployment_of(name, self.deployment))

    def restart_service(
        self, name: str, *, version: str | None = None, env: dict[str, str] | None = None
    ) -> None:
        if env:
            raise NotApplicable("settings of a Deployment are changed by its manifests")
        deployment = deployment_of(name, self.deployment)
        if version is None:
            rollout.restart(self.api, deployment)
            return
        container = self.container if name == "shop" else name
        image = rollout.image_of(self.api, deployment, container).rsplit(":", 1)[0]
        cause = f"release {version}"
        rollout.set_image(self.api, deployment, container, f"{image}:{version}", cause)
        rollout.wait_rolled_out(self.api, deployment)

    def save(self) -> None:
        save_state(self.state)

    @property
    def data_dir(self) -> Path:
        return Path(self.state.data_dir)

    @property
    def is_postgres(self) -> bool:
        return self.state.database_kind == "postgres"  # the StatefulSet's, not a team's

"""The Kubernetes platform: the shop's manifests in an allow-listed namespace, faults
as Chaos Mesh resources, remediations by rollouts (`simulator.kubernetes`).

It also renders: `env up --dry-run` and `fault inject --dry-run` print the objects
that `up` and `inject` would apply, for people who apply manifests themselves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simulator.env.errors import EnvError
from simulator.env.lifecycle import EnvOptions
from simulator.env.state import EnvState, load_state
from simulator.env.teardown import Stopped
from simulator.faults.backend import FaultBackend
from simulator.faults.base import FaultKind, FaultParams
from simulator.faults.errors import NotApplicable
from simulator.kubernetes import env as kube_env
from simulator.kubernetes import manifests, remediation
from simulator.kubernetes.backend import KubernetesBackend
from simulator.kubernetes.chaos import Scope
from simulator.kubernetes.diagnostics import pods_process
from simulator.kubernetes.kinds import KubernetesKind, NoKubernetesForm, kubernetes_kinds
from simulator.remediation.actions import Action


class KubernetesPlatform:
    name = "kubernetes"
    own_database = True  # the StatefulSet's PostgreSQL
    # simulator.platform.base.NoWholeDrills: the engine's own load and detector reach
    # the shop on 127.0.0.1, a Service in a cluster is not there (simulator.drill.reach)
    whole_drill_refused = (
        "a whole drill on --backend kubernetes needs the team's Prometheus and load that "
        "reaches the cluster: pass --detector prometheus --prometheus-url URL, and "
        "--no-load (the team's own traffic) or --load-url URL (docs/kubernetes.md)"
    )

    def __init__(self) -> None:
        self._kinds = kubernetes_kinds()

    def up(self, options: EnvOptions) -> EnvState:
        return kube_env.up(options)

    def is_up(self, state: EnvState) -> bool:
        return kube_env.is_up(state)

    def stop(self, state_dir: Path, done: Stopped, abandoned: str | None) -> None:
        kube_env.stop(state_dir, done, abandoned)

    def status_rows(self, state: EnvState) -> dict[str, dict[str, Any]]:
        return kube_env.status_rows(state)

    def backend(self, state: EnvState) -> FaultBackend:
        return KubernetesBackend(state)

    def kinds(self) -> dict[str, FaultKind]:
        return dict(self._kinds)

    def refusal(self, kind_name: str) -> str | None:
        kind = self._kinds.get(kind_name)
        if isinstance(kind, NoKubernetesForm):
            return f"{kind_name} has no Kubernetes form: {kind.reason}"
        return None

    def actions(self) -> dict[str, Action]:
        return remediation.KUBE_ACTIONS

    def ends(
        self, action: str, arg: str | None, kind: str, params: dict[str, Any], target: str
    ) -> bool:
        return remediation.ends_kubernetes(action, arg, kind, params, target)

    def unavailable(self, state: EnvState, action: str) -> str | None:
        return remediation.unavailable(action)

    def process_view(self, state: EnvState) -> dict[str, Any] | None:
        return pods_process(state)

    # -- cleanup without a record (simulator.platform.base.Sweeps) ----------------------
    def sweep(self, options: EnvOptions, keep: set[str]) -> list[str]:
        return kube_env.sweep(options, keep)

    # -- the allow-list (simulator.platform.base.Namespaced) -------------------------------
    def namespace_refusal(self, namespace: str, allowed: tuple[str, ...]) -> str | None:
        try:
            kube_env.check_allowed(namespace, allowed or kube_env.DEFAULT_ALLOWED)
        except EnvError as exc:
            return str(exc)
        return None

    # -- dry run (simulator.platform.base.Renders) ----------------------------------------
    def render_env(self, options: EnvOptions) -> list[dict[str, Any]]:
        # Placeholders, not values: `up` generates its own (manifests.PLACEHOLDER_NOTE).
        return kube_env.plan(options, "dry-run", manifests.placeholder_secrets())

    def render_fault(
        self, kind_name: str, params: FaultParams, ttl_s: float, options: EnvOptions
    ) -> list[dict[str, Any]]:
        kind = self._kinds[kind_name]
        if not isinstance(kind, KubernetesKind):
            raise NotApplicable(f"{kind_name} has no Kubernetes form")
        state = load_state(options.state_dir)
        if options.namespace is None and state is not None and "env_id" in state.cluster:
            # The environment's own namespace, owner label and service: what `inject` uses.
            return kind.manifests(params, ttl_s, "f-dryrun", KubernetesBackend(state).scope)
        cluster = kube_env.cluster_of(options)
        allowed = options.allowed_namespaces or kube_env.DEFAULT_ALLOWED
        kube_env.check_allowed(cluster.namespace, allowed)
        return kind.manifests(params, ttl_s, "f-dryrun", Scope(cluster.namespace, "dry-run"))

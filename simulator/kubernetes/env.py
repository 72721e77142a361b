"""`env up | down | status` on Kubernetes: apply the manifests into an allow-listed
namespace, wait for every rollout, record how to reach it; take down by owner label.

Nothing is created outside the namespace (the Role of `deploy/kubernetes/base/rbac.yaml`
is all chaosdrill needs), and `env down` deletes exactly the objects that carry this
environment's owner label, Chaos Mesh resources included.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from simulator.env import services
from simulator.env.errors import EnvError
from simulator.env.lifecycle import EnvOptions
from simulator.env.state import EnvState, ServiceRecord, load_state, lock, save_state
from simulator.env.teardown import Stopped, close_record
from simulator.kubernetes import chaos_run, manifests, rollout
from simulator.kubernetes.client import REQUEST_TIMEOUT_S, KubeApi, KubeError
from simulator.kubernetes.cluster import Cluster
from simulator.kubernetes.labels import (
    CHAOS_PLURALS,
    MANAGED_BY,
    MANAGER,
    OWNER_LABEL,
    owner_selector,
    valid_namespace,
)

# Namespaces a drill may use unless the facilitator names others: never kube-system.
DEFAULT_ALLOWED = ("chaosdrill", "chaosdrill-*")
# What `env down` deletes by owner label: (API attribute of KubeApi, resource) pairs,
# the typed client's `list_namespaced_<resource>` / `delete_namespaced_<resource>`.
OWNED = (
    ("batch", "job"),
    ("apps", "deployment"),
    ("apps", "stateful_set"),
    ("core", "service"),
    ("core", "config_map"),
    ("core", "secret"),
    ("core", "persistent_volume_claim"),
    ("core", "service_account"),
    ("rbac", "role_binding"),
    ("rbac", "role"),
)
SERVICES = ("shop", "payment", "payment-backup")
# The watchdog process on this host reverts journal entries past their deadline: the
# TTL of what the cluster cannot expire itself (a bad release's rollout). Tests of the
# API calls turn it off (module-level, like the bounds).
START_WATCHDOG = True


def cluster_of(options: EnvOptions) -> Cluster:
    namespace = options.namespace or "chaosdrill"
    if not valid_namespace(namespace):
        raise EnvError(f"--namespace '{namespace}' is not a Kubernetes name (a-z, 0-9, '-')")
    return Cluster(namespace, options.kubeconfig, options.context, options.api_url)


def check_allowed(namespace: str, allowed: tuple[str, ...]) -> None:
    """The namespace allow-list: refused before anything is created."""
    from fnmatch import fnmatchcase

    if not any(fnmatchcase(namespace, pattern) for pattern in allowed):
        raise EnvError(
            f"namespace '{namespace}' is not on the allow-list ({', '.join(allowed)}); "
            "set CHAOSDRILL_K8S_NAMESPACES to allow it"
        )


def plan(options: EnvOptions, env_id: str, values: dict[str, str]) -> list[dict[str, Any]]:
    cluster = cluster_of(options)
    check_allowed(cluster.namespace, options.allowed_namespaces or DEFAULT_ALLOWED)
    if options.own_deployment:
        return []  # a team's own service: nothing is applied, faults act on it
    return manifests.render(cluster.namespace, env_id, values, options.version)


def up(options: EnvOptions) -> EnvState:
    """Apply the manifests and wait for every rollout, or delete all that was created;
    with `own_deployment`, apply nothing and record the team's Deployment instead."""
    env_id = "e-" + uuid.uuid4().hex[:8]
    values = manifests.new_secrets()
    objects = plan(options, env_id, values)
    cluster = cluster_of(options)
    if options.own_deployment:
        found = _own_service(cluster, options.own_deployment, env_id, options.own_selector)
        return _record(options, found, None)
    api = KubeApi(cluster)
    try:
        for obj in objects:
            _create(api, obj)
        for kind, name in manifests.workloads(objects):
            _wait(api, kind, name)
    except (KubeError, EnvError) as exc:
        delete_owned(api, env_id)
        raise EnvError(f"{exc}; everything created was deleted again") from None
    finally:
        api.close()
    return _record(options, {**cluster.as_record(), "env_id": env_id}, values)


def _own_service(
    cluster: Cluster, name: str, env_id: str, selector: dict[str, str] | None = None
) -> dict[str, str]:
    """How to reach a team's own Deployment: its selector and container, read back;
    a `selector` given (a scenario's) must be labels of its pod template."""
    api = KubeApi(cluster)
    try:
        found = api.deployment_or_none(name)
    finally:
        api.close()
    if found is None:
        raise EnvError(
            f"there is no deployment/{name} in namespace {cluster.namespace}; "
            f"see `kubectl -n {cluster.namespace} get deployments`"
        )
    labels = found.spec.selector.match_labels
    if selector is None and (not labels or found.spec.selector.match_expressions):
        raise EnvError(
            f"deployment/{name} selects its pods with expressions; chaosdrill selects them "
            "by matchLabels only"
        )
    if selector is not None:
        pod_labels = found.spec.template.metadata.labels or {}
        foreign = {k: v for k, v in selector.items() if pod_labels.get(k) != v}
        if foreign:
            raise EnvError(
                f"the scenario's target.selector {_labels(foreign)} does not select the pods "
                f"of deployment/{name} (their labels: {_labels(pod_labels) or 'none'}); "
                "use labels of its pod template"
            )
        labels = selector
    container = found.spec.template.spec.containers[0]
    ports = [p.container_port for p in container.ports or []]
    return {
        **cluster.as_record(),
        "env_id": env_id,
        "deployment": name,
        "container": container.name,
        "http_port": str(ports[0] if ports else 8000),  # where HTTPChaos intercepts
        "selector": json.dumps(dict(labels), sort_keys=True),
    }


def _labels(labels: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def _record(options: EnvOptions, where: dict[str, str], values: dict[str, str] | None) -> EnvState:
    """Write the environment's record, and start the watchdog."""
    state_dir = options.state_dir.resolve()
    # port 0: a Service inside the cluster, not reachable from this host as such
    names = SERVICES if values is not None else ("shop",)
    state = EnvState(
        state_dir=str(state_dir),
        data_dir=str(state_dir / "data"),
        backend="kubernetes",
        cluster=where,
        database_kind="postgres" if values is not None else "none",
        database_url=values["database-url"] if values is not None else "",
        chaos_token=values["chaos-token"] if values is not None else "",
        services={
            name: ServiceRecord(name=name, pid=0, port=0, argv=[], log="", version=None)
            for name in names
        },
        started_at=time.time(),
    )
    state.services["shop"].version = options.version if values is not None else None
    (state_dir / "data").mkdir(parents=True, exist_ok=True)  # diagnostics read its disk
    save_state(state)
    if START_WATCHDOG:
        argv = [sys.executable, "-m", "simulator.faults.watchdog", "--state-dir", str(state_dir)]
        log = str(state_dir / "logs" / "watchdog.log")
        state.services["watchdog"] = ServiceRecord(
            name="watchdog", pid=0, port=0, argv=argv, log=log
        )
        save_state(state)  # the watchdog runs only while state.json exists
        services.start(state, "watchdog", wait=False)
        save_state(state)
    return state


def _create(api: KubeApi, obj: dict[str, Any]) -> None:
    from kubernetes.utils import FailToCreateError, create_from_dict

    what = f"{obj['kind']}/{obj['metadata']['name']}"
    try:
        create_from_dict(  # type: ignore[no-untyped-call]
            api.apps.api_client, obj, namespace=api.namespace, _request_timeout=REQUEST_TIMEOUT_S
        )
    except FailToCreateError as exc:
        reasons = "; ".join(f"{e.status} {e.reason}" for e in exc.api_exceptions)
        raise KubeError(f"the Kubernetes API refused to create {what}: {reasons}") from None
    except OSError as exc:
        raise KubeError(f"the Kubernetes API did not answer when creating {what} ({exc})") from None


def _wait(api: KubeApi, kind: str, name: str) -> None:
    if kind == "Deployment":
        rollout.wait_rolled_out(api, name)
        return
    deadline = time.monotonic() + rollout.ROLLOUT_BOUND_S
    for _ in range(int(rollout.ROLLOUT_BOUND_S / rollout.POLL_S) + 1):
        found = api.stateful_set(name)
        if (found.status.ready_replicas or 0) >= (found.spec.replicas or 1):
            return
        if time.monotonic() >= deadline:
            break
        time.sleep(rollout.POLL_S)
    raise KubeError(f"statefulset/{name} was not ready within {rollout.ROLLOUT_BOUND_S:g}s")


def delete_owned(api: KubeApi, env_id: str) -> list[str]:
    """Delete every object and Chaos Mesh resource with this environment's owner label."""
    selector = owner_selector(env_id)
    deleted = chaos_run.sweep(api, selector)
    for group, resource in OWNED:
        deleted += api.delete_labelled(group, resource, selector)
    return deleted


def sweep(options: EnvOptions, keep: set[str]) -> list[str]:
    """`cleanup --backend kubernetes`: with no record to go by, delete everything that
    chaosdrill's owner labels mark in the namespace, except the environments in `keep`
    (drills still running); what was deleted."""
    cluster = cluster_of(options)
    check_allowed(cluster.namespace, options.allowed_namespaces or DEFAULT_ALLOWED)
    api = KubeApi(cluster)
    try:
        mine = f"{MANAGED_BY}={MANAGER}"
        envs = {item["metadata"]["labels"].get(OWNER_LABEL) for item in _chaos(api, mine)}
        for group, resource in OWNED:
            envs |= {labels.get(OWNER_LABEL) for labels in api.labels_of(group, resource, mine)}
        deleted = []
        for env_id in sorted(e for e in envs if e and e not in keep):
            deleted += delete_owned(api, env_id)
        return deleted
    finally:
        api.close()


def _chaos(api: KubeApi, selector: str) -> list[dict[str, Any]]:
    return [item for plural in CHAOS_PLURALS.values() for item in api.list_chaos(plural, selector)]


def is_up(state: EnvState) -> bool:
    api = KubeApi(Cluster.from_record(state.cluster))
    try:
        return bool(api.deployment_or_none(state.cluster.get("deployment", "shop")))
    except KubeError:
        return False
    finally:
        api.close()


def stop(state_dir: Path, done: Stopped, abandoned: str | None) -> None:
    """Delete everything with the owner label (the faults are reverted already)."""
    with lock(state_dir):
        state = load_state(state_dir)
        if state is None:
            return
        api = KubeApi(Cluster.from_record(state.cluster))
        try:
            done.stopped = delete_owned(api, state.cluster["env_id"])
        finally:
            api.close()
        close_record(state, abandoned)


def status_rows(state: EnvState) -> dict[str, dict[str, Any]]:
    api = KubeApi(Cluster.from_record(state.cluster))
    rows: dict[str, dict[str, Any]] = {}
    try:
        own = state.cluster.get("deployment")
        for name in (own,) if own else ("shop", "payment-primary", "payment-backup"):
            found = api.deployment_or_none(name)
            ready = f"{found.status.ready_replicas or 0}/{found.spec.replicas}" if found else "-"
            rows[name] = {
                "pid": None,
                "running": bool(found and found.status.available_replicas),
                "url": None,
                "health": ready,
                "version": found.spec.template.spec.containers[0].image if found else None,
            }
    finally:
        api.close()
    return rows

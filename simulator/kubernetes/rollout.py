"""Deployment rollouts, as `kubectl rollout restart | undo` and `kubectl scale` do them,
each waiting until the rollout is really done (`kubectl rollout status`'s test)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from simulator.kubernetes.client import KubeApi, KubeError

ROLLOUT_BOUND_S = 120.0
POLL_S = 1.0
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"  # the annotation `rollout restart` sets
REVISION = "deployment.kubernetes.io/revision"


def rolled_out(deployment: Any) -> bool:
    """Every replica runs the newest template and is available, and no old one is left."""
    spec, status = deployment.spec, deployment.status
    want = spec.replicas if spec.replicas is not None else 1
    return bool(
        (status.observed_generation or 0) >= (deployment.metadata.generation or 0)
        and (status.updated_replicas or 0) == want
        and (status.available_replicas or 0) == want
        and (status.replicas or 0) == want
    )


def wait_rolled_out(api: KubeApi, name: str, bound_s: float | None = None) -> None:
    bound = ROLLOUT_BOUND_S if bound_s is None else bound_s
    deadline = time.monotonic() + bound
    for _ in range(max(1, int(bound / POLL_S)) + 1):
        if rolled_out(api.deployment(name)):
            return
        if time.monotonic() >= deadline:
            break
        time.sleep(POLL_S)
    raise KubeError(
        f"deployment/{name} did not finish its rollout within {bound:g}s; "
        f"see `kubectl -n {api.namespace} rollout status deployment/{name}`"
    )


def restart(api: KubeApi, name: str) -> None:
    """New pods from the same template: the pod template's annotation changes."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    body = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: now}}}}}
    api.patch_deployment(name, body)
    wait_rolled_out(api, name)


def set_image(api: KubeApi, name: str, container: str, image: str, cause: str) -> None:
    body = {
        "metadata": {"annotations": {"kubernetes.io/change-cause": cause}},
        "spec": {"template": {"spec": {"containers": [{"name": container, "image": image}]}}},
    }
    api.patch_deployment(name, body)


def image_of(api: KubeApi, name: str, container: str) -> str:
    for found in api.deployment(name).spec.template.spec.containers:
        if found.name == container:
            return str(found.image)
    raise KubeError(f"deployment/{name} has no container named {container}")


def rollback(api: KubeApi, name: str) -> str:
    """Back to the previous revision's pod template; returns the image it runs."""
    deployment = api.deployment(name)
    selector = ",".join(f"{k}={v}" for k, v in deployment.spec.selector.match_labels.items())
    revisions = sorted(
        (int((rs.metadata.annotations or {}).get(REVISION, "0")), rs)
        for rs in api.replicasets(selector)
        if any(ref.name == name for ref in rs.metadata.owner_references or [])
    )
    if len(revisions) < 2:
        raise KubeError(f"deployment/{name} has no previous revision to roll back to")
    previous = revisions[-2][1]
    template = api.apps.api_client.sanitize_for_serialization(previous.spec.template)
    template.get("metadata", {}).get("labels", {}).pop("pod-template-hash", None)
    # A JSON patch that replaces the template whole, as `kubectl rollout undo` does: a
    # merge would keep what the newer template added (an annotation, a variable).
    api.patch_deployment(name, [{"op": "replace", "path": "/spec/template", "value": template}])
    wait_rolled_out(api, name)
    return str(previous.spec.template.spec.containers[0].image)


def scale(api: KubeApi, name: str, replicas: int) -> None:
    api.patch_deployment(name, {"spec": {"replicas": replicas}})
    wait_rolled_out(api, name)


def replicas_of(api: KubeApi, name: str) -> int:
    return int(api.deployment(name).spec.replicas or 1)

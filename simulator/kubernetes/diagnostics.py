"""The kubernetes form of the responder's process view: the shop's pods as the API
reports them (phase, readiness, restarts), in the host view's shape (state: running |
not running | restarting), so diagnostics read the same on every platform; and what
`kubectl describe`, `logs` and `rollout history` would add: the recent events of the
Deployment and its pods, the last log lines of a pod (the first one not ready), and
the Deployment's revisions. Works the same for a team's own Deployment."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from simulator.env.state import EnvState
from simulator.kubernetes.client import KubeApi, KubeError
from simulator.kubernetes.cluster import Cluster
from simulator.kubernetes.labels import TARGET_LABEL

LOG_LINES = 20
EVENTS = 10
REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"


def _pod(pod: Any) -> dict[str, Any]:
    statuses = pod.status.container_statuses or []
    waiting = [s.state.waiting.reason for s in statuses if s.state and s.state.waiting]
    return {
        "name": pod.metadata.name,
        "phase": pod.status.phase,
        "ready": bool(statuses) and all(s.ready for s in statuses),
        "restarts": sum(s.restart_count or 0 for s in statuses),
        "waiting": waiting[0] if waiting else None,
    }


def _events(api: KubeApi, names: list[str]) -> list[dict[str, Any]]:
    found = [event for name in names for event in api.events(name)]

    def when(event: Any) -> str:
        stamp = event.last_timestamp or event.event_time or event.metadata.creation_timestamp
        return stamp.isoformat() if stamp is not None else ""

    found.sort(key=when)
    return [
        {
            "at": when(e),
            "object": f"{e.involved_object.kind}/{e.involved_object.name}",
            "type": e.type,
            "reason": e.reason,
            "message": e.message,
            "count": e.count or 1,
        }
        for e in found[-EVENTS:]
    ]


def _rollouts(api: KubeApi, deployment: str, selector: str) -> list[dict[str, Any]]:
    """The Deployment's revisions, oldest first, as `kubectl rollout history` lists them."""
    revisions = []
    for rs in api.replicasets(selector):
        if not any(ref.name == deployment for ref in rs.metadata.owner_references or []):
            continue
        notes = rs.metadata.annotations or {}
        revisions.append(
            {
                "revision": int(notes.get(REVISION, "0")),
                "image": rs.spec.template.spec.containers[0].image,
                "change_cause": notes.get(CHANGE_CAUSE),
                "replicas": rs.status.replicas if rs.status else None,
            }
        )
    return sorted(revisions, key=lambda r: r["revision"])


def _details(
    api: KubeApi, state: EnvState, pods: list[dict[str, Any]], selector: str
) -> dict[str, Any]:
    """Events, logs and revisions; each part that the API refuses says why, alone."""
    deployment = state.cluster.get("deployment", "shop")
    details: dict[str, Any] = {}
    parts: dict[str, Callable[[], Any]] = {
        "events": lambda: _events(api, [deployment, *(p["name"] for p in pods)]),
        "rollouts": lambda: _rollouts(api, deployment, selector),
    }
    if pods:
        chosen = next((p for p in pods if not p["ready"]), pods[0])
        parts["logs"] = lambda: {
            "pod": chosen["name"],
            "lines": api.pod_log(chosen["name"], LOG_LINES),
        }
    for name, read in parts.items():
        try:
            details[name] = read()
        except KubeError as exc:
            details[name] = {"error": str(exc)}
    return details


def pods_process(state: EnvState, target: str = "shop") -> dict[str, Any]:
    """The target's pods as the host view's `process` entry, with the Kubernetes view."""
    api = KubeApi(Cluster.from_record(state.cluster))
    own = state.cluster.get("selector")
    labels = json.loads(own) if own and target == "shop" else {TARGET_LABEL: target}
    selector = ",".join(f"{k}={v}" for k, v in labels.items())
    try:
        pods = [_pod(p) for p in api.pods(selector)]
        details = _details(api, state, pods, selector) if target == "shop" else {}
    except KubeError as exc:
        return {"pid": 0, "state": "unknown", "pods": [], "error": str(exc)}
    finally:
        api.close()
    ready = [p for p in pods if p["ready"]]
    if ready:
        condition = "running"
    elif any(p["waiting"] == "CrashLoopBackOff" or p["restarts"] for p in pods):
        condition = "restarting"
    else:
        condition = "not running"
    return {
        "pid": 0,
        "state": condition,
        "pods": pods,
        "ready": f"{len(ready)}/{len(pods)}",
        "restart_count": sum(p["restarts"] for p in pods),
        **details,
    }

"""The kubernetes form of the responder's process view: the shop's pods as the API
reports them (phase, readiness, restarts), in the host view's shape (state: running |
not running | restarting), so diagnostics read the same on every platform."""

from __future__ import annotations

import json
from typing import Any

from simulator.env.state import EnvState
from simulator.kubernetes.client import KubeApi, KubeError
from simulator.kubernetes.cluster import Cluster
from simulator.kubernetes.labels import TARGET_LABEL


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


def pods_process(state: EnvState, target: str = "shop") -> dict[str, Any]:
    """The target's pods as the host view's `process` entry."""
    api = KubeApi(Cluster.from_record(state.cluster))
    own = state.cluster.get("selector")
    labels = json.loads(own) if own and target == "shop" else {TARGET_LABEL: target}
    try:
        pods = [_pod(p) for p in api.pods(",".join(f"{k}={v}" for k, v in labels.items()))]
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
    }

"""Create Chaos Mesh resources and prove that they landed, delete them and prove that
they left: the resource's `status.conditions`, as Chaos Mesh derives them from its
per-pod records, are the proof (`Selected` and `AllInjected`, then `AllRecovered`).

A fault that is not injected within `INJECT_BOUND_S` fails in one sentence, and every
resource created for it is deleted first: an error on the way leaves nothing behind.
"""

from __future__ import annotations

import time
from typing import Any

from simulator.kubernetes.client import KubeApi, KubeError
from simulator.kubernetes.labels import CHAOS_PLURALS

# Module-level so that tests can shorten them.
INJECT_BOUND_S = 30.0
RECOVER_BOUND_S = 30.0
POLL_S = 0.5

Resource = tuple[str, str]  # (plural, name)


class NotInjected(KubeError):
    """Chaos Mesh did not confirm the fault in time; its resources were deleted."""


def condition(obj: dict[str, Any], kind: str) -> bool | None:
    """A status condition's truth, None when the controller has not reported it."""
    for found in (obj.get("status") or {}).get("conditions") or []:
        if found.get("type") == kind:
            return bool(found.get("status") == "True")
    return None


def _polls(bound_s: float) -> range:
    return range(max(1, int(bound_s / POLL_S)) + 1)


def _confirm(api: KubeApi, resource: Resource, bound_s: float) -> None:
    plural, name = resource
    deadline = time.monotonic() + bound_s
    seen: dict[str, Any] = {}
    for _ in _polls(bound_s):
        found = api.get_chaos(plural, name)
        if found is None:
            raise NotInjected(f"{plural}/{name} vanished before Chaos Mesh injected it")
        seen = found
        if condition(found, "Selected") and condition(found, "AllInjected"):
            return
        if time.monotonic() >= deadline:
            break
        time.sleep(POLL_S)
    raise NotInjected(
        f"Chaos Mesh did not inject {plural}/{name} within {bound_s:g}s "
        f"(Selected={condition(seen, 'Selected')}, AllInjected={condition(seen, 'AllInjected')}); "
        "the resource was deleted: check that Chaos Mesh runs and that the target's pods "
        "are ready"
    )


def resources(manifests: list[dict[str, Any]]) -> list[Resource]:
    return [(CHAOS_PLURALS[m["kind"]], m["metadata"]["name"]) for m in manifests]


def inject(
    api: KubeApi, manifests: list[dict[str, Any]], bound_s: float | None = None
) -> list[Resource]:
    """Create every resource and wait until each is injected, or delete them all."""
    bound = INJECT_BOUND_S if bound_s is None else bound_s
    created: list[Resource] = []
    try:
        for manifest, resource in zip(manifests, resources(manifests), strict=True):
            api.create_chaos(resource[0], manifest)
            created.append(resource)
        for resource in created:
            _confirm(api, resource, bound)
    except KubeError:
        _delete_quietly(api, created)
        raise
    return created


def _delete_quietly(api: KubeApi, resources: list[Resource]) -> None:
    # Already failing: delete and wait for the recovery; if that fails too, each
    # deletion is still tried, and the first error stays the one the user reads (the
    # owner label lets `cleanup` finish, spec.duration ends it on the cluster).
    try:
        revert(api, resources)
    except KubeError:
        for plural, name in resources:
            try:
                api.delete_chaos(plural, name)
            except KubeError:
                continue


def revert(api: KubeApi, resources: list[Resource], bound_s: float | None = None) -> None:
    """Delete the resources and wait until Chaos Mesh has recovered every pod.

    Chaos Mesh keeps a deleted resource (its finalizer) until it has recovered the
    pods; so the fault has left when the resource reports AllRecovered or is gone.
    """
    bound = RECOVER_BOUND_S if bound_s is None else bound_s
    for plural, name in resources:
        api.delete_chaos(plural, name)
    deadline = time.monotonic() + bound
    waiting = list(resources)
    for _ in _polls(bound):
        waiting = [r for r in waiting if not _recovered(api, r)]
        if not waiting or time.monotonic() >= deadline:
            break
        time.sleep(POLL_S)
    if waiting:
        names = ", ".join(f"{p}/{n}" for p, n in waiting)
        raise KubeError(
            f"Chaos Mesh has not recovered {names} within {bound:g}s of their deletion; "
            "their spec.duration still ends them on the cluster"
        )


def _recovered(api: KubeApi, resource: Resource) -> bool:
    found = api.get_chaos(*resource)
    return found is None or bool(condition(found, "AllRecovered"))


def active(api: KubeApi, resources: list[Resource]) -> bool:
    """Is any of the resources injected and not yet recovered, as Chaos Mesh reports?"""
    for resource in resources:
        found = api.get_chaos(*resource)
        if found is None or condition(found, "AllRecovered"):
            continue
        if condition(found, "AllInjected"):
            return True
    return False


def sweep(api: KubeApi, selector: str) -> list[str]:
    """Delete every Chaos Mesh resource matching the label selector; what was deleted."""
    deleted = []
    for plural in CHAOS_PLURALS.values():
        for item in api.list_chaos(plural, selector):
            name = item["metadata"]["name"]
            if api.delete_chaos(plural, name):
                deleted.append(f"{plural}/{name}")
    return deleted

"""The names the Kubernetes platform puts on what it creates, and what it selects on.

Every object chaosdrill creates carries the owner labels, so `env down` and `cleanup`
delete exactly what one environment created (by label, never by name patterns); every
fault selects its pods by `TARGET_LABEL`, the allow-list's label.
"""

from __future__ import annotations

import re

MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER = "chaosdrill"
OWNER_LABEL = "chaosdrill.io/env"  # the environment's id: what `env down` deletes
FAULT_LABEL = "chaosdrill.io/fault"  # the journal's fault id on a Chaos Mesh resource
TARGET_LABEL = "chaosdrill.io/target"  # the contract's target name on pods and Services

CHAOS_GROUP = "chaos-mesh.org"
CHAOS_VERSION = "v1alpha1"
CHAOS_API_VERSION = f"{CHAOS_GROUP}/{CHAOS_VERSION}"
# Chaos Mesh kind -> its plural (the resource in the API's path).
CHAOS_PLURALS = {
    "PodChaos": "podchaos",
    "NetworkChaos": "networkchaos",
    "HTTPChaos": "httpchaos",
    "StressChaos": "stresschaos",
    "IOChaos": "iochaos",
}

# The Kubernetes version the manifests are written and validated for.
KUBERNETES_VERSION = "1.30.0"

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def owner_labels(env_id: str) -> dict[str, str]:
    """The labels on every object one environment creates."""
    return {MANAGED_BY: MANAGER, OWNER_LABEL: env_id}


def owner_selector(env_id: str) -> str:
    """The label selector of everything one environment created."""
    return f"{MANAGED_BY}={MANAGER},{OWNER_LABEL}={env_id}"


def valid_namespace(name: str) -> bool:
    """A namespace name Kubernetes accepts (an RFC 1123 label)."""
    return bool(_DNS_LABEL.match(name))

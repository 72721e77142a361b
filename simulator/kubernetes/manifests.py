"""The environment's manifests: `deploy/kubernetes/base` as one namespace applies them.

The base is plain Kubernetes YAML listed by its `kustomization.yaml`, so people can
apply it themselves (`kubectl apply -k deploy/kubernetes/overlays/kind`) and chaosdrill
reads the same files here: it sets the namespace, the owner labels and the release,
and adds the Secret that a kustomize overlay generates from `secrets.env`.
"""

from __future__ import annotations

import copy
import secrets
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from simulator.env.errors import EnvError
from simulator.kubernetes.labels import owner_labels

DEPLOY_DIR = Path(__file__).resolve().parents[2] / "deploy" / "kubernetes"
BASE = DEPLOY_DIR / "base"
SECRET = "chaosdrill-secrets"

Manifest = dict[str, Any]


@cache
def _base() -> tuple[Manifest, ...]:
    if not (BASE / "kustomization.yaml").is_file():
        raise EnvError(
            f"the manifests of deploy/kubernetes are not at {BASE}; run chaosdrill from a "
            "clone of its repository (an editable install, as `make` sets up)"
        )
    kustomization = yaml.safe_load((BASE / "kustomization.yaml").read_text())
    common: dict[str, str] = {}
    for entry in kustomization.get("labels", []):
        common.update(entry.get("pairs", {}))
    objects = []
    for name in kustomization["resources"]:
        for doc in yaml.safe_load_all((BASE / name).read_text()):
            if doc:
                doc["metadata"].setdefault("labels", {}).update(common)
                objects.append(doc)
    return tuple(objects)


def new_secrets(password: str | None = None) -> dict[str, str]:
    password = password or secrets.token_urlsafe(18)
    return {
        "postgres-password": password,
        "database-url": f"postgresql+psycopg://chaosdrill:{password}@postgres:5432/shop",
        "chaos-token": secrets.token_urlsafe(24),
        "facilitator-token": secrets.token_urlsafe(24),
    }


# What a dry run prints instead of secret values: it is shown on terminals and kept in
# CI logs, and a value generated for it would never be the one `env up` uses anyway.
PLACEHOLDER = "generated-at-env-up"
PLACEHOLDER_NOTE = (
    "placeholders: env up generates every value of this Secret itself; to apply this "
    "output by hand, replace them (or use overlays/kind with secrets.env)"
)


def placeholder_secrets() -> dict[str, str]:
    """The Secret's keys with placeholders, in the shapes the shop parses (a URL)."""
    values = new_secrets(PLACEHOLDER)
    return {key: value if key == "database-url" else PLACEHOLDER for key, value in values.items()}


def _secret(values: dict[str, str]) -> Manifest:
    secret: Manifest = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": SECRET, "labels": {"app.kubernetes.io/part-of": "chaosdrill"}},
        "type": "Opaque",
        "stringData": dict(values),
    }
    if PLACEHOLDER in values.values():
        secret["metadata"]["annotations"] = {"chaosdrill.io/values": PLACEHOLDER_NOTE}
    return secret


def render(namespace: str, env_id: str, values: dict[str, str], version: str) -> list[Manifest]:
    """Every object `env up` applies, in order (what the others refer to comes first)."""
    labels = owner_labels(env_id)
    rendered = []
    for base in (_secret(values), *_base()):
        obj = copy.deepcopy(base)
        obj["metadata"]["namespace"] = namespace
        obj["metadata"]["labels"].update(labels)
        for claim in obj.get("spec", {}).get("volumeClaimTemplates", []):
            # PVCs outlive their StatefulSet: labelled, so `env down` finds them.
            claim["metadata"].setdefault("labels", {}).update(labels)
        if obj["kind"] == "Deployment" and obj["metadata"]["name"] == "shop":
            container = obj["spec"]["template"]["spec"]["containers"][0]
            container["image"] = f"{container['image'].rsplit(':', 1)[0]}:{version}"
            obj["metadata"]["annotations"]["kubernetes.io/change-cause"] = f"release {version}"
        rendered.append(obj)
    return rendered


def workloads(objects: list[Manifest]) -> list[tuple[str, str]]:
    """(kind, name) of what `env up` waits for to roll out."""
    return [
        (o["kind"], o["metadata"]["name"])
        for o in objects
        if o["kind"] in ("Deployment", "StatefulSet")
    ]

"""Validate manifests against the Chaos Mesh CRDs' openAPIV3Schema, offline.

The API server prunes fields a structural schema does not name, silently: a misspelt
field would be accepted and mean nothing. So the schemas are closed here (no property
beyond those named, unless the schema says `x-kubernetes-preserve-unknown-fields`),
which makes such a manifest fail the test instead of failing on the cluster.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

CHAOS_MESH = Path(__file__).parent / "data" / "chaos-mesh"


def _close(schema: Any) -> Any:
    if isinstance(schema, dict):
        closed = {k: _close(v) for k, v in schema.items()}
        if (
            "properties" in closed
            and "additionalProperties" not in closed
            and not closed.get("x-kubernetes-preserve-unknown-fields")
        ):
            closed["additionalProperties"] = False
        return closed
    if isinstance(schema, list):
        return [_close(item) for item in schema]
    return schema


@cache
def validators() -> dict[str, jsonschema.Draft7Validator]:
    """Chaos Mesh kind -> a validator of its CRD's first version, closed."""
    found = {}
    for path in sorted((CHAOS_MESH / "crds").glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        version = crd["spec"]["versions"][0]
        schema = _close(copy.deepcopy(version["schema"]["openAPIV3Schema"]))
        found[crd["spec"]["names"]["kind"]] = jsonschema.Draft7Validator(schema)
    return found


def problems(manifest: dict[str, Any]) -> list[str]:
    """Every way the manifest breaks its kind's CRD schema (empty when it validates)."""
    validator = validators().get(manifest.get("kind", ""))
    if validator is None:
        return [f"no CRD for kind {manifest.get('kind')!r}"]
    if manifest.get("apiVersion") != "chaos-mesh.org/v1alpha1":
        return [f"apiVersion {manifest.get('apiVersion')!r} is not chaos-mesh.org/v1alpha1"]
    return [
        f"{'.'.join(str(p) for p in error.absolute_path) or '<root>'}: {error.message}"
        for error in validator.iter_errors(manifest)
    ]


def examples() -> list[tuple[str, dict[str, Any]]]:
    return [
        (path.name, doc)
        for path in sorted((CHAOS_MESH / "examples").glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]

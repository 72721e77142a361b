"""The per-backend fault registry: pure lookups, no Docker needed."""

from __future__ import annotations

import subprocess
import sys

import pytest

from scoring.names import FAULT_KINDS
from simulator.faults.errors import UnknownFault
from simulator.faults.registry import REGISTRY, get_kind, registry_for

DOCKER_REGISTRY = registry_for("docker")


def test_every_contract_kind_has_a_docker_entry() -> None:
    assert set(FAULT_KINDS) <= set(DOCKER_REGISTRY)
    for name in ("db.down", "dependency.down", "network.loss", "db.latency"):
        assert get_kind(name, "docker") is not get_kind(name, "local")
    assert get_kind("app.crash", "docker") is get_kind("app.crash", "local")


def test_container_kinds_exist_only_on_docker() -> None:
    container_kinds = set(DOCKER_REGISTRY) - set(REGISTRY)
    assert {"container.stop", "container.pause", "network.disconnect"} <= container_kinds
    with pytest.raises(UnknownFault, match="only on the docker backend; use --backend docker"):
        get_kind("container.pause", "local")


def test_the_registry_does_not_import_the_docker_sdk() -> None:
    # The SDK pulls in requests/urllib3; it is imported only when a docker env is used.
    code = (
        "import sys, simulator.faults.registry, simulator.faults.manager, simulator.env.lifecycle;"
        "from simulator.platform.registry import platform_for; platform_for('docker').kinds();"
        "print(sorted(m for m in ('docker', 'requests', 'urllib3') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

"""The docker backend's kinds list only the parameters they use."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from simulator.cli.fault_cmd import kinds
from simulator.faults.errors import BadParams
from simulator.faults.registry import get_kind, parse_params


def listed(backend: str) -> dict[str, dict[str, object]]:
    done = CliRunner().invoke(kinds, ["--backend", backend, "--json"])
    assert done.exit_code == 0, done.output
    return {row["kind"]: row["params"] for row in json.loads(done.output)}


def test_db_down_on_docker_lists_no_service_like_the_local_kind() -> None:
    assert listed("docker")["db.down"] == {} == listed("local")["db.down"]


def test_db_down_on_docker_refuses_a_service_it_would_ignore() -> None:
    with pytest.raises(BadParams, match=r"db\.down has no parameter 'service'"):
        parse_params(get_kind("db.down", "docker"), {"service": "shop"})


def test_container_kinds_still_take_a_service() -> None:
    assert listed("docker")["container.cpu_throttle"] == {"service": "shop", "cpus": 0.05}

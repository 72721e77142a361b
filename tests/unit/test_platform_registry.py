"""The one registry of platforms: selection by name, and what each platform says it can do."""

from __future__ import annotations

import pytest

from scoring.names import FAULT_KINDS
from simulator.env.errors import EnvError
from simulator.env.state import EnvState
from simulator.faults.registry import param_problem
from simulator.platform.registry import NAMES, platform_for
from simulator.remediation.table import ENDS


def test_an_unknown_platform_is_one_sentence() -> None:
    with pytest.raises(EnvError, match="unknown backend 'k8s'; choose local or docker"):
        platform_for("k8s")


@pytest.mark.parametrize("name", NAMES)
def test_each_platform_names_itself_and_knows_every_contract_kind(name: str) -> None:
    platform = platform_for(name)
    assert platform.name == name
    assert platform_for(name) is platform  # chosen once
    assert set(FAULT_KINDS) <= set(platform.kinds())
    # Every action its table can end a fault with is one it can apply.
    for action in ENDS:
        assert action in platform.actions()


def test_the_docker_platform_refuses_what_it_has_no_form_of_in_one_sentence() -> None:
    docker = platform_for("docker")
    refusal = docker.refusal("db.latency")
    assert refusal is not None and refusal.startswith("db.latency has no Docker form: ")
    assert platform_for("local").refusal("db.latency") is None
    assert param_problem("db.latency", {"ms": 100}, "docker") == (None, refusal)


def test_each_platform_has_its_own_remediation_table() -> None:
    local, docker = platform_for("local"), platform_for("docker")
    params: dict[str, object] = {}
    assert docker.ends("container.unpause", None, "container.pause", params, "shop")
    assert "container.unpause" not in local.actions()
    assert not local.ends("container.unpause", None, "container.pause", params, "shop")
    # The contract's rows hold on both.
    for platform in (local, docker):
        assert platform.ends("db.kill_long_queries", None, "db.lock", params, "database")


def test_each_platform_says_which_actions_cannot_act_in_its_environment() -> None:
    # An embedded-SQLite local environment: no database proxy, no replica.
    state = EnvState(
        state_dir="/nonexistent",
        data_dir="/nonexistent/data",
        database_kind="sqlite",
        database_url="sqlite:////nonexistent/data/shop.db",
        chaos_token="t",
    )
    local, docker = platform_for("local"), platform_for("docker")
    assert local.unavailable(state, "db.failover_to_replica") == (
        "this environment has no database replica to fail over to"
        " (the shop runs on its embedded SQLite file)"
    )
    assert local.unavailable(state, "db.restore") is not None
    assert local.unavailable(state, "service.restart") is None
    replicated = state.model_copy(update={"database_replica_url": "postgresql://replica"})
    assert local.unavailable(replicated, "db.failover_to_replica") is None
    # Docker offers every action; the action itself says if it cannot act.
    docker_state = state.model_copy(update={"backend": "docker"})
    assert docker.unavailable(docker_state, "db.failover_to_replica") is None

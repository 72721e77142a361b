"""Remediations on the docker backend really act on containers and end the faults
they fix; seen from outside with HTTP and `docker inspect`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.docker.daemon import ensure_dockerd
from simulator.faults.manager import FaultManager
from simulator.platform.environment import EnvOptions, down, up
from simulator.remediation.apply import apply as remediate
from tests.integration.faults_env import current, eventually, needs, status_of
from tests.integration.test_docker_faults import container_of, inspect
from tests.probes import version_of

pytestmark = [pytest.mark.docker, pytest.mark.integration]


@pytest.fixture(scope="module")
def env_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    problem = ensure_dockerd()
    needs(problem is None, f"a running dockerd ({problem})")
    state_dir = tmp_path_factory.mktemp("docker-remedy-env")
    up(EnvOptions(state_dir=state_dir, backend="docker"))
    try:
        yield state_dir
    finally:
        down(state_dir)


@pytest.fixture
def faults(env_dir: Path) -> Iterator[FaultManager]:
    manager = FaultManager(env_dir)
    yield manager
    manager.revert_all(reason="teardown")
    shop = current(env_dir).shop.url
    assert eventually(lambda: status_of(f"{shop}/readyz", timeout=2) == 200, 30)


def test_restart_brings_a_killed_shop_back(env_dir: Path, faults: FaultManager) -> None:
    entry = faults.inject("container.kill", {"service": "shop"}, ttl_s=60)
    result = remediate(env_dir, "service.restart")
    assert [e.id for e in result.ended] == [entry.id]
    assert inspect(container_of(env_dir, "shop"))["State"]["Status"] == "running"
    assert status_of(f"{current(env_dir).shop.url}/products") == 200


def test_unpause_and_reconnect_end_their_faults(env_dir: Path, faults: FaultManager) -> None:
    paused = faults.inject("container.pause", {"service": "payment-backup"}, ttl_s=60)
    cut = faults.inject("dependency.down", {}, ttl_s=60)
    assert remediate(env_dir, "container.unpause", "shop").ended == []  # not that one
    result = remediate(env_dir, "container.unpause", "payment-backup")
    assert [e.id for e in result.ended] == [paused.id]
    assert inspect(container_of(env_dir, "payment-backup"))["State"]["Paused"] is False
    result = remediate(env_dir, "network.reconnect", "payment-primary")
    assert [e.id for e in result.ended] == [cut.id]
    project = current(env_dir).compose_project
    networks = inspect(container_of(env_dir, "payment-primary"))["NetworkSettings"]["Networks"]
    assert f"{project}_default" in networks
    shop = current(env_dir).shop.url
    assert eventually(lambda: status_of(f"{shop}/readyz") == 200, 10)


def test_scale_up_recreates_the_shop_without_the_cpu_limit(
    env_dir: Path, faults: FaultManager
) -> None:
    entry = faults.inject("container.cpu_throttle", {"service": "shop", "cpus": 0.05}, ttl_s=60)
    result = remediate(env_dir, "service.scale_up")
    assert [e.id for e in result.ended] == [entry.id]
    attrs = inspect(container_of(env_dir, "shop"))
    assert attrs["HostConfig"]["CpuQuota"] in (0, -1)
    assert "TARGET_POOL_SIZE=10" in attrs["Config"]["Env"]


def test_rollback_deploys_the_previous_image_tag(env_dir: Path, faults: FaultManager) -> None:
    shop = current(env_dir).shop.url
    entry = faults.inject("deploy.bad_release", {"version": "1.1.0"}, ttl_s=120)
    assert inspect(container_of(env_dir, "shop"))["Config"]["Image"].endswith(":1.1.0-local")
    assert eventually(lambda: version_of(shop) == "1.1.0", 30)
    result = remediate(env_dir, "deploy.rollback")
    assert [e.id for e in result.ended] == [entry.id]
    assert inspect(container_of(env_dir, "shop"))["Config"]["Image"].endswith(":1.0.0-local")
    assert eventually(lambda: version_of(shop) == "1.0.0", 30)


def test_recreate_ends_a_restart_loop(env_dir: Path, faults: FaultManager) -> None:
    entry = faults.inject("container.restart_loop", {}, ttl_s=120)
    result = remediate(env_dir, "container.recreate", "shop")
    assert [e.id for e in result.ended] == [entry.id]
    attrs = inspect(container_of(env_dir, "shop"))
    assert attrs["RestartCount"] == 0 and attrs["State"]["Status"] == "running"
    assert status_of(f"{current(env_dir).shop.url}/readyz") == 200

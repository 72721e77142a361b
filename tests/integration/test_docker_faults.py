"""Every container fault on the docker backend, seen from outside, then reverted.

Observers are plain HTTP to the shop's published port and the `docker` CLI
(`docker inspect`), never the backend's own SDK calls.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from simulator.docker.daemon import ensure_dockerd
from simulator.docker.diagnostics import container_process
from simulator.faults.errors import NotApplicable, TargetRefused
from simulator.faults.manager import FaultManager
from simulator.platform.environment import EnvOptions, down, up
from tests.integration.faults_env import current, eventually, needs, status_of, statuses

pytestmark = [pytest.mark.docker, pytest.mark.integration]


def inspect(container: str) -> dict[str, Any]:
    out = subprocess.run(
        ["docker", "inspect", container], capture_output=True, text=True, check=True
    ).stdout
    result: dict[str, Any] = json.loads(out)[0]
    return result


def container_of(env_dir: Path, service: str) -> str:
    project = current(env_dir).compose_project
    out = subprocess.run(
        [
            "docker", "ps", "-aq",
            "--filter", f"label=com.docker.compose.project={project}",
            "--filter", f"label=com.docker.compose.service={service}",
        ],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert len(out) == 1, out
    return out[0]


def status(env_dir: Path, service: str) -> str:
    return str(inspect(container_of(env_dir, service))["State"]["Status"])


@pytest.fixture(scope="module")
def env_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    problem = ensure_dockerd()
    needs(problem is None, f"a running dockerd ({problem})")
    state_dir = tmp_path_factory.mktemp("docker-env")
    up(EnvOptions(state_dir=state_dir, backend="docker"))
    try:
        yield state_dir
    finally:
        down(state_dir)


def healthy(env_dir: Path) -> bool:
    shop = current(env_dir).shop.url
    return status_of(f"{shop}/products", timeout=2) == 200 and (
        status_of(f"{shop}/readyz", timeout=2) == 200
    )


@pytest.fixture
def faults(env_dir: Path) -> Iterator[FaultManager]:
    manager = FaultManager(env_dir)
    assert eventually(lambda: healthy(env_dir), 30), "the environment starts healthy"
    yield manager
    manager.revert_all(reason="teardown")
    assert eventually(lambda: healthy(env_dir), 30), "every test leaves the shop healthy"


def shop(env_dir: Path) -> str:
    return current(env_dir).shop.url


def test_stop_and_kill_take_the_container_down_until_reverted(
    env_dir: Path, faults: FaultManager
) -> None:
    for kind in ("container.stop", "container.kill", "app.crash"):
        entry = faults.inject(kind, {} if kind == "app.crash" else {"service": "shop"}, ttl_s=60)
        assert status(env_dir, "shop") == "exited"
        assert container_process(current(env_dir))["state"] == "exited"
        assert set(statuses(f"{shop(env_dir)}/products", 2, timeout=2)) <= {
            "ConnectError", "RemoteProtocolError", "ReadError",
        }  # fmt: skip
        faults.revert(entry.id)
        assert status(env_dir, "shop") == "running"
        assert healthy(env_dir)


def test_pause_freezes_the_container(env_dir: Path, faults: FaultManager) -> None:
    for kind, params in (("container.pause", {"service": "shop"}), ("app.hang", {})):
        entry = faults.inject(kind, params, ttl_s=60)
        assert inspect(container_of(env_dir, "shop"))["State"]["Paused"] is True
        assert status_of(f"{shop(env_dir)}/healthz", timeout=1.5) == "ReadTimeout"
        assert container_process(current(env_dir))["state"] == "stopped"
        faults.revert(entry.id)
        assert inspect(container_of(env_dir, "shop"))["State"]["Paused"] is False
        assert status_of(f"{shop(env_dir)}/healthz") == 200


def test_restart_loop_restarts_again_and_again(env_dir: Path, faults: FaultManager) -> None:
    entry = faults.inject("container.restart_loop", {}, ttl_s=120)
    container = container_of(env_dir, "shop")
    assert inspect(container)["HostConfig"]["RestartPolicy"]["Name"] == "on-failure"
    first = int(inspect(container)["RestartCount"])
    assert eventually(lambda: int(inspect(container)["RestartCount"]) > first, 20)
    assert status_of(f"{shop(env_dir)}/healthz", timeout=2) != 200
    faults.revert(entry.id)
    fresh = container_of(env_dir, "shop")
    assert inspect(fresh)["HostConfig"]["RestartPolicy"]["Name"] == "no"
    assert healthy(env_dir)


def test_network_disconnect_cuts_the_payment_provider_off(
    env_dir: Path, faults: FaultManager
) -> None:
    project = current(env_dir).compose_project
    for kind, params in (
        ("network.disconnect", {"service": "payment-primary"}),
        ("dependency.down", {}),
    ):
        entry = faults.inject(kind, params, ttl_s=60)
        networks = inspect(container_of(env_dir, "payment-primary"))["NetworkSettings"]["Networks"]
        assert f"{project}_default" not in networks
        readyz = status_of(f"{shop(env_dir)}/readyz", timeout=5)
        assert readyz == 503, "the shop sees its payment provider gone"
        faults.revert(entry.id)
        networks = inspect(container_of(env_dir, "payment-primary"))["NetworkSettings"]["Networks"]
        assert f"{project}_default" in networks
        assert eventually(lambda: status_of(f"{shop(env_dir)}/readyz") == 200, 10)


def _busy_seconds(url: str, n: int = 15) -> float:
    start = time.perf_counter()
    statuses(url, n, timeout=20)
    return time.perf_counter() - start


def test_cpu_throttle_limits_the_container(env_dir: Path, faults: FaultManager) -> None:
    url = f"{shop(env_dir)}/products/search?q=a"
    before = _busy_seconds(url)
    had = inspect(container_of(env_dir, "shop"))["HostConfig"]
    assert had["CpuPeriod"] == 0, "the stack sets no CPU period of its own"
    entry = faults.inject("container.cpu_throttle", {"service": "shop", "cpus": 0.02}, ttl_s=60)
    host = inspect(container_of(env_dir, "shop"))["HostConfig"]
    # 2 % of the kernel's default 100 ms period; no period is written.
    assert host["CpuQuota"] == 2000 and host["CpuPeriod"] == 0
    assert container_process(current(env_dir))["cpu_limit"] == 0.02
    throttled = _busy_seconds(url)
    assert throttled > 2 * before, (before, throttled)
    faults.revert(entry.id)
    after = inspect(container_of(env_dir, "shop"))["HostConfig"]
    assert after["CpuPeriod"] == had["CpuPeriod"], "the period is exactly what it was"
    # "No limit" again: the update API writes it as -1 (it reads 0 as "unchanged").
    assert after["CpuQuota"] == (had["CpuQuota"] or -1)
    assert container_process(current(env_dir))["cpu_limit"] is None


@pytest.mark.root(reason="nsenter + iptables")
def test_reject_and_loss_act_inside_the_container_namespace(
    env_dir: Path, faults: FaultManager
) -> None:
    entry = faults.inject("network.reject", {"service": "shop"}, ttl_s=60)
    assert all(s != 200 for s in statuses(f"{shop(env_dir)}/healthz", 3, timeout=2))
    faults.revert(entry.id)
    assert status_of(f"{shop(env_dir)}/healthz") == 200
    entry = faults.inject("network.loss", {"target": "shop", "percent": 100}, ttl_s=60)
    assert status_of(f"{shop(env_dir)}/healthz", timeout=1.5) != 200
    faults.revert(entry.id)
    assert status_of(f"{shop(env_dir)}/healthz") == 200


@pytest.mark.root(reason="the size-limited data directory")
def test_disk_full_fills_the_shops_data_volume(env_dir: Path, faults: FaultManager) -> None:
    entry = faults.inject("disk.full", {}, ttl_s=60)
    df = subprocess.run(
        ["docker", "exec", container_of(env_dir, "shop"), "df", "-k", "/data"],
        capture_output=True, text=True, check=True,
    ).stdout.splitlines()[-1].split()  # fmt: skip
    assert int(df[3]) == 0, df  # no free blocks, seen from inside the container
    order = status_of(
        f"{shop(env_dir)}/orders",
        method="POST",
        json={"customer_id": 1, "items": [{"product_id": 2, "quantity": 1}]},
    )
    assert order != 201
    faults.revert(entry.id)
    assert eventually(lambda: healthy(env_dir), 10)


def test_chaos_controls_reach_the_shop_through_docker_exec(
    env_dir: Path, faults: FaultManager
) -> None:
    entry = faults.inject("app.error_rate", {"fraction": 1.0}, ttl_s=60)
    assert set(statuses(f"{shop(env_dir)}/products", 4)) == {500}
    faults.revert(entry.id)
    assert set(statuses(f"{shop(env_dir)}/products", 4)) == {200}


def test_kinds_without_docker_form_and_targets_off_the_list_are_refused(
    env_dir: Path, faults: FaultManager
) -> None:
    for kind in ("db.latency", "dependency.latency"):
        with pytest.raises(NotApplicable, match="has no Docker form"):
            faults.inject(kind, {}, ttl_s=10)
    with pytest.raises(TargetRefused, match="not part of this environment"):
        faults.inject("container.stop", {"service": "grafana"}, ttl_s=10)
    with pytest.raises(NotApplicable, match="PostgreSQL"):
        faults.inject("db.down", {}, ttl_s=10)  # this environment runs SQLite
    assert faults.active() == []


def test_the_watchdog_ends_a_pause_at_its_ttl(env_dir: Path, faults: FaultManager) -> None:
    faults.inject("container.pause", {"service": "payment-backup"}, ttl_s=2)
    assert status(env_dir, "payment-backup") == "paused"
    assert eventually(lambda: status(env_dir, "payment-backup") == "running", 15)
    assert faults.active() == []

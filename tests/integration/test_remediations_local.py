"""Every remediation really acts, ends the faults the table says, and no others."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from simulator.faults.manager import FaultManager
from simulator.remediation.apply import UnknownAction, apply
from simulator.remediation.table import ENDS
from tests.integration.faults_env import (
    current,
    eventually,
    healthy,
    new_order,
    paid,
    rss_mb,
    status_of,
    statuses,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def faults(env_dir: Path) -> Iterator[FaultManager]:
    manager = FaultManager(env_dir)
    assert eventually(lambda: healthy(env_dir), 20)
    yield manager
    manager.revert_all(reason="teardown")
    apply(env_dir, "service.restart")  # back to defaults: flags, pool size, cache
    assert eventually(lambda: healthy(env_dir), 20)


def shop(env_dir: Path) -> str:
    return current(env_dir).shop.url


def open_ids(faults: FaultManager) -> set[str]:
    return {e.id for e in faults.active()}


def test_rollback_with_nothing_to_roll_back_says_so(env_dir: Path, faults: FaultManager) -> None:
    # Runs first in this module: only the initial release has been deployed.
    assert [d["by"] for d in current(env_dir).deploys] == ["env up"]
    with pytest.raises(Exception, match="nothing to roll back"):
        apply(env_dir, "deploy.rollback")


def test_restart_ends_a_crash(env_dir: Path, faults: FaultManager) -> None:
    entry = faults.inject("app.crash", {}, ttl_s=120)
    result = apply(env_dir, "service.restart")
    assert [e.id for e in result.ended] == [entry.id]
    assert status_of(f"{shop(env_dir)}/healthz") == 200


def test_restart_does_not_release_a_lock_held_by_another_session(
    env_dir: Path, faults: FaultManager
) -> None:
    entry = faults.inject("db.lock", {}, ttl_s=120)
    assert new_order(shop(env_dir)) == 503
    result = apply(env_dir, "service.restart")
    assert result.ended == [] and entry.id in open_ids(faults)
    assert new_order(shop(env_dir)) == 503, "the lock survived the restart"
    result = apply(env_dir, "db.kill_long_queries")
    assert "killed 1 process" in result.detail
    assert [e.id for e in result.ended] == [entry.id]
    assert new_order(shop(env_dir)) == 201


def test_restart_keeps_an_error_surge_going(env_dir: Path, faults: FaultManager) -> None:
    entry = faults.inject("app.error_rate", {"fraction": 1.0}, ttl_s=120)
    old_pid = current(env_dir).shop.pid
    result = apply(env_dir, "service.restart")
    assert current(env_dir).shop.pid != old_pid
    assert [e.id for e in result.reasserted] == [entry.id]
    assert set(statuses(f"{shop(env_dir)}/products", 10)) == {500}


def test_rollback_ends_a_bad_release(env_dir: Path, faults: FaultManager) -> None:
    entry = faults.inject("deploy.bad_release", {"version": "1.1.0"}, ttl_s=120)
    result = apply(env_dir, "deploy.rollback")
    assert [e.id for e in result.ended] == [entry.id]
    assert httpx.get(f"{shop(env_dir)}/version").json()["version"] == "1.0.0"
    assert [d["by"] for d in current(env_dir).deploys][-1] == "responder"


def test_switch_backup_ends_a_dead_provider(env_dir: Path, faults: FaultManager) -> None:
    entry = faults.inject("dependency.down", {}, ttl_s=120)
    assert paid(shop(env_dir))[0] == 503
    result = apply(env_dir, "dependency.switch_backup")
    assert [e.id for e in result.ended] == [entry.id]
    assert paid(shop(env_dir)) == (200, "backup")


def test_feature_disable_ends_only_faults_inside_the_feature(
    env_dir: Path, faults: FaultManager
) -> None:
    inside = faults.inject(
        "app.error_rate", {"fraction": 1.0, "routes": ["/recommendations"]}, ttl_s=120
    )
    result = apply(env_dir, "feature.disable", "recommendations")
    assert [e.id for e in result.ended] == [inside.id]
    body = httpx.get(f"{shop(env_dir)}/recommendations/4").json()
    assert body["disabled"] is True
    everywhere = faults.inject("app.error_rate", {"fraction": 1.0}, ttl_s=120)
    assert apply(env_dir, "feature.disable", "recommendations").ended == []
    assert everywhere.id in open_ids(faults)


def test_cache_clear_ends_a_memory_leak(env_dir: Path, faults: FaultManager) -> None:
    pid = current(env_dir).shop.pid
    entry = faults.inject("app.memory_leak", {"mb_per_s": 100, "max_mb": 150}, ttl_s=120)
    assert eventually(
        lambda: (
            httpx.get(
                f"{shop(env_dir)}/admin/cache",
                headers={"X-Chaos-Token": current(env_dir).chaos_token},
            ).json()["bytes"]
            > 50e6
        ),
        10,
    )
    grown = rss_mb(pid)
    result = apply(env_dir, "cache.clear")
    assert [e.id for e in result.ended] == [entry.id]
    time.sleep(1.0)
    assert rss_mb(pid) <= grown + 10


def test_scale_up_ends_pool_exhaustion_with_a_bigger_pool(
    env_dir: Path, faults: FaultManager
) -> None:
    entry = faults.inject("db.pool_exhaustion", {}, ttl_s=120)
    assert eventually(lambda: status_of(f"{shop(env_dir)}/readyz") == 503, 10)
    result = apply(env_dir, "service.scale_up")
    assert [e.id for e in result.ended] == [entry.id]
    metrics = httpx.get(f"{shop(env_dir)}/metrics").text
    assert "db_pool_size 10.0" in metrics


@pytest.mark.root(reason="the size-limited tmpfs data directory")
def test_disk_cleanup_ends_a_full_disk(env_dir: Path, faults: FaultManager) -> None:
    entry = faults.inject("disk.full", {}, ttl_s=120)
    assert new_order(shop(env_dir)) == 503
    result = apply(env_dir, "disk.cleanup")
    assert [e.id for e in result.ended] == [entry.id]
    assert shutil.disk_usage(current(env_dir).data_dir).free > 32 * 1024 * 1024
    assert new_order(shop(env_dir)) == 201


def test_wrong_remediations_end_nothing(env_dir: Path, faults: FaultManager) -> None:
    entry = faults.inject("dependency.down", {}, ttl_s=120)
    for action, arg in (
        ("cache.clear", None),
        ("disk.cleanup", None),
        ("feature.disable", "recommendations"),
    ):
        assert apply(env_dir, action, arg).ended == []
    assert entry.id in open_ids(faults)
    assert paid(shop(env_dir))[0] == 503


def test_postgres_only_actions_refuse_on_sqlite(env_dir: Path, faults: FaultManager) -> None:
    for action in ("db.restore", "db.failover_to_replica"):
        with pytest.raises(Exception, match=r"PostgreSQL|replica"):
            apply(env_dir, action)


def test_unknown_action_suggests_the_right_one(env_dir: Path) -> None:
    with pytest.raises(UnknownAction, match=r"did you mean .service\.restart."):
        apply(env_dir, "service.restrat")


def test_the_table_names_only_real_actions_and_kinds() -> None:
    from scoring.names import FAULT_KINDS, REMEDIATIONS

    assert set(ENDS) == set(REMEDIATIONS)
    assert set().union(*ENDS.values()) <= set(FAULT_KINDS)

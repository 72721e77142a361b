"""ChaosControls itself: atomic replace, expiry, and faults that end cleanly."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.pool import QueuePool

from target_app.cache import RecommendationCache
from target_app.chaos import ChaosControls, flags_with_disabled
from target_app.config import Settings
from target_app.db import make_engine
from tests.probes import wait_until


def _engine(url: str) -> Engine:
    return make_engine(Settings(database_url=url, pool_size=2, max_overflow=1, db_timeout_s=0.3))


@pytest.fixture
def controls(tmp_path: Path) -> Iterator[ChaosControls]:
    engine = _engine(f"sqlite:///{tmp_path / 'c.db'}")
    chaos = ChaosControls(engine, RecommendationCache())
    try:
        yield chaos
    finally:
        chaos.shutdown()
        engine.dispose()


def _threads(prefix: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(prefix)]


def _eventually(predicate: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    return wait_until(predicate, timeout_s, interval_s=0.02)


def test_concurrent_replacing_leaves_no_orphaned_worker(controls: ChaosControls) -> None:
    def hammer() -> None:
        for _ in range(15):
            controls.set_cpu_burn(threads=1, duty=0.01, ttl_s=60)

    hammers = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in hammers:
        thread.start()
    for thread in hammers:
        thread.join()
    assert "cpu" in controls.snapshot()
    assert controls.clear("cpu") is True
    assert _eventually(lambda: not _threads("cpu-burn"))


def test_expire_ends_only_what_is_due(controls: ChaosControls) -> None:
    controls.set_errors(0.5, 500, [], ttl_s=10)
    controls.set_latency(5, 0, ["/products"], ttl_s=100)
    now = time.monotonic()
    controls.expire(now + 50)
    assert controls.errors is None and controls.latency is not None
    controls.expire(now + 200)
    assert controls.latency is None
    assert controls.clear("errors") is False


def test_flags_expire_one_by_one(controls: ChaosControls) -> None:
    controls.set_flags({"recommendations_enabled": False}, ttl_s=10)
    controls.set_flags({"payment_provider": "backup"}, ttl_s=None)
    controls.expire(time.monotonic() + 20)
    assert controls.flags.recommendations_enabled is True
    assert controls.flags.payment_provider == "backup"
    assert controls.clear("flags") is True and controls.clear("flags") is False


def test_features_the_operators_disabled_stay_off_across_flag_ttls_and_clears(
    tmp_path: Path,
) -> None:
    # TARGET_DISABLED_FEATURES (a ConfigMap on Kubernetes) sets the flags' defaults.
    settings = Settings(disabled_features="recommendations, search_ranking")
    assert settings.disabled == ("recommendations", "search_ranking")
    with pytest.raises(ValueError, match="unknown feature"):
        Settings(disabled_features="recommendations,nope")
    engine = _engine(f"sqlite:///{tmp_path / 'd.db'}")
    chaos = ChaosControls(engine, RecommendationCache(), flags_with_disabled(settings.disabled))
    try:
        assert chaos.flags.recommendations_enabled is False
        assert chaos.flags.search_ranking_enabled is False
        chaos.set_flags({"recommendations_enabled": True}, ttl_s=10)
        assert chaos.snapshot()["flags_changed"] == {"recommendations_enabled": True}
        chaos.expire(time.monotonic() + 20)
        assert chaos.flags.recommendations_enabled is False  # back to the configured default
        chaos.set_flags({"search_ranking_enabled": True}, ttl_s=None)
        chaos.clear("flags")
        assert chaos.flags.search_ranking_enabled is False
    finally:
        chaos.shutdown()
        engine.dispose()


def test_pool_leak_holds_real_connections_until_cleared(controls: ChaosControls) -> None:
    pool = controls.engine.pool
    assert isinstance(pool, QueuePool)
    controls.set_pool_leak(connections=3, ttl_s=60)  # pool_size 2 + max_overflow 1
    assert _eventually(lambda: pool.checkedout() == 3)
    assert controls.snapshot()["pool_leak"]["held"] == 3
    with pytest.raises(Exception, match="QueuePool limit"):
        controls.engine.connect()
    controls.clear("pool_leak")
    assert _eventually(lambda: pool.checkedout() == 0)
    with controls.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT 1").scalar() == 1


def test_pool_leak_on_a_dead_database_retries_and_ends_promptly(tmp_path: Path) -> None:
    engine = _engine(f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}")  # cannot be opened
    chaos = ChaosControls(engine, RecommendationCache())
    try:
        chaos.set_pool_leak(connections=2, ttl_s=60)
        time.sleep(0.5)  # a few failed attempts
        assert chaos.snapshot()["pool_leak"]["held"] == 0
        assert _threads("pool-leak")  # still trying: the leak starts once the DB is back
        # Clearing does not wait for the database to come back: the retrying
        # worker ends (a generous bound; the leak's TTL is a minute).
        assert chaos.clear("pool_leak") is True
        assert _eventually(lambda: not _threads("pool-leak"))
    finally:
        chaos.shutdown()
        engine.dispose()


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_memory_growth_stops_at_its_cap_and_is_freed(controls: ChaosControls) -> None:
    controls.set_memory_growth(mb_per_s=50, max_mb=3, ttl_s=60)
    assert _eventually(lambda: controls.cache.bloat_bytes() >= 3 * 2**20)
    time.sleep(0.2)
    assert controls.cache.bloat_bytes() <= 3 * 2**20 + 5 * 2**20  # at most one step over
    controls.clear("memory")
    assert controls.cache.bloat_bytes() == 0
    assert _eventually(lambda: not _threads("memory-growth"))


@pytest.mark.parametrize("mb_per_s", [400, 40, 400])  # big steps, small steps, big again
def test_memory_growth_is_resident_and_really_returned(
    controls: ChaosControls, mb_per_s: float
) -> None:
    base = _rss_mb()
    controls.set_memory_growth(mb_per_s=mb_per_s, max_mb=60, ttl_s=60)
    assert _eventually(lambda: controls.cache.bloat_bytes() >= 60 * 2**20, 5)
    assert _rss_mb() >= base + 50
    controls.clear("memory")
    assert _rss_mb() <= base + 10


def test_reaper_ends_background_faults_at_their_deadline(controls: ChaosControls) -> None:
    controls.start()
    controls.set_cpu_burn(threads=2, duty=0.05, ttl_s=0.3)
    assert len(_threads("cpu-burn")) == 2
    assert _eventually(lambda: "cpu" not in controls.snapshot() and not _threads("cpu-burn"))

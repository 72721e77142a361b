"""Every fault kind on the local backend, seen from outside, then reverted."""

from __future__ import annotations

import shutil
import socket
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from simulator.faults.manager import FaultManager
from tests.integration.faults_env import (
    cpu_seconds,
    current,
    eventually,
    healthy,
    needs,
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
    assert eventually(lambda: healthy(env_dir), 20), "the environment starts healthy"
    yield manager
    manager.revert_all(reason="teardown")
    assert eventually(lambda: healthy(env_dir), 20), "every test leaves the shop healthy"


def shop(env_dir: Path) -> str:
    return current(env_dir).shop.url


def test_error_rate_fails_a_share_of_requests(env_dir: Path, faults: FaultManager) -> None:
    entry = faults.inject("app.error_rate", {"fraction": 0.5}, ttl_s=300)
    codes = statuses(f"{shop(env_dir)}/products", 300)
    # Binomial(300, 0.5): 150 +- 6 sd (sd = 8.7); a false failure is below 1e-8.
    assert 98 <= codes.count(500) <= 202
    assert faults.is_active(entry)
    faults.revert(entry.id)
    assert set(statuses(f"{shop(env_dir)}/products", 50)) == {200}


def test_error_rate_on_some_routes_only(env_dir: Path, faults: FaultManager) -> None:
    faults.inject("app.error_rate", {"fraction": 1.0, "routes": ["/recommendations"]}, ttl_s=300)
    assert set(statuses(f"{shop(env_dir)}/recommendations/5", 20)) == {500}
    assert set(statuses(f"{shop(env_dir)}/products", 20)) == {200}


def _median_ms(url: str, n: int = 7) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        httpx.get(url, timeout=10)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def test_latency_slows_the_api(env_dir: Path, faults: FaultManager) -> None:
    url = f"{shop(env_dir)}/products"
    entry = faults.inject("app.latency", {"ms": 400}, ttl_s=300)
    assert _median_ms(url) >= 400
    faults.revert(entry.id)
    assert _median_ms(url) < 400


def _cpu_rate(pid: int, seconds: float) -> float:
    """The process's CPU seconds per second of wall time, over `seconds`."""
    before, start = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds(pid) - before) / (time.monotonic() - start)


def test_cpu_burn_uses_the_shops_cpu(env_dir: Path, faults: FaultManager) -> None:
    pid = current(env_dir).shop.pid
    idle = _cpu_rate(pid, 1.0)
    entry = faults.inject("app.cpu_burn", {"threads": 1, "duty": 1.0}, ttl_s=300)
    # A spinning thread gets whatever share of a core the other work on these two
    # cores leaves it: half a CPU second more than idle, within a bounded wait, is
    # what an idle shop never does.
    start = cpu_seconds(pid)
    began = time.monotonic()
    assert eventually(
        lambda: cpu_seconds(pid) - start > idle * (time.monotonic() - began) + 0.5, 15
    ), "the shop's CPU time does not grow"
    faults.revert(entry.id)
    time.sleep(0.3)
    assert _cpu_rate(pid, 1.0) < 0.3


def test_memory_leak_grows_the_process(env_dir: Path, faults: FaultManager) -> None:
    pid = current(env_dir).shop.pid
    start = rss_mb(pid)
    entry = faults.inject("app.memory_leak", {"mb_per_s": 100, "max_mb": 200}, ttl_s=300)
    assert eventually(lambda: rss_mb(pid) > start + 100, 10)
    faults.revert(entry.id)
    settled = rss_mb(pid)
    time.sleep(1.0)
    assert rss_mb(pid) <= settled + 10, "growth stops once reverted"


def test_pool_exhaustion_fails_readiness(env_dir: Path, faults: FaultManager) -> None:
    entry = faults.inject("db.pool_exhaustion", {}, ttl_s=300)
    assert eventually(lambda: status_of(f"{shop(env_dir)}/readyz") == 503, 10)
    metrics = httpx.get(f"{shop(env_dir)}/metrics").text
    assert "db_pool_checked_out 10.0" in metrics
    faults.revert(entry.id)
    assert eventually(lambda: status_of(f"{shop(env_dir)}/readyz") == 200, 10)


def test_crash_stays_down_until_restarted(env_dir: Path, faults: FaultManager) -> None:
    old_pid = current(env_dir).shop.pid
    entry = faults.inject("app.crash", {}, ttl_s=300)
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError):
        sock.connect(("127.0.0.1", current(env_dir).shop.port))
    assert not Path(f"/proc/{old_pid}").exists() or "Z" in Path(f"/proc/{old_pid}/stat").read_text()
    time.sleep(1.0)
    assert status_of(f"{shop(env_dir)}/healthz") == "ConnectError", "nothing restarts it"
    faults.revert(entry.id)
    assert status_of(f"{shop(env_dir)}/healthz") == 200
    assert current(env_dir).shop.pid != old_pid


def test_hang_accepts_but_never_answers(env_dir: Path, faults: FaultManager) -> None:
    entry = faults.inject("app.hang", {}, ttl_s=300)
    assert status_of(f"{shop(env_dir)}/healthz", timeout=1.0) == "ReadTimeout"
    faults.revert(entry.id)
    assert eventually(lambda: status_of(f"{shop(env_dir)}/healthz") == 200, 5)


def test_bad_release_ships_a_real_bug(env_dir: Path, faults: FaultManager) -> None:
    # Customer 7's country is one the 1.1.0 pricing table misses (seeded data).
    brazil = next(
        c
        for c in range(1, 60)
        if httpx.get(f"{shop(env_dir)}/customers/{c}").json()["country"] == "BR"
    )
    detail = f"{shop(env_dir)}/products/3?customer_id={brazil}"
    assert status_of(detail) == 200
    entry = faults.inject("deploy.bad_release", {"version": "1.1.0"}, ttl_s=120)
    assert httpx.get(f"{shop(env_dir)}/version").json()["version"] == "1.1.0"
    assert status_of(detail) == 500
    assert [d["version"] for d in current(env_dir).deploys][-1] == "1.1.0"
    faults.revert(entry.id)
    assert httpx.get(f"{shop(env_dir)}/version").json()["version"] == "1.0.0"
    assert status_of(detail) == 200


def test_db_lock_blocks_writes_not_reads(env_dir: Path, faults: FaultManager) -> None:
    entry = faults.inject("db.lock", {}, ttl_s=300)
    assert new_order(shop(env_dir)) == 503
    assert status_of(f"{shop(env_dir)}/products") == 200
    faults.revert(entry.id)
    assert new_order(shop(env_dir)) == 201


def test_dependency_down_fails_payments(env_dir: Path, faults: FaultManager) -> None:
    entry = faults.inject("dependency.down", {}, ttl_s=300)
    assert paid(shop(env_dir))[0] == 503
    assert status_of(f"{shop(env_dir)}/readyz") == 503
    faults.revert(entry.id)
    assert paid(shop(env_dir)) == (200, "primary")


def test_dependency_latency_slows_payments_past_the_timeout(
    env_dir: Path, faults: FaultManager
) -> None:
    faults.inject("dependency.latency", {"ms": 3000}, ttl_s=300)
    start = time.perf_counter()
    code, _ = paid(shop(env_dir))
    assert code == 503 and time.perf_counter() - start >= 1.5  # the shop's 2 s read timeout


@pytest.mark.root(reason="the size-limited tmpfs data directory")
def test_disk_full_fails_writes_with_enospc(env_dir: Path, faults: FaultManager) -> None:
    assert current(env_dir).disk_limited
    entry = faults.inject("disk.full", {}, ttl_s=300)
    usage = shutil.disk_usage(current(env_dir).data_dir)
    assert usage.free < 64 * 1024
    assert new_order(shop(env_dir)) == 503
    faults.revert(entry.id)
    assert new_order(shop(env_dir)) == 201


@pytest.mark.root(reason="iptables")
def test_network_loss_drops_packets(env_dir: Path, faults: FaultManager) -> None:
    needs(shutil.which("iptables") is not None, "iptables")
    port = int(current(env_dir).proxies["payment"].listen.rsplit(":", 1)[1])
    entry = faults.inject("network.loss", {"percent": 100, "target": "payment"}, ttl_s=300)
    with socket.socket() as sock:
        sock.settimeout(1.0)
        with pytest.raises(TimeoutError):
            sock.connect(("127.0.0.1", port))
    faults.revert(entry.id)
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        pass

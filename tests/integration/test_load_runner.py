"""LoadRunner against the real shop: Locust subprocesses, figures over the pipe."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

import simulator.load.runner as runner_module
from simulator.env.processes import ManagedProcess, start_provider, start_shop
from simulator.load.profiles import PROFILES, TASKS
from simulator.load.runner import LoadConfig, LoadRunner, LoadSnapshot, LoadStartError

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManagedProcess]:
    workdir = tmp_path_factory.mktemp("load-shop")
    provider = start_provider(workdir)
    try:
        shop = start_shop(workdir, payment_url=provider.url)
        try:
            yield shop
        finally:
            shop.stop()
    finally:
        provider.stop()


def api_requests_counted_by_shop(url: str) -> int:
    """The shop's own count of API requests (its /metrics), ignoring probes."""
    text = httpx.get(f"{url}/metrics", timeout=5).text
    total = 0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            route = sample.labels.get("route", "")
            if sample.name == "http_requests_total" and route.startswith(
                ("/products", "/orders", "/recommendations")
            ):
                total += int(sample.value)
    return total


def gone(pid: int) -> bool:
    """True when `pid` no longer runs (a zombie nobody reaped counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def expected_endpoints(profile: str) -> set[str]:
    return {endpoint for task in PROFILES[profile] for endpoint in TASKS[task]}


def test_shop_profile_loads_every_endpoint_and_matches_the_shops_count(
    shop: ManagedProcess,
) -> None:
    before = api_requests_counted_by_shop(shop.url)
    config = LoadConfig(
        host=shop.url,
        users=4,
        spawn_rate=4,
        duration_s=4,
        seed=1,
        profile="shop",
        wait_min_s=0.005,
        wait_max_s=0.02,
    )
    snapshots: list[LoadSnapshot] = []
    with LoadRunner(config) as runner:
        for snap in runner.iter_snapshots(timeout_s=30):
            snapshots.append(snap)
            assert runner.latest() is not None
        summary = runner.summary()
        assert runner.exit_code == 0 and runner.error is None
        pids = runner.pids
    assert all(gone(pid) for pid in pids)

    assert len(snapshots) >= 3
    times = [s.t for s in snapshots]
    assert times == sorted(times) and times[0] >= 0.9
    assert any(s.total.rps > 0 for s in snapshots)
    assert snapshots[-1].users == 4
    assert set(summary.endpoints) == expected_endpoints("shop")
    for name, stats in summary.endpoints.items():
        assert stats.requests > 0, name
        assert stats.failures == 0, (name, summary.errors)
        assert stats.p50_ms is not None and stats.p99_ms is not None
        assert stats.p50_ms <= stats.p95_ms <= stats.p99_ms  # type: ignore[operator]
    assert summary.total.requests == sum(s.requests for s in summary.endpoints.values())
    assert snapshots[-1].total.requests <= summary.total.requests

    # What Locust counted, the shop served; it may have served up to one
    # in-flight request per user more (those cut off when the run ended).
    served = api_requests_counted_by_shop(shop.url) - before
    assert summary.total.requests <= served <= summary.total.requests + config.users


def test_stop_ends_an_open_ended_run_and_leaves_no_process(shop: ManagedProcess) -> None:
    config = LoadConfig(
        host=shop.url,
        users=2,
        duration_s=None,
        profile="catalog",
        wait_min_s=0.05,
        wait_max_s=0.1,
    )
    runner = LoadRunner(config)
    runner.start()
    try:
        deadline = time.monotonic() + 20
        while runner.latest() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert runner.latest() is not None
        assert runner.running
    finally:
        runner.stop()
    assert not runner.running
    assert all(gone(pid) for pid in runner.pids)
    assert list(runner.iter_snapshots(timeout_s=10))  # what was queued, then the end
    assert runner.summary().total.requests > 0
    assert set(runner.summary().endpoints) == expected_endpoints("catalog")
    assert runner.cpu_seconds() > 0


def test_distributed_master_and_workers(shop: ManagedProcess) -> None:
    config = LoadConfig(
        host=shop.url,
        users=4,
        spawn_rate=4,
        duration_s=3,
        profile="orders",
        wait_min_s=0.01,
        wait_max_s=0.05,
        workers=2,
    )
    with LoadRunner(config) as runner:
        assert len(runner.pids) == 3
        snapshots = list(runner.iter_snapshots(timeout_s=40))
        summary = runner.summary()
    assert all(gone(pid) for pid in runner.pids)
    assert snapshots and max(s.users for s in snapshots) == 4
    assert set(summary.endpoints) == expected_endpoints("orders")
    for name, stats in summary.endpoints.items():
        assert stats.requests > 0 and stats.failures == 0, (name, summary.errors)


def test_a_master_port_in_use_is_one_clear_error(
    shop: ManagedProcess, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        monkeypatch.setattr(runner_module, "free_port", lambda: port)
        config = LoadConfig(host=shop.url, users=1, workers=1, start_timeout_s=20, log_dir=tmp_path)
        runner = LoadRunner(config)
        with pytest.raises(LoadStartError) as info:
            runner.start()
    message = str(info.value)
    assert "Address already in use" in message and "\n" not in message
    assert str(tmp_path / "locust-master.log") in message  # kept for the user to read
    assert all(gone(pid) for pid in runner.pids)


PARENT = """
import sys, time
from pathlib import Path
from simulator.load.runner import LoadConfig, LoadRunner
runner = LoadRunner(LoadConfig(host=sys.argv[1], users=1, duration_s=None, profile="catalog",
                               wait_min_s=0.1, wait_max_s=0.2, log_dir=Path(sys.argv[2])))
runner.start()
print(runner.pids[0], flush=True)
time.sleep(60)
"""


def test_locust_ends_when_its_parent_dies(shop: ManagedProcess, tmp_path: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", PARENT, shop.url, str(tmp_path)], stdout=subprocess.PIPE, text=True
    ) as parent:
        _kill_parent_and_watch_locust(parent)


def _kill_parent_and_watch_locust(parent: subprocess.Popen[str]) -> None:
    locust_pid = None
    try:
        assert parent.stdout is not None
        locust_pid = int(parent.stdout.readline())
        parent.kill()  # no cleanup code runs: the pipe breaking is all Locust sees
        parent.wait(timeout=10)
        deadline = time.monotonic() + 15
        while not gone(locust_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert gone(locust_pid)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        if locust_pid is not None and not gone(locust_pid):
            os.kill(locust_pid, signal.SIGKILL)


def shop_paths(log: Path, skip: int) -> list[str]:
    lines = log.read_text().splitlines()[skip:]
    entries = [json.loads(line) for line in lines]
    return [e["path"] for e in entries if e.get("msg") == "request" and e["path"] != "/healthz"]


def test_the_same_seed_replays_the_same_requests(shop: ManagedProcess) -> None:
    log = shop.log_path.with_name("shop.jsonl")
    runs: list[list[str]] = []
    for seed in (5, 5, 6):
        skip = len(log.read_text().splitlines())
        config = LoadConfig(
            host=shop.url,
            users=1,
            duration_s=1.5,
            seed=seed,
            profile="catalog",
            # A short pause keeps the shop's access log in request order.
            wait_min_s=0.01,
            wait_max_s=0.01,
        )
        with LoadRunner(config) as runner:
            runner.wait(30)
        time.sleep(0.2)  # let the shop finish writing its access log
        runs.append(shop_paths(log, skip))
    first, again, other = runs
    common = min(len(first), len(again))
    assert common > 20
    assert first[:common] == again[:common]
    assert other[:common] != first[:common]

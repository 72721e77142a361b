"""`python -m simulator.proxy` as its own process: flags, config file, TTLs after kill -9.

The proxy runs apart from the engine so that a fault's TTL is enforced even when
the engine dies; the last test plays that out with a real `kill -9`.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from simulator.env.processes import ManagedProcess, free_port, start_provider
from simulator.env.proxy_client import ProxyClient, ProxyError
from simulator.proxy import start_proxy_process

pytestmark = pytest.mark.integration

READY_TIMEOUT_S = 15.0


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator.proxy", *args],
        capture_output=True,
        text=True,
        timeout=30,
    )


def read_lines(proc: subprocess.Popen[str]) -> tuple[queue.Queue[str], threading.Thread]:
    """Drain the proxy's stdout in a thread (select() misses lines already buffered)."""
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    stdout = proc.stdout

    def drain() -> None:
        for line in stdout:
            lines.put(line)

    thread = threading.Thread(target=drain, daemon=True)
    thread.start()
    return lines, thread


def wait_ready(lines: queue.Queue[str]) -> dict[str, object]:
    """The proxy's `ready` log line (it carries the API's real address)."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            event: dict[str, object] = json.loads(lines.get(timeout=0.2))
        except queue.Empty:
            continue
        if event["event"] == "ready":
            return event
    raise AssertionError("the proxy did not log 'ready' in time")


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManagedProcess]:
    proc = start_provider(tmp_path_factory.mktemp("provider"))
    try:
        yield proc
    finally:
        proc.stop()


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--default-ttl", "soon"], "'soon' is not a number of seconds"),
        (["--api", "0.0.0.0:8474"], "must listen on loopback"),
        (["--api", "127.0.0.1"], "is not host:port"),
    ],
)
def test_bad_flags_get_one_sentence(args: list[str], text: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert text in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_bad_config_gets_one_sentence_and_leaves_nothing(tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "proxies.json"
    config.write_text(
        json.dumps(
            [
                {"name": "ok", "listen": f"127.0.0.1:{port}", "upstream": "127.0.0.1:9"},
                {"name": "broken", "listen": "127.0.0.1:0"},
            ]
        )
    )
    result = run_cli("--api", "127.0.0.1:0", "--config", str(config))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"simulator.proxy: --config {config}: missing required field: upstream."
    )
    config.write_text("[{")
    result = run_cli("--api", "127.0.0.1:0", "--config", str(config))
    assert "is not valid JSON" in result.stderr and "Traceback" not in result.stderr


ENGINE = """
import sys, time, httpx
api = sys.argv[1]
httpx.post(api + "/proxies/pay/toxics", json={"type": "timeout", "attributes": {"timeout": 0}})
httpx.post(api + "/proxies/pay/toxics", json={"type": "latency", "name": "slow", "ttl_s": 3.5})
print("injected", flush=True)
time.sleep(60)
"""


def test_ttls_undo_faults_after_the_engine_is_killed(
    tmp_path: Path, provider: ManagedProcess
) -> None:
    config = tmp_path / "proxies.json"
    config.write_text(json.dumps([{"name": "pay", "upstream": f"127.0.0.1:{provider.port}"}]))
    argv = ["--api", "127.0.0.1:0", "--config", str(config), "--default-ttl", "3"]
    proxy = subprocess.Popen(
        [sys.executable, "-m", "simulator.proxy", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    engine: subprocess.Popen[str] | None = None
    lines, reader = read_lines(proxy)
    try:
        api = f"http://{wait_ready(lines)['api']}"
        listen = httpx.get(f"{api}/proxies/pay").json()["listen"]
        engine = subprocess.Popen(
            [sys.executable, "-c", ENGINE, api], stdout=subprocess.PIPE, text=True
        )
        assert engine.stdout is not None and engine.stdout.readline().strip() == "injected"
        toxics = httpx.get(f"{api}/proxies/pay/toxics").json()
        assert {t["name"]: t["ttl_s"] for t in toxics} == {"timeout_downstream": 3.0, "slow": 3.5}
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(f"http://{listen}/healthz", timeout=0.3)  # blackholed
        os.kill(engine.pid, signal.SIGKILL)
        engine.wait(5)
        deadline = time.monotonic() + 10
        while httpx.get(f"{api}/proxies/pay/toxics").json():
            assert time.monotonic() < deadline, "toxics outlived their TTLs"
            time.sleep(0.1)
        assert httpx.get(f"http://{listen}/healthz", timeout=5).json()["status"] == "ok"
    finally:
        if engine is not None and engine.poll() is None:
            engine.kill()
            engine.wait(5)
        if engine is not None and engine.stdout is not None:
            engine.stdout.close()
        proxy.send_signal(signal.SIGTERM)
        assert proxy.wait(5) == 0
        reader.join(5)
        if proxy.stdout is not None:
            proxy.stdout.close()


def test_the_engine_side_helpers_start_and_drive_the_process(
    tmp_path: Path, provider: ManagedProcess
) -> None:
    upstream = f"127.0.0.1:{provider.port}"
    proc = start_proxy_process(tmp_path, proxies=[{"name": "pay", "upstream": upstream}])
    try:
        client = ProxyClient(proc.url)
        assert httpx.get(f"{proc.url}/version", timeout=5).json()["version"].startswith("2.")
        pay = client.proxy("pay")
        assert pay["enabled"] and pay["upstream"] == upstream and not pay["listen"].endswith(":0")
        client.add_toxic("pay", "latency_downstream", "latency", {"latency": 150}, ttl_s=30)
        [toxic] = client.toxics("pay")
        assert (toxic["name"], toxic["attributes"], toxic["ttl_s"]) == (
            "latency_downstream",
            {"latency": 150, "jitter": 0},
            30,
        )
        start = time.monotonic()
        httpx.get(f"http://{pay['listen']}/healthz", timeout=5).raise_for_status()
        assert time.monotonic() - start >= 0.15
        assert client.remove_toxic("pay", "latency_downstream") is True
        assert client.remove_toxic("pay", "latency_downstream") is False  # idempotent
        client.set_enabled("pay", False, ttl_s=20)
        disabled = client.proxy("pay")
        assert not disabled["enabled"] and disabled["reenable_in_s"] is not None
        with pytest.raises(ProxyError, match="404 proxy not found"):
            client.add_toxic("nope", "latency_downstream", "latency", {})
        client.reset()
        assert client.proxies()["pay"]["enabled"]
        assert '"event": "ready"' in proc.log_path.read_text()
    finally:
        proc.stop()

"""`env up --load-users N` keeps real Locust load on the shop until `env down`."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from simulator.platform.environment import EnvOptions, down, up
from tests.integration.faults_env import eventually

pytestmark = pytest.mark.integration


def served(url: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=3).text
    return sum(
        float(line.split()[-1])
        for line in text.splitlines()
        if line.startswith("http_requests_total{") and "/products" in line
    )


def locust_for(port: int) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "locust" in cmd and f"127.0.0.1:{port}" in cmd:
            found.append(cmd)
    return found


def test_env_up_with_load_until_down(tmp_path: Path) -> None:
    state = up(EnvOptions(state_dir=tmp_path / "env", load_users=5))
    try:
        shop = state.shop
        assert eventually(lambda: served(shop.url) > 20, 30), "Locust drives the shop"
        assert locust_for(shop.port)
    finally:
        stopped = down(tmp_path / "env")
    assert "load" in stopped
    assert eventually(lambda: not locust_for(shop.port), 10), "no Locust is left behind"

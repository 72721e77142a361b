"""`chaosdrill load` as a user runs it: a real subprocess against the real shop."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.env.processes import ManagedProcess, start_shop

pytestmark = pytest.mark.integration

CHAOSDRILL = Path(sys.executable).with_name("chaosdrill")


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManagedProcess]:
    shop = start_shop(tmp_path_factory.mktemp("load-cli-shop"))
    try:
        yield shop
    finally:
        shop.stop()


def chaosdrill(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHAOSDRILL), "load", *args], capture_output=True, text=True, timeout=90, check=False
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_json_output_has_a_line_per_second_and_a_summary(shop: ManagedProcess) -> None:
    result = chaosdrill(
        "--host", shop.url, "--users", "3", "--duration", "3s", "--profile", "catalog",
        "--wait-min", "0.02", "--wait-max", "0.05", "--seed", "2", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    snapshots = [line for line in lines if line["type"] == "snapshot"]
    assert len(snapshots) >= 2
    assert lines[-1]["type"] == "summary"
    summary = lines[-1]
    assert set(summary["endpoints"]) == {"GET /products", "GET /products/{id}"}
    assert summary["total"]["requests"] > 0 and summary["total"]["failures"] == 0
    assert snapshots[-1]["endpoints"]["GET /products"]["requests"] > 0
    assert summary["total"]["p99_ms"] >= summary["total"]["p50_ms"] > 0


def test_terminal_output_shows_the_tables(shop: ManagedProcess) -> None:
    result = chaosdrill(
        "--host", shop.url, "--users", "2", "--duration", "2", "--profile", "orders",
        "--wait-min", "0.05", "--wait-max", "0.1",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Summary" in result.stdout
    assert "POST /orders" in result.stdout and "GET /orders/{id}" in result.stdout


def test_unreachable_host_is_one_sentence_and_exit_2() -> None:
    port = closed_port()
    result = chaosdrill("--host", f"http://127.0.0.1:{port}", "--duration", "3s")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"cannot reach the target at http://127.0.0.1:{port}" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1

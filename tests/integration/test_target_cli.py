"""`python -m target_app` and `python -m target_app.payment_provider` as an operator runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from simulator.env.processes import free_port, start_process, wait_http
from target_app.models import Product
from target_app.seed import prepare_database

pytestmark = pytest.mark.integration


def _seeded_name(tmp_path: Path, seed: int) -> str:
    engine = create_engine(f"sqlite:///{tmp_path / f'reference-{seed}.db'}")
    try:
        prepare_database(engine, seed=seed, products=200, customers=300)
        with Session(engine) as session:
            return str(session.scalar(select(Product.name).where(Product.id == 1)))
    finally:
        engine.dispose()


def test_shop_configured_by_environment_logs_to_file_and_stdout(tmp_path: Path) -> None:
    port, log_file = free_port(), tmp_path / "shop.jsonl"
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'env.db'}",
        "APP_VERSION": "1.1.1",
        "TARGET_SEED": "5",
        "TARGET_CHAOS_TOKEN": "env-token",
        "TARGET_LOG_FILE": str(log_file),
    }
    argv = [sys.executable, "-m", "target_app", "--port", str(port)]
    proc = start_process("shop", argv, tmp_path / "shop.out", port, env=env)
    try:
        wait_http(f"{proc.url}/healthz", 30, proc.popen, proc.log_path)
        assert httpx.get(f"{proc.url}/version").json() == {"version": "1.1.1"}
        assert httpx.get(f"{proc.url}/products/1").json()["name"] == _seeded_name(tmp_path, 5)
        chaos = httpx.get(f"{proc.url}/chaos", headers={"X-Chaos-Token": "env-token"})
        assert chaos.status_code == 200
    finally:
        proc.stop()
    for path in (log_file, proc.log_path):  # the file and the process's stdout
        entries = [json.loads(x) for x in path.read_text().splitlines() if x.startswith("{")]
        paths = [e.get("path") for e in entries if e["logger"] == "shop.access"]
        assert "/version" in paths and "/products/1" in paths
        assert [e["msg"] for e in entries if e["logger"] == "shop.event"] == ["started", "stopped"]


def test_unreachable_database_is_one_sentence_not_a_traceback(tmp_path: Path) -> None:
    url = f"postgresql://shop:secret@127.0.0.1:{free_port()}/shop"
    result = subprocess.run(
        [sys.executable, "-m", "target_app", "--port", str(free_port()), "--database-url", url],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("target_app: cannot prepare the database")
    assert "--database-url" in lines[0] and "secret" not in lines[0]


def test_bad_setting_is_one_sentence(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "target_app", "--database-url", "nonsense"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "'nonsense' is not a database URL" in result.stderr


def test_payment_providers_run_side_by_side(tmp_path: Path) -> None:
    procs = []
    try:
        for name in ("primary", "backup"):
            port = free_port()
            argv = [sys.executable, "-m", "target_app.payment_provider"]
            argv += ["--port", str(port), "--name", name]
            procs.append(start_process(name, argv, tmp_path / f"{name}.out", port))
        for proc, name in zip(procs, ("primary", "backup"), strict=True):
            wait_http(f"{proc.url}/healthz", 30, proc.popen, proc.log_path)
            assert httpx.get(f"{proc.url}/healthz").json()["provider"] == name
    finally:
        for proc in procs:
            proc.stop()

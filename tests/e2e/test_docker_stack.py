"""The compose stack with local images: its file, PostgreSQL in a container, the
docker form of a database outage, and a whole drill on the docker backend."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from scoring.playbook import load_playbook
from simulator.docker.compose import COMPOSE_FILE, LOCAL_OVERRIDE
from simulator.docker.daemon import ensure_dockerd
from simulator.docker.env import project_name
from simulator.drill.assemble import assemble
from simulator.drill.engine import DrillOptions
from simulator.faults.manager import FaultManager
from simulator.faults.registry import check_params
from simulator.platform.environment import EnvOptions, down, up
from simulator.remediation.apply import apply as remediate
from simulator.scenario.loader import find_scenario
from tests.integration.faults_env import current, eventually, needs, status_of

pytestmark = [pytest.mark.docker, pytest.mark.e2e]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dockerd() -> None:
    problem = ensure_dockerd()
    needs(problem is None, f"a running dockerd ({problem})")
    needs(shutil.which("docker-compose") is not None, "docker-compose (apt-get install)")


def compose_clis() -> list[list[str]]:
    found = [["docker-compose"]] if shutil.which("docker-compose") else []
    v2 = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
    return [*found, ["docker", "compose"]] if v2.returncode == 0 else found


def test_compose_file_requires_its_settings_and_validates(dockerd: None) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("POSTGRES", "SHOP", "CHAOS"))}
    for cli in compose_clis():
        files = ["-f", str(COMPOSE_FILE), "-f", str(LOCAL_OVERRIDE)]
        bare = subprocess.run(
            [*cli, *files, "config", "-q"], capture_output=True, text=True, env=base, cwd=REPO
        )
        assert bare.returncode != 0
        assert "set " in bare.stderr, bare.stderr  # the sentence of a ${VAR:?} setting
        settings = {
            "POSTGRES_PASSWORD": "p",
            "SHOP_DATABASE_URL": "sqlite:////data/shop.db",
            "CHAOSDRILL_CHAOS_TOKEN": "t",
            "GRAFANA_ADMIN_PASSWORD": "g",
            "CHAOSDRILL_FACILITATOR_TOKEN": "f",
            "CHAOSDRILL_PYTHON_HOME": "/opt/python",
            "CHAOSDRILL_VENV": "/opt/venv",
            "CHAOSDRILL_SOURCE": str(REPO),
        }
        full = subprocess.run(
            [*cli, *files, "config", "-q"],
            capture_output=True,
            text=True,
            env={**base, **settings},
            cwd=REPO,
        )
        assert full.returncode == 0, full.stderr


@pytest.fixture(scope="module")
def pg_env(dockerd: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    state_dir = tmp_path_factory.mktemp("docker-pg-env")
    up(EnvOptions(state_dir=state_dir, backend="docker", database_url="postgres"))
    try:
        yield state_dir
    finally:
        down(state_dir)


def test_the_shop_runs_on_postgres_in_its_container(pg_env: Path) -> None:
    state = current(pg_env)
    assert state.services["postgres"].container is not None
    order = status_of(
        f"{state.shop.url}/orders",
        method="POST",
        json={"customer_id": 5, "items": [{"product_id": 3, "quantity": 1}]},
    )
    assert order == 201
    assert state.database_direct_url is not None
    url = state.database_direct_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, connect_timeout=5) as conn:
        row = conn.execute("SELECT count(*) FROM orders WHERE customer_id = 5").fetchone()
    assert row is not None and row[0] >= 1


@pytest.mark.root(reason="nsenter + iptables")
def test_db_down_is_rejected_packets_and_db_restore_ends_it(pg_env: Path) -> None:
    faults = FaultManager(pg_env)
    shop = current(pg_env).shop.url
    entry = faults.inject("db.down", {}, ttl_s=60)
    assert eventually(lambda: status_of(f"{shop}/readyz", timeout=5) == 503, 15)
    result = remediate(pg_env, "db.restore")
    assert [e.id for e in result.ended] == [entry.id]
    assert eventually(lambda: status_of(f"{shop}/readyz", timeout=5) == 200, 20)
    assert faults.active() == []


def test_a_drill_on_the_docker_backend_with_the_autopilot(dockerd: None, tmp_path: Path) -> None:
    playbook = load_playbook()
    scenario = find_scenario("app-crash", check_params=check_params, playbook=playbook)
    assembled = assemble(
        DrillOptions(
            scenario=scenario,
            playbook=playbook,
            report_dir=tmp_path / "report",
            state_root=tmp_path / "state",
            backend="docker",
        ),
        autopilot=True,
    )
    drill = assembled.drill
    try:
        outcome = asyncio.run(assembled.run())
        events = drill.log.events()
    finally:
        assembled.close()
    types = [e.type for e in events]
    started = next(e for e in events if e.type == "drill.started")
    assert started.data["backend"] == "docker"
    assert "fault.injected" in types and "alert.firing" in types
    actions = [e.data for e in events if e.type == "action.executed"]
    assert {"action": "service.restart", "result": "ok"}.items() <= actions[0].items(), actions
    assert "service.recovered" in types
    assert outcome == "resolved", [e.data for e in events if e.type == "drill.finished"]
    project = project_name(drill.state_dir)
    left = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label=com.docker.compose.project={project}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert left == [], "teardown removed the drill's containers"

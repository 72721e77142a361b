"""The watchdog takes down an environment whose engine died, and only such a one.

The "engine" here is a process of ours named in `owner.pid` before `up`, as the
drill engine does; killing it with SIGKILL is what a crash or `kill -9` does.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.env.owner import OWNER_PID, OWNER_START
from simulator.env.state import load_state
from simulator.faults.manager import FaultManager
from tests.integration.faults_env import current, eventually, start_env, status_of, stop_env

pytestmark = pytest.mark.integration
CLI = [sys.executable, "-m", "simulator.cli"]
TTL_S = 2.0


@pytest.fixture
def engine() -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait()


@pytest.fixture
def env_dir(tmp_path: Path) -> Iterator[Path]:
    state_dir = tmp_path / ".chaosdrill" / "drills" / "d1" / "env"
    state_dir.mkdir(parents=True)
    yield state_dir
    stop_env(state_dir)


def _alive(pids: list[int]) -> list[int]:
    return [p for p in pids if Path(f"/proc/{p}").exists() and _state(p) not in ("Z", "X")]


def _state(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def test_an_environment_nobody_owns_stays_up_past_its_faults(tmp_path: Path) -> None:
    state_dir = tmp_path / "env"
    start_env(state_dir)
    try:
        FaultManager(state_dir).inject("app.error_rate", {"fraction": 1.0}, ttl_s=TTL_S)
        assert eventually(lambda: not FaultManager(state_dir).active(), TTL_S + 5)
        time.sleep(1.0)  # a few watchdog ticks after the last fault ended
        state = current(state_dir)
        assert state.abandoned is None
        assert status_of(f"{state.shop.url}/products") == 200
    finally:
        stop_env(state_dir)


def test_a_dead_engine_s_environment_is_stopped_after_the_ttl_and_listed_abandoned(
    env_dir: Path, engine: subprocess.Popen[bytes]
) -> None:
    (env_dir / OWNER_PID).write_text(str(engine.pid))
    start_env(env_dir)
    assert (env_dir / OWNER_START).exists(), "up records the engine's start time"
    FaultManager(env_dir).inject("app.error_rate", {"fraction": 1.0}, ttl_s=TTL_S + 2)
    pids = [r.pid for r in current(env_dir).services.values()]
    engine.send_signal(signal.SIGKILL)
    engine.wait()
    killed = time.monotonic()
    assert eventually(lambda: not FaultManager(env_dir).active(), TTL_S + 8)
    assert time.monotonic() - killed >= TTL_S, "nothing is stopped before the fault's TTL"
    assert eventually(lambda: not _alive(pids), 30), _alive(pids)
    state = load_state(env_dir)
    assert state is not None and state.abandoned is not None
    assert f"pid {engine.pid}" in state.abandoned.reason
    assert not os.path.ismount(env_dir / "data")
    listed = subprocess.run(
        [*CLI, "env", "status"], cwd=env_dir.parents[3], capture_output=True, text=True, check=False
    )
    assert "abandoned at" in listed.stdout, listed.stdout + listed.stderr
    again = subprocess.run(
        [*CLI, "cleanup"], cwd=env_dir.parents[3], capture_output=True, text=True, check=False
    )
    assert again.returncode == 0 and "removed its record (abandoned" in again.stdout, again.stdout
    assert load_state(env_dir) is None


def test_a_reused_pid_does_not_keep_an_environment_alive(env_dir: Path) -> None:
    (env_dir / OWNER_PID).write_text(str(os.getpid()))  # alive, but not the process recorded
    (env_dir / OWNER_START).write_text("1")
    start_env(env_dir)
    pids = [r.pid for r in current(env_dir).services.values()]
    assert eventually(lambda: not _alive(pids), 30), _alive(pids)
    state = load_state(env_dir)
    assert state is not None and state.abandoned is not None

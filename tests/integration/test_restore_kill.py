"""kill -9 of the engine in the middle of `db.restore` leaves no PostgreSQL server,
restore directory or listening port of that drill behind.

The engine (tests/integration/restore_engine.py) owns its environment, damages the
orders and restores; the test SIGKILLs it while the restore copies the base backup
or while the new server replays WAL. Then the TTL watchdog (or, with the watchdog
killed too, `chaosdrill cleanup`) takes the environment down. The witness is plain:
/proc (processes, their command lines and parents), /proc/net/tcp (listening
sockets) and the file system.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.faults_env import eventually

pytestmark = [pytest.mark.integration, pytest.mark.postgres]
CLI = [sys.executable, "-m", "simulator.cli"]
TTL_S = 8.0
UP_TIMEOUT_S = 180.0
POLL_S = 0.002


def processes() -> dict[int, tuple[int, str]]:
    """Every live process: pid -> (parent pid, command line)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if stat[0] not in ("Z", "X"):
            found[int(entry.name)] = (int(stat[1]), cmdline)
    return found


def of_cluster(root: str, known: set[int]) -> set[int]:
    """The processes of the drill's cluster: every one whose command line names its
    directory (postmasters, a copy), the ones already seen, and all their children."""
    table = processes()
    mine = {pid for pid, (_, cmd) in table.items() if root in cmd} | (known & set(table))
    grew = True
    while grew:
        more = {pid for pid, (ppid, _) in table.items() if ppid in mine} - mine
        mine |= more
        grew = bool(more)
    return mine


def listening() -> set[int]:
    """Every TCP port something listens on (IPv4 and IPv6)."""
    ports = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(name).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A":  # LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def ports_of(state_dir: Path, root: str) -> set[int]:
    """The ports of every server of the drill: the record's, the shop's and its proxy's,
    and a restore node's own configuration (it may not be in the record yet)."""
    state = json.loads((state_dir / "state.json").read_text())
    ports = {int(s["port"]) for s in state["services"].values() if s.get("port")}
    ports |= {int(n["port"]) for n in state["pg"]["nodes"].values()}
    for conf in Path(root, "nodes").glob("*/postgresql.conf"):
        for line in conf.read_text().splitlines():
            if line.startswith("port = "):
                ports.add(int(line.split("=")[1]))
    return ports


@pytest.fixture
def env_dir(tmp_path: Path) -> Iterator[Path]:
    state_dir = tmp_path / ".chaosdrill" / "drills" / "d1" / "env"
    state_dir.mkdir(parents=True)
    yield state_dir
    if (state_dir / "state.json").exists():  # a failed test: take it down regardless
        subprocess.run([*CLI, "cleanup", "--state-dir", str(state_dir)], check=False)


def start_engine(state_dir: Path) -> tuple[subprocess.Popen[str], str]:
    """The engine, once it begins the restore; and the cluster's directory."""
    engine = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.restore_engine", str(state_dir), str(TTL_S)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    assert engine.stdout is not None
    line = engine.stdout.readline().strip()  # bounded: the engine's own steps time out
    if line != "restoring":
        engine.kill()
        engine.wait()
        engine.stdout.close()
        pytest.fail(f"the engine failed before the restore (exit {engine.returncode})")
    root = json.loads((state_dir / "state.json").read_text())["pg"]["root"]
    return engine, str(root)


def kill_when(engine: subprocess.Popen[str], ready: Path) -> None:
    """SIGKILL the engine as soon as `ready` exists (bounded)."""
    deadline = time.monotonic() + 60
    while not ready.exists() and engine.poll() is None and time.monotonic() < deadline:
        time.sleep(POLL_S)
    assert ready.exists(), f"the restore never reached {ready}"
    engine.send_signal(signal.SIGKILL)
    engine.wait()
    if engine.stdout is not None:
        engine.stdout.close()


@pytest.mark.parametrize(
    ("phase", "taken_down_by"),
    [("copying", "cleanup"), ("replaying", "watchdog")],
)
def test_kill_9_mid_restore_leaves_no_cluster_or_port_behind(
    env_dir: Path, phase: str, taken_down_by: str
) -> None:
    engine, root = start_engine(env_dir)
    node = Path(root, "nodes", "restore-1")
    services = json.loads((env_dir / "state.json").read_text())["services"]
    service_pids = {int(s["pid"]) for s in services.values() if s.get("pid")}
    kill_when(engine, node if phase == "copying" else node / "postmaster.pid")

    # Killed mid-restore: the shop was never repointed at the restored server.
    assert json.loads((env_dir / "state.json").read_text())["pg"]["serving"] == "primary"
    seen = of_cluster(root, set())
    ports = ports_of(env_dir, root)
    if phase == "replaying":
        table = processes()  # one look: a process may end between two
        assert any("restore-1" in table[p][1] for p in seen if p in table), (
            "the restored server was running when the engine died"
        )

    if taken_down_by == "watchdog":
        # It waits for the damage's TTL, then stops everything and keeps the record.
        assert eventually(lambda: not (env_dir / "state.json").exists() or abandoned(env_dir), 90)
    else:
        watchdog = int(services["watchdog"]["pid"])
        os.kill(watchdog, signal.SIGKILL)
        out = subprocess.run(
            [*CLI, "cleanup"], cwd=env_dir.parents[3], capture_output=True, text=True, timeout=180
        )
        assert out.returncode == 0, out.stdout + out.stderr

    seen |= of_cluster(root, seen)
    assert eventually(lambda: not of_cluster(root, seen), 30), [
        processes().get(p) for p in of_cluster(root, seen)
    ]
    # The watchdog exits just after it marks the environment abandoned.
    assert eventually(lambda: not service_pids & set(processes()), 30), [
        processes().get(p) for p in service_pids
    ]
    assert not (ports & listening()), f"still listening: {sorted(ports & listening())}"
    assert not Path(root).exists(), f"{root} is left behind"
    assert not (env_dir / "pg").is_symlink() and not (env_dir / "pg").exists()
    if taken_down_by == "watchdog":
        out = subprocess.run(
            [*CLI, "cleanup"], cwd=env_dir.parents[3], capture_output=True, text=True, timeout=180
        )
        assert out.returncode == 0 and "removed its record (abandoned" in out.stdout, out.stdout
    assert not (env_dir / "state.json").exists()


def abandoned(state_dir: Path) -> bool:
    try:
        return json.loads((state_dir / "state.json").read_text()).get("abandoned") is not None
    except (OSError, ValueError):
        return False

"""The fault CLI as a user meets it: clear refusals, nothing injected, Ctrl-C reverts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.faults.journal import load_journal
from simulator.faults.manager import FaultManager
from tests.integration.faults_env import current, eventually, start_env, status_of, stop_env

pytestmark = pytest.mark.integration
CLI = [sys.executable, "-m", "simulator.cli"]


def chaosdrill(env_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args, "--state-dir", str(env_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def journal_size(env_dir: Path) -> int:
    return len(load_journal(env_dir).entries)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["fault", "inject", "app.errors"], "unknown fault kind 'app.errors'; did you mean"),
        (
            ["fault", "inject", "app.latency", "-p", "millis=300"],
            "app.latency has no parameter 'millis'; its parameters are: ms, jitter_ms, routes",
        ),
        (
            ["fault", "inject", "app.error_rate", "-p", "fraction=2"],
            "app.error_rate parameter 'fraction'",
        ),
        (["fault", "inject", "app.error_rate", "-p", "fraction"], "--param takes key=value"),
        (["fault", "inject", "app.crash", "--ttl", "soon"], "not a duration"),
        (["fault", "inject", "app.crash", "--ttl", "0s"], "ttl must be between"),
        (["fault", "inject", "db.down"], "db.down needs the shop on PostgreSQL"),
        (["fault", "inject", "db.latency", "-p", "ms=100"], "needs the shop on PostgreSQL"),
        (["fault", "revert", "f-nothere"], "no fault with id 'f-nothere'"),
        (["remediate", "db.kill_long_query"], "did you mean 'db.kill_long_queries'"),
        (["remediate", "feature.disable"], "feature.disable needs a feature argument"),
    ],
)
def test_bad_input_is_one_sentence_and_injects_nothing(
    env_dir: Path, args: list[str], says: str
) -> None:
    before = journal_size(env_dir)
    done = chaosdrill(env_dir, *args)
    assert done.returncode == 2
    assert says in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert journal_size(env_dir) == before, "nothing was journaled"
    assert status_of(f"{current(env_dir).shop.url}/products") == 200


def test_no_environment_is_a_clear_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [*CLI, "fault", "list", "--state-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0  # nothing is active in an empty directory
    done = subprocess.run(
        [*CLI, "fault", "inject", "app.crash", "--state-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and "no environment is up" in done.stderr


def test_inject_list_revert_round_trip(env_dir: Path) -> None:
    done = chaosdrill(
        env_dir,
        "fault",
        "inject",
        "app.error_rate",
        "-p",
        "fraction=1.0",
        "-p",
        "routes=[/recommendations]",
        "--ttl",
        "1m",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    entry = json.loads(done.stdout)
    assert entry["params"]["routes"] == ["/recommendations"]
    shop = current(env_dir).shop.url
    assert status_of(f"{shop}/recommendations/3") == 500
    listed = json.loads(chaosdrill(env_dir, "fault", "list", "--json").stdout)
    assert [e["id"] for e in listed] == [entry["id"]]
    assert chaosdrill(env_dir, "fault", "revert", entry["id"]).returncode == 0
    assert status_of(f"{shop}/recommendations/3") == 200
    assert json.loads(chaosdrill(env_dir, "fault", "list", "--json").stdout) == []


def test_cleanup_reverts_everything_left_behind_then_stops_it(tmp_path: Path) -> None:
    own = tmp_path / "env"  # cleanup takes its environment down: not the module's
    start_env(own)
    try:
        shop = current(own).shop.url
        for kind in ("app.error_rate", "dependency.down"):
            assert chaosdrill(own, "fault", "inject", kind).returncode == 0
        done = chaosdrill(own, "cleanup")
        assert done.returncode == 0 and "reverted 2 fault(s)" in done.stdout, done.stdout
        assert "the shop answered healthy again" in done.stdout, "the reverts healed it first"
        assert "stopped watchdog, shop, proxy" in done.stdout
        assert status_of(f"{shop}/readyz") == "ConnectError"
        assert not (own / "state.json").exists()
    finally:
        stop_env(own)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_during_a_held_fault_reverts_it_within_a_second(
    env_dir: Path, sig: signal.Signals
) -> None:
    shop = current(env_dir).shop.url
    held = subprocess.Popen(
        [
            *CLI,
            "fault",
            "inject",
            "app.error_rate",
            "-p",
            "fraction=1.0",
            "--hold",
            "--ttl",
            "2m",
            "--state-dir",
            str(env_dir),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert held.stderr is not None
        assert "Ctrl-C reverts it" in held.stderr.readline()
        assert status_of(f"{shop}/products") == 500
        os.kill(held.pid, sig)
        held.wait(timeout=10)
        # The fault is gone by the time the command has exited.
        assert status_of(f"{shop}/products") == 200
        assert load_journal(env_dir).open_entries() == []
    finally:
        if held.poll() is None:
            held.kill()
            held.wait()
        if held.stderr is not None:
            held.stderr.close()


def test_env_status_and_a_second_up_refused(env_dir: Path) -> None:
    status = chaosdrill(env_dir, "env", "status", "--json")
    assert status.returncode == 0
    services = json.loads(status.stdout)
    assert services["shop"]["running"] and services["shop"]["health"] == "200"
    again = chaosdrill(env_dir, "env", "up")
    assert again.returncode == 2 and "already up" in again.stderr


def _cmdline(proc: Path) -> str:
    try:
        return (proc / "cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def test_env_down_stops_only_what_it_started(tmp_path: Path) -> None:
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        state = start_env(tmp_path / "env")
        pids = [r.pid for r in state.services.values()]
        # A crash is active when we go down: its revert restarts the shop, which
        # must then be stopped too.
        FaultManager(tmp_path / "env").inject("app.crash", {}, ttl_s=60)
        done = subprocess.run(
            [*CLI, "env", "down", "--state-dir", str(tmp_path / "env")],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert eventually(
            lambda: (
                not any(
                    Path(f"/proc/{p}/cmdline").exists() and Path(f"/proc/{p}/cmdline").read_bytes()
                    for p in pids
                )
            ),
            10,
        )
        assert bystander.poll() is None, "a process we did not start was left alone"
        assert not [
            p
            for p in Path("/proc").iterdir()
            if p.name.isdigit() and str(tmp_path / "env") in _cmdline(p)
        ], "nothing of the env is left"
    finally:
        bystander.kill()
        bystander.wait()

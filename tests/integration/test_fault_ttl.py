"""kill -9 of the engine during each fault kind: the target heals within TTL + a few s.

The "engine" is a real subprocess that injects through a FaultSession and is
then killed with SIGKILL, so no revert code of ours runs in it. What brings
the target back is the far side of each TTL: the shop's own expiring settings,
the proxy's expiring toxics, the lock holder's deadline, and the watchdog.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration.faults_env import (
    current,
    eventually,
    healthy,
    needs,
    new_order,
    paid,
    spinning_thread,
    status_of,
    statuses,
)
from tests.probes import version_of

pytestmark = pytest.mark.integration
TTL_S = 5.0  # long enough to see each fault once on a loaded machine, short to wait out
# Seeing dependency.latency takes an order and then a slow payment call, so the
# fault must outlive two requests on a loaded machine before it can be seen.
SLOW_TO_SEE_TTL_S = {"dependency.latency": 8.0}
GRACE_S = 10.0  # restarts and the watchdog's 0.5 s tick


def _shop(d: Path) -> str:
    return current(d).shop.url


def _burning(d: Path) -> bool:
    pid = current(d).shop.pid
    try:
        return spinning_thread(pid)
    except OSError:  # that shop process is gone (restarted): it burns nothing
        return False


def _payment_port_silent(d: Path) -> bool:
    port = int(current(d).proxies["payment"].listen.rsplit(":", 1)[1])
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return False
    except OSError:
        return True


# kind -> (params, "is it broken?" as seen from outside, what the environment needs)
BROKEN: dict[str, tuple[dict[str, object], Callable[[Path], bool], bool]] = {
    "app.error_rate": (
        {"fraction": 1.0},
        lambda d: 500 in statuses(f"{_shop(d)}/products", 5),
        True,
    ),
    "app.latency": (
        {"ms": 1500},
        lambda d: status_of(f"{_shop(d)}/products", timeout=1.0) == "ReadTimeout",
        True,
    ),
    "app.cpu_burn": ({"threads": 1}, _burning, True),
    "db.pool_exhaustion": ({}, lambda d: status_of(f"{_shop(d)}/readyz") == 503, True),
    "app.crash": ({}, lambda d: status_of(f"{_shop(d)}/healthz") == "ConnectError", True),
    "app.hang": (
        {},
        lambda d: status_of(f"{_shop(d)}/healthz", timeout=1.0) == "ReadTimeout",
        True,
    ),
    "deploy.bad_release": (
        {"version": "1.1.0"},
        lambda d: version_of(_shop(d)) == "1.1.0",
        True,
    ),
    "db.lock": ({}, lambda d: new_order(_shop(d)) == 503, True),
    "dependency.down": ({}, lambda d: paid(_shop(d))[0] == 503, True),
    "dependency.latency": ({"ms": 3000}, lambda d: paid(_shop(d))[0] == 503, True),
    "disk.full": ({}, lambda d: new_order(_shop(d)) == 503, True),
    "network.loss": (
        {"percent": 100, "target": "payment"},
        _payment_port_silent,
        shutil.which("iptables") is not None,
    ),
}

ENGINE = """
import sys, time
from pathlib import Path
from simulator.faults.session import FaultSession
with FaultSession(Path(sys.argv[1])) as session:
    session.inject(sys.argv[2], eval(sys.argv[3]), ttl_s=float(sys.argv[4]))
    print("injected", flush=True)
    time.sleep(120)
"""


NEEDS_ROOT = {"disk.full", "network.loss"}  # a tmpfs mount, iptables


@pytest.mark.parametrize(
    "kind",
    [pytest.param(k, marks=pytest.mark.root) if k in NEEDS_ROOT else k for k in sorted(BROKEN)],
)
def test_kill_9_of_the_engine_leaves_nothing_broken_past_the_ttl(env_dir: Path, kind: str) -> None:
    params, broken, possible = BROKEN[kind]
    ttl_s = SLOW_TO_SEE_TTL_S.get(kind, TTL_S)
    needs(possible, f"what {kind} acts on here (iptables)")
    assert eventually(lambda: healthy(env_dir) and not broken(env_dir), 20), "starts healthy"
    engine = subprocess.Popen(
        [sys.executable, "-c", ENGINE, str(env_dir), kind, repr(params), str(ttl_s)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert engine.stdout is not None
        assert engine.stdout.readline().strip() == "injected"
        assert broken(env_dir), f"{kind} visibly broke the shop"
        os.kill(engine.pid, signal.SIGKILL)
        engine.wait(timeout=5)
        # The bounded wait is the claim: healed within the TTL plus the grace.
        assert eventually(lambda: not broken(env_dir) and healthy(env_dir), ttl_s + GRACE_S), (
            f"{kind} still broken after its TTL"
        )
    finally:
        if engine.poll() is None:
            engine.kill()
            engine.wait(timeout=5)
        if engine.stdout is not None:
            engine.stdout.close()

"""Operator actions on the environment's processes: start, stop, signal, restart.

Processes are started detached (see `launch.py`) and acted on only by the pid
recorded in the state, after checking that pid still runs our command line.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from simulator.env.http import client
from simulator.env.processes import shop_argv
from simulator.env.state import EnvState, ServiceRecord, pid_matches, process_state

READY_TIMEOUT_S = 30.0
STOP_GRACE_S = 5.0


class ServiceError(RuntimeError):
    """A service would not start or stop; the message says which and why."""


def spawn_detached(argv: list[str], log: Path, env: dict[str, str] | None = None) -> int:
    """Start `argv` in its own session, re-parented to init; returns its pid."""
    log.parent.mkdir(parents=True, exist_ok=True)
    out = subprocess.run(
        [sys.executable, "-m", "simulator.env.launch", str(log), "--", *argv],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=30,
        check=False,
    )
    if out.returncode != 0 or not out.stdout.strip().isdigit():
        raise ServiceError(f"could not start {argv[0]}: {out.stderr.strip()[-300:]}")
    return int(out.stdout.strip())


def is_running(record: ServiceRecord) -> bool:
    """Alive, ours, and not a zombie (a stopped process still counts as running)."""
    return pid_matches(record.pid, record.argv) and process_state(record.pid) not in (None, "Z")


def wait_ready(
    record: ServiceRecord, path: str = "/healthz", timeout_s: float = READY_TIMEOUT_S
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not is_running(record):
            raise ServiceError(f"{record.name} exited during start; see {record.log}")
        try:
            if client().get(record.url + path, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise ServiceError(
        f"{record.name} did not answer {path} within {timeout_s:.0f}s; see {record.log}"
    )


def send_signal(record: ServiceRecord, sig: signal.Signals) -> bool:
    """Signal the service if it is still ours; returns whether a signal was sent."""
    if not pid_matches(record.pid, record.argv):
        return False
    try:
        os.kill(record.pid, sig)
    except ProcessLookupError:
        return False
    return True


def gone(pid: int) -> bool:
    """The process has exited and released everything it held (sockets, files).

    A killed multi-threaded process shows its leader as a zombie while its other
    threads are still exiting, and the files they share (the listening socket)
    stay open until the last one is done: every thread must be gone.
    """
    if process_state(pid) in (None, "Z"):
        try:
            tasks = [t.name for t in Path(f"/proc/{pid}/task").iterdir()]
        except OSError:
            return True
        return all(_task_state(pid, tid) in (None, "Z", "X") for tid in tasks)
    return False


def _task_state(pid: int, tid: str) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def wait_gone(pid: int, timeout_s: float) -> bool:
    """Wait until `pid` has fully exited. A process that got SIGKILL shows an empty
    command line while the kernel still closes its sockets; only then is it gone."""
    deadline = time.monotonic() + timeout_s
    while not gone(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def stop(record: ServiceRecord, grace_s: float = STOP_GRACE_S) -> None:
    """SIGCONT (a hung process cannot die politely), SIGTERM, then SIGKILL."""
    if not is_running(record):
        wait_gone(record.pid, grace_s)  # it may be exiting right now
        return
    send_signal(record, signal.SIGCONT)
    send_signal(record, signal.SIGTERM)
    if wait_gone(record.pid, grace_s):
        return
    send_signal(record, signal.SIGKILL)
    wait_gone(record.pid, grace_s)


def shop_command(state: EnvState, record: ServiceRecord) -> list[str]:
    """The shop's command line from the environment's current settings."""
    payment = state.proxies.get("payment")
    backup = state.proxies.get("payment-backup")
    return shop_argv(
        record.port,
        state.database_url,
        log_file=Path(state.data_dir) / "shop.jsonl",
        version=record.version,
        chaos_token=state.chaos_token,
        payment_url=f"http://{payment.listen}" if payment else None,
        backup_url=f"http://{backup.listen}" if backup else None,
    )


def start(state: EnvState, name: str, *, wait: bool = True) -> ServiceRecord:
    """(Re)start a recorded service with its current settings; updates the record's pid."""
    record = state.services[name]
    if name == "shop":
        record.argv = shop_command(state, record)
    record.pid = spawn_detached(record.argv, Path(record.log), record.env)
    # The launcher's interpreter path is what /proc shows; keep argv as we gave it.
    if wait:
        wait_ready(record)
    return record


def restart(
    state: EnvState, name: str, *, version: str | None = None, env: dict[str, str] | None = None
) -> ServiceRecord:
    """Stop and start a service (dropping its in-flight requests), optionally changed."""
    record = state.services[name]
    stop(record)
    if version is not None:
        record.version = version
    if env is not None:
        record.env = {**record.env, **env}
    return start(state, name)

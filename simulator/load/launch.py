"""Command lines and environment of the Locust processes, and starting them.

Each process runs in its own session (so it can be stopped as a group by its
pid) with cwd in the run's log directory, where Locust finds no stray
locust.conf or pyproject.toml of ours, and with its output in a log file there.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import simulator
from simulator.load.config import LoadConfig
from simulator.load.profiles import UserSettings

__all__ = [
    "LOCUSTFILE",
    "STOP_GRACE_S",
    "LocustProcess",
    "child_env",
    "locust_argv",
    "log_tail",
    "spawn",
    "terminate",
    "user_settings",
    "wait_exit",
    "wait_quietly",
]

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
STOP_GRACE_S = 3.0  # SIGTERM lets Locust report its last piece; then SIGKILL
# Locust reads LOCUST_* variables as options; the parent's must not leak into our run.
_LOCUST_ENV_PREFIX = "LOCUST_"


@dataclass
class LocustProcess:
    """One Locust process we started: its role ("local", "master", "worker-1"...)."""

    role: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid


def user_settings(
    config: LoadConfig, *, worker_index: int = 0, report_fd: int | None = None
) -> UserSettings:
    """What the locustfile of one process reads from its environment."""
    return UserSettings(
        profile=config.profile,
        weights=config.task_weights(),
        seed=config.seed,
        wait_min_s=config.wait_min_s,
        wait_max_s=config.wait_max_s,
        worker_index=worker_index,
        report_fd=report_fd,
        duration_s=config.duration_s,
        api_key=config.api_key,
        canary_file=None if config.canary_file is None else str(config.canary_file),
    )


def child_env(settings: UserSettings) -> dict[str, str]:
    """The parent's environment without LOCUST_* options, plus our settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_LOCUST_ENV_PREFIX)}
    repo_root = str(Path(simulator.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (repo_root, env.get("PYTHONPATH")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(settings.to_env())
    return env


def locust_argv(config: LoadConfig, role: str, master_port: int | None = None) -> list[str]:
    """argv of a "local", "master" or "worker" Locust process for `config`."""
    argv = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--loglevel", "INFO"]
    if role == "worker":
        return [*argv, "--worker", "--master-host", "127.0.0.1", "--master-port", str(master_port)]
    argv += [
        "--headless",
        "--host",
        config.host,
        "--users",
        str(config.users),
        "--spawn-rate",
        f"{config.spawn_rate:g}",
        "--only-summary",
        # Failed requests are data for us, not a reason for a non-zero exit.
        "--exit-code-on-error",
        "0",
    ]
    if role == "master":
        argv += [
            "--master",
            "--master-bind-host",
            "127.0.0.1",
            "--master-bind-port",
            str(master_port),
            "--expect-workers",
            str(config.workers),
            "--expect-workers-max-wait",
            f"{max(1, int(config.start_timeout_s))}",
        ]
    return argv


def spawn(
    role: str,
    argv: list[str],
    env: dict[str, str],
    log_dir: Path,
    pass_fds: tuple[int, ...] = (),
) -> LocustProcess:
    """Start one Locust process in its own session, output to `log_dir/locust-ROLE.log`."""
    log_path = log_dir / f"locust-{role}.log"
    with log_path.open("ab") as log:
        popen = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=log_dir,
            pass_fds=pass_fds,
            start_new_session=True,
        )
    return LocustProcess(role=role, popen=popen, log_path=log_path)


def log_tail(path: Path, lines: int = 40) -> str:
    """The line of a log that best says why a process failed (its last error line)."""
    try:
        text = [line.strip() for line in path.read_text(errors="replace").splitlines()]
    except OSError:
        return ""
    recent = [line for line in text[-lines:] if line]
    for line in reversed(recent):
        if _ERROR_WORDS.search(line) and not line.startswith(("File ", "Traceback")):
            return line[:300]
    return recent[-1][:300] if recent else ""


_ERROR_WORDS = re.compile(r"error|exception|failed|failure|gave up|cannot|refused", re.I)


def terminate(proc: LocustProcess, before_reap: Callable[[], None]) -> None:
    """SIGTERM the process, SIGKILL its group if it outlives the grace period, reap it.

    `before_reap` runs once the process has exited but is still in /proc.
    """
    popen = proc.popen
    if popen.returncode is None and not wait_exit(popen, 0.0):
        with contextlib.suppress(ProcessLookupError):
            popen.send_signal(signal.SIGTERM)
        if not wait_exit(popen, STOP_GRACE_S):
            # Alive after the grace period: kill its whole group (ours: start_new_session).
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            wait_exit(popen, STOP_GRACE_S)
    before_reap()
    wait_quietly(popen, STOP_GRACE_S)


def wait_exit(popen: subprocess.Popen[bytes], timeout_s: float) -> bool:
    """Wait until the child exited, without reaping it; True if it has."""
    deadline = time.monotonic() + timeout_s
    while True:
        if popen.returncode is not None:
            return True
        try:
            # WNOWAIT leaves the zombie in place, so /proc/PID/stat still holds its CPU time.
            if os.waitid(os.P_PID, popen.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT):
                return True
        except ChildProcessError:
            return True  # reaped by another thread meanwhile
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def wait_quietly(popen: subprocess.Popen[bytes], timeout_s: float) -> int | None:
    """Reap the child if it exits within `timeout_s`; its exit code or None."""
    try:
        return popen.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return None

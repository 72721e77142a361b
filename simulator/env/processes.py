"""Start, watch and stop the processes of a drill environment.

Every process is started in its own session with its output in a log file, and
is stopped only through the handle (pid) we got when we started it.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

STOP_GRACE_S = 5.0


# Services listen below the kernel's ephemeral range (32768-60999 by default).
# A port from that range can be taken as the source port of some client's
# connection while its service is down, and a connect() to a dead service on
# such a port can even connect to itself (TCP simultaneous open).
SERVICE_PORTS = range(20000, 32000)


def _ephemeral_range() -> range:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return range(int(low), int(high) + 1)
    except (OSError, ValueError):
        return range(32768, 61000)


def free_port() -> int:
    """A TCP port on 127.0.0.1, outside the ephemeral range, that is free right now."""
    ephemeral = _ephemeral_range()
    for _ in range(200):
        port = random.choice(SERVICE_PORTS)
        if port in ephemeral:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:  # a crowded machine
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(
    url: str,
    timeout_s: float = 20.0,
    process: subprocess.Popen[bytes] | None = None,
    log_path: Path | None = None,
) -> None:
    """Wait until `url` answers 200; fail early if `process` exits meanwhile."""
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            tail = _tail(log_path) if log_path else ""
            raise RuntimeError(
                f"process exited with {process.returncode} before {url} "
                f"answered{': ' + tail if tail else ''}"
            )
        try:
            response = httpx.get(url, timeout=1.0)
            if response.status_code == 200:
                return
            last = f"status {response.status_code}"
        except httpx.HTTPError as exc:
            last = type(exc).__name__
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer 200 within {timeout_s:.0f}s (last: {last})")


def _tail(path: Path, lines: int = 5) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return ""


@dataclass
class ManagedProcess:
    """A child process we started, with the port it serves and its log file."""

    name: str
    popen: subprocess.Popen[bytes]
    port: int
    log_path: Path
    argv: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, grace_s: float = STOP_GRACE_S) -> None:
        """SIGTERM, then SIGKILL after `grace_s`; a stopped (SIGSTOP) child is resumed first."""
        if self.popen.poll() is not None:
            return
        try:
            os.kill(self.pid, signal.SIGCONT)
            self.popen.terminate()
            self.popen.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=grace_s)
        except ProcessLookupError:
            pass


def start_process(
    name: str, argv: list[str], log_path: Path, port: int, env: dict[str, str] | None = None
) -> ManagedProcess:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        popen = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
    return ManagedProcess(name=name, popen=popen, port=port, log_path=log_path, argv=argv)


def shop_argv(
    port: int,
    database_url: str,
    *,
    log_file: Path,
    version: str | None = None,
    chaos_token: str | None = None,
    payment_url: str | None = None,
    backup_url: str | None = None,
    seed: int | None = None,
) -> list[str]:
    argv = [
        sys.executable,
        "-m",
        "target_app",
        "--port",
        str(port),
        "--database-url",
        database_url,
        "--log-file",
        str(log_file),
        "--no-stdout-log",
    ]
    for flag, value in (
        ("--version", version),
        ("--chaos-token", chaos_token),
        ("--payment-url", payment_url),
        ("--payment-backup-url", backup_url),
        ("--seed", None if seed is None else str(seed)),
    ):
        if value is not None:
            argv += [flag, value]
    return argv


def start_shop(
    workdir: Path,
    *,
    port: int | None = None,
    database_url: str | None = None,
    version: str | None = None,
    chaos_token: str | None = None,
    payment_url: str | None = None,
    backup_url: str | None = None,
    seed: int | None = None,
    ready_timeout_s: float = 30.0,
) -> ManagedProcess:
    """Start the shop service and wait until /healthz answers."""
    port = port or free_port()
    database_url = database_url or f"sqlite:///{workdir / 'shop.db'}"
    argv = shop_argv(
        port,
        database_url,
        log_file=workdir / "shop.jsonl",
        version=version,
        chaos_token=chaos_token,
        payment_url=payment_url,
        backup_url=backup_url,
        seed=seed,
    )
    proc = start_process("shop", argv, workdir / "shop.out", port)
    try:
        wait_http(f"{proc.url}/healthz", ready_timeout_s, proc.popen, proc.log_path)
    except Exception:
        proc.stop()
        raise
    return proc


def start_provider(
    workdir: Path, name: str = "primary", *, port: int | None = None, ready_timeout_s: float = 20.0
) -> ManagedProcess:
    """Start a stub payment provider instance and wait until it answers."""
    port = port or free_port()
    argv = [
        sys.executable,
        "-m",
        "target_app.payment_provider",
        "--port",
        str(port),
        "--name",
        name,
    ]
    proc = start_process(f"payment-{name}", argv, workdir / f"payment-{name}.out", port)
    try:
        wait_http(f"{proc.url}/healthz", ready_timeout_s, proc.popen, proc.log_path)
    except Exception:
        proc.stop()
        raise
    return proc

"""The record of a running environment, kept on disk so every process
(engine, CLI, watchdog) sees the same truth.

`state.json` in the state directory lists what the environment started (by pid,
with the command line, so we never signal a process we did not start) and how
to reach it. Writers take `lock()` (an flock) around read-modify-write.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import BaseModel, Field

from simulator.pgcluster.record import PgCluster
from simulator.platform.names import DEFAULT, PlatformName

DEFAULT_STATE_ROOT = Path(".chaosdrill")
DEFAULT_STATE_DIR = DEFAULT_STATE_ROOT / "env"


def state_dir_from_env(explicit: str | Path | None = None) -> Path:
    """The state directory: an explicit path, $CHAOSDRILL_STATE_DIR, or ./.chaosdrill/env."""
    if explicit:
        return Path(explicit).resolve()
    return Path(os.environ.get("CHAOSDRILL_STATE_DIR", DEFAULT_STATE_DIR)).resolve()


class ServiceRecord(BaseModel):
    """A process the environment started."""

    name: str
    pid: int
    port: int
    argv: list[str]
    log: str
    version: str | None = None
    env: dict[str, str] = Field(default_factory=dict)
    # docker backend: the compose service's container (pid is its main process on
    # this host, refreshed whenever the container starts; argv stays empty).
    container: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class ProxyRecord(BaseModel):
    name: str
    listen: str
    upstream: str


class Abandoned(BaseModel):
    """Why and when the watchdog stopped an environment whose engine had died."""

    at: float
    reason: str


class EnvState(BaseModel):
    """Everything needed to reach, break and repair one environment."""

    state_dir: str
    data_dir: str
    backend: PlatformName = DEFAULT  # which platform brought it up (its registry name)
    compose_project: str | None = None  # docker: the compose project of the services
    compose_settings: dict[str, str] = Field(default_factory=dict)  # its variables
    # kubernetes: the namespace, how to reach the API, the owner label's value (env_id)
    cluster: dict[str, str] = Field(default_factory=dict)
    disk_limited: bool = False
    database_kind: str  # "sqlite" or "postgres"
    database_url: str  # what the shop uses (through the proxy for PostgreSQL)
    database_direct_url: str | None = None  # the real server, for operator actions
    database_replica_url: str | None = None
    chaos_token: str
    proxy_api: str | None = None
    services: dict[str, ServiceRecord] = Field(default_factory=dict)
    proxies: dict[str, ProxyRecord] = Field(default_factory=dict)
    deploys: list[dict[str, str | float]] = Field(default_factory=list)
    started_at: float = 0.0
    # The drill's own PostgreSQL cluster (initdb'd for this drill: WAL archive, base
    # backups, point-in-time restore), when the scenario asks for one.
    pg: PgCluster | None = None
    # Set when the environment was stopped because its engine died: the record stays
    # so that `env status` can say so, and `cleanup` or the next `up` removes it.
    abandoned: Abandoned | None = None

    @property
    def shop(self) -> ServiceRecord:
        return self.services["shop"]

    def targets(self) -> list[str]:
        """The allow-list: names faults may act on."""
        return sorted({*self.services, *self.proxies, "database", "disk"})


def state_path(state_dir: Path) -> Path:
    return state_dir / "state.json"


def load_state(state_dir: Path) -> EnvState | None:
    path = state_path(state_dir)
    if not path.exists():
        return None
    return EnvState.model_validate_json(path.read_text())


def save_state(state: EnvState) -> None:
    path = state_path(Path(state.state_dir))
    tmp = path.with_suffix(".tmp")
    tmp.write_text(state.model_dump_json(indent=2))
    tmp.replace(path)


@contextmanager
def lock(state_dir: Path) -> Iterator[None]:
    """An exclusive lock over the state directory (state and journal)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    with (state_dir / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def pid_matches(pid: int, argv: list[str]) -> bool:
    """True if `pid` is alive and still runs the command we started (pids get reused)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    running = [part.decode(errors="replace") for part in raw.split(b"\0") if part]
    if not running:
        return False
    # Compare the module/script part; the interpreter path may be resolved differently.
    return running[1:] == argv[1:]


def process_state(pid: int) -> str | None:
    """The kernel's one-letter state (R, S, T for stopped, Z...) or None if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]

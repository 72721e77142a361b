"""`env up|down|status --backend docker`: the drill environment as a compose project.

Up runs the stack's payment providers (and PostgreSQL when asked), waits until
they are healthy, then the shop, waits again, and records every container in
the state with the project's settings, so later operations (a release, a
rollback, a scale-up) recreate a service from the same file. The shop's data
directory is a host directory (a size-limited tmpfs when root) bind-mounted at
/data: it survives container restarts and is what `disk.full` fills. The TTL
watchdog runs on this host, as with the local backend.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator.docker.client import container_state, docker_client, service_container
from simulator.docker.compose import run_compose
from simulator.docker.images import build_local_images
from simulator.env import services
from simulator.env.errors import EnvError
from simulator.env.lifecycle import EnvOptions
from simulator.env.mounts import mount_tmpfs, unmount
from simulator.env.processes import free_port
from simulator.env.state import EnvState, ServiceRecord, load_state, lock, save_state, state_path
from simulator.env.teardown import Stopped, close_record, is_self
from simulator.faults.errors import FaultError

if TYPE_CHECKING:
    from docker.models.containers import Container


SHOP, POSTGRES = "shop", "postgres"
PAYMENTS = ("payment-primary", "payment-backup")
HEALTHY_TIMEOUT_S = 90.0
DB_USER, DB_NAME = "chaosdrill", "shop"
# Shop settings a remediation may change -> the compose variable that carries it.
SHOP_SETTINGS = {
    "TARGET_POOL_SIZE": "SHOP_POOL_SIZE",
    "TARGET_MAX_OVERFLOW": "SHOP_MAX_OVERFLOW",
    "TARGET_SEED": "SHOP_SEED",
}


def project_name(state_dir: Path) -> str:
    """One compose project per state directory (so a crashed env is found again)."""
    return "chaosdrill-" + hashlib.sha1(str(state_dir).encode()).hexdigest()[:10]


def local_images() -> bool:
    """Locally built images (default; no registry needed) or the stack's own builds."""
    return os.environ.get("CHAOSDRILL_DOCKER_IMAGES", "local") == "local"


def _settings(options: EnvOptions, data_dir: Path, postgres: bool) -> dict[str, str]:
    from simulator.docker.images import HostPython

    password = secrets.token_hex(12)
    settings = {
        "SHOP_PORT": str(free_port()),
        "SHOP_VERSION": options.version,
        "SHOP_SEED": str(options.seed),
        "SHOP_DATA": str(data_dir),
        "SHOP_RESTART": "no",
        "CHAOSDRILL_CHAOS_TOKEN": secrets.token_hex(16),
        "POSTGRES_PASSWORD": password,
        "POSTGRES_PORT": str(free_port()),
        "SHOP_DATABASE_URL": (
            f"postgresql+psycopg://{DB_USER}:{password}@{POSTGRES}:5432/{DB_NAME}"
            if postgres
            else "sqlite:////data/shop.db"
        ),
        # Required by services this environment does not run; compose checks the file.
        "GRAFANA_ADMIN_PASSWORD": secrets.token_hex(8),
        "CHAOSDRILL_FACILITATOR_TOKEN": secrets.token_hex(8),
    }
    if local_images():
        settings.update(HostPython.current().compose_env())
    return settings


def up(options: EnvOptions) -> EnvState:
    """Start a docker environment, or nothing: on failure the project is removed.

    The caller (`simulator.platform.environment.up`) has cleaned any stale record first.
    """
    state_dir = options.state_dir.resolve()
    docker_client()  # one clear sentence when dockerd is not there
    if local_images():
        build_local_images()
    data_dir = state_dir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    disk_limited = mount_tmpfs(data_dir, options.disk_limit_mb)
    postgres = options.database_url is not None
    settings = _settings(options, data_dir, postgres)
    state = EnvState(
        state_dir=str(state_dir),
        data_dir=str(data_dir),
        disk_limited=disk_limited,
        backend="docker",
        compose_project=project_name(state_dir),
        compose_settings=settings,
        database_kind="postgres" if postgres else "sqlite",
        database_url=f"sqlite:///{data_dir / 'shop.db'}",
        chaos_token=settings["CHAOSDRILL_CHAOS_TOKEN"],
        started_at=time.time(),
    )
    if postgres:  # how this host reaches it (operator actions, diagnostics, db.lock)
        state.database_url = (
            f"postgresql+psycopg://{DB_USER}:{settings['POSTGRES_PASSWORD']}"
            f"@127.0.0.1:{settings['POSTGRES_PORT']}/{DB_NAME}"
        )
        state.database_direct_url = state.database_url
    try:
        with lock(state_dir):
            _start(state, [*([POSTGRES] if postgres else []), *PAYMENTS])
            _start(state, [SHOP])
            state.shop.version = options.version
            state.deploys.append(
                {"version": options.version, "at": time.time(), "by": "env up", "change": "initial"}
            )
            py = sys.executable
            argv = [py, "-m", "simulator.faults.watchdog", "--state-dir", str(state_dir)]
            log = str(state_dir / "logs" / "watchdog.log")
            state.services["watchdog"] = ServiceRecord(
                name="watchdog", pid=0, port=0, argv=argv, log=log
            )
            save_state(state)  # the watchdog runs only while state.json exists
            services.start(state, "watchdog", wait=False)
            save_state(state)
    except Exception as exc:
        _remove(state)
        state_path(state_dir).unlink(missing_ok=True)
        raise EnvError(str(exc).splitlines()[0]) from None
    return state


def _start(state: EnvState, names: list[str]) -> None:
    assert state.compose_project is not None
    run_compose(
        state.compose_project,
        state.compose_settings,
        ["up", "-d", "--no-build", "--no-deps", *names],
        local_images=local_images(),
    )
    for name in names:
        state.services[name] = record(state, name, wait_healthy=True)


def record(state: EnvState, name: str, *, wait_healthy: bool) -> ServiceRecord:
    """The service's container as a record (pid of its main process, published port)."""
    assert state.compose_project is not None
    container = service_container(state.compose_project, name)
    if container is None:
        raise FaultError(f"compose project {state.compose_project} has no {name} container")
    if wait_healthy:
        wait_healthy_container(container)
    previous = state.services.get(name)
    return ServiceRecord(
        name=name,
        pid=int(container_state(container).get("Pid") or 0),
        port=published_port(container),
        argv=[],
        log=f"`docker logs {container.name}`",
        version=previous.version if previous else None,
        env=previous.env if previous else {},
        container=container.id,
    )


def wait_healthy_container(container: Container, timeout_s: float = HEALTHY_TIMEOUT_S) -> None:
    """Until its healthcheck passes; fails early when it exited or keeps restarting."""
    deadline = time.monotonic() + timeout_s
    while True:
        state = container_state(container)
        health = (state.get("Health") or {}).get("Status")
        if state["Status"] == "running" and health in (None, "healthy"):
            return
        if state["Status"] in ("exited", "dead") or time.monotonic() > deadline:
            logs = container.logs(tail=3).decode(errors="replace").strip().replace("\n", " | ")
            raise FaultError(
                f"container {container.name} is {state['Status']}"
                f"{f' ({health})' if health else ''}, not healthy: {logs[-300:]}"
            )
        time.sleep(0.2)


def published_port(container: Container) -> int:
    ports = container.attrs["NetworkSettings"]["Ports"] or {}
    for bindings in ports.values():
        for binding in bindings or []:
            if binding.get("HostIp") in ("127.0.0.1", "0.0.0.0", ""):
                return int(binding["HostPort"])
    return 0


def is_up(state: EnvState) -> bool:
    """Whether a process or a container of the recorded environment still runs."""
    return any(services.is_running(r) for r in state.services.values()) or _any_up(state)


def _any_up(state: EnvState) -> bool:
    if state.backend != "docker" or not state.compose_project:
        return False
    return any(
        service_container(state.compose_project, name, all_states=False) is not None
        for name in (SHOP, POSTGRES, *PAYMENTS)
    )


def _remove(state: EnvState) -> bool:
    """`compose down -v`: containers, the project's network and volumes; then unmount.

    Returns whether the data directory was unmounted.
    """
    watchdog = state.services.get("watchdog")
    if watchdog is not None and watchdog.pid and not is_self(watchdog):
        services.stop(watchdog)
    if state.compose_project:
        run_compose(
            state.compose_project,
            state.compose_settings,
            ["down", "-v", "--remove-orphans", "--timeout", "3"],
            local_images=local_images(),
        )
    return unmount(Path(state.data_dir))


def stop(state_dir: Path, done: Stopped, abandoned: str | None) -> None:
    """Remove the project (containers, network, volumes) and unmount, into `done`; then
    close the record. The faults are reverted already, the containers take the rest."""
    with lock(state_dir):
        state = load_state(state_dir)
        if state is None:
            return
        done.stopped = [n for n, r in state.services.items() if r.container]
        done.project = state.compose_project
        if _remove(state):
            done.unmounted = state.data_dir
        close_record(state, abandoned)


def status_rows(state: EnvState) -> dict[str, dict[str, Any]]:
    """Per service: container status and health, published URL, release."""
    rows: dict[str, dict[str, Any]] = {}
    for name, rec in state.services.items():
        if rec.container is None:
            rows[name] = {
                "pid": rec.pid,
                "running": services.is_running(rec),
                "url": None,
                "health": "-",
                "version": None,
            }
            continue
        container = service_container(state.compose_project or "", name)
        inspect = container_state(container) if container is not None else {}
        rows[name] = {
            "pid": inspect.get("Pid", 0),
            "running": inspect.get("Status") == "running",
            "url": rec.url if rec.port else None,
            "health": (inspect.get("Health") or {}).get("Status", inspect.get("Status", "gone")),
            "version": rec.version,
            "container": container.name if container is not None else None,
        }
    return rows

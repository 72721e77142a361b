"""`env up`, `env down`, `env status`: the drill environment on 127.0.0.1.

Up starts, in order: the payment provider (primary and backup), the chaos
proxy with a proxy per dependency, the shop (its dependencies reached through
the proxy), and the TTL watchdog. Everything is recorded in the state directory
so that `down` stops exactly what `up` started, and nothing else.
"""

from __future__ import annotations

import secrets
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import make_url

from simulator.env import services, teardown
from simulator.env.mounts import mount_tmpfs, unmount
from simulator.env.owner import record_owner_start
from simulator.env.processes import free_port
from simulator.env.proxy_client import ProxyClient
from simulator.env.state import (
    EnvState,
    ProxyRecord,
    ServiceRecord,
    load_state,
    lock,
    save_state,
    state_path,
)

DEFAULT_DISK_MB = 64


class EnvError(RuntimeError):
    """The environment cannot be brought up or down; one sentence says why."""


@dataclass
class EnvOptions:
    state_dir: Path
    database_url: str | None = None  # PostgreSQL; None means SQLite in the data directory
    version: str = "1.0.0"
    seed: int = 42
    disk_limit_mb: int = DEFAULT_DISK_MB  # tmpfs for the data directory when root; 0 = none
    # "docker": a compose project of docker-compose.yml (simulator/docker/env.py);
    # there a database_url of any value means the stack's own PostgreSQL container.
    backend: str = "local"
    load_users: int = 0  # > 0: keep Locust load on the shop until `env down`
    load_profile: str = "shop"


def _service(name: str, argv: list[str], state_dir: Path, port: int = 0) -> ServiceRecord:
    return ServiceRecord(
        name=name, pid=0, port=port, argv=argv, log=str(state_dir / "logs" / f"{name}.log")
    )


def up(options: EnvOptions) -> EnvState:
    """Start a whole environment, or nothing: on failure everything started is stopped."""
    options.state_dir.mkdir(parents=True, exist_ok=True)
    record_owner_start(options.state_dir)  # we run inside the drill's engine, if any
    if options.backend == "docker":
        from simulator.docker import env as docker_env  # the Docker SDK only when asked

        return docker_env.up(options)
    if options.backend != "local":
        raise EnvError(f"unknown backend '{options.backend}'; choose local or docker")
    state_dir = options.state_dir.resolve()
    existing = load_state(state_dir)
    if existing is not None:
        if existing.abandoned is None and any(
            services.is_running(r) for r in existing.services.values()
        ):
            raise EnvError(
                f"an environment is already up in {state_dir}; run `chaosdrill env down` first"
            )
        down(state_dir)  # a stale record from a crash: clean it up first
    data_dir = state_dir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    disk_limited = mount_tmpfs(data_dir, options.disk_limit_mb)
    state = EnvState(
        state_dir=str(state_dir),
        data_dir=str(data_dir),
        disk_limited=disk_limited,
        database_kind="postgres" if options.database_url else "sqlite",
        database_url=f"sqlite:///{data_dir / 'shop.db'}",
        chaos_token=secrets.token_hex(16),
        started_at=time.time(),
    )
    try:
        with lock(state_dir):
            _start_all(state, options)
            save_state(state)
    except Exception as exc:
        teardown.stop_all(state)
        unmount(data_dir)
        state_path(state_dir).unlink(missing_ok=True)
        if isinstance(exc, EnvError | services.ServiceError):
            raise EnvError(str(exc)) from None
        raise
    return state


def _start_all(state: EnvState, options: EnvOptions) -> None:
    state_dir = Path(state.state_dir)
    py = sys.executable
    for name in ("primary", "backup"):
        port = free_port()
        record = _service(
            f"payment-{name}",
            [py, "-m", "target_app.payment_provider", "--port", str(port), "--name", name],
            state_dir,
            port,
        )
        state.services[record.name] = record
        services.start(state, record.name)
    api_port = free_port()
    proxy = _service(
        "proxy",
        [py, "-m", "simulator.proxy", "--api", f"127.0.0.1:{api_port}"],
        state_dir,
        api_port,
    )
    state.services["proxy"] = proxy
    state.proxy_api = proxy.url
    services.start(state, "proxy", wait=False)
    services.wait_ready(proxy, "/version")
    client = ProxyClient(proxy.url)
    upstreams = {
        "payment": state.services["payment-primary"],
        "payment-backup": state.services["payment-backup"],
    }
    for name, record in upstreams.items():
        _add_proxy(state, client, name, f"127.0.0.1:{record.port}")
    if options.database_url:
        _proxy_database(state, client, options.database_url)
    shop = _service("shop", [], state_dir, free_port())
    shop.version = options.version
    shop.env = {"TARGET_SEED": str(options.seed)}
    state.services["shop"] = shop
    services.start(state, "shop")
    state.deploys.append(
        {"version": options.version, "at": time.time(), "by": "env up", "change": "initial release"}
    )
    watchdog = _service(
        "watchdog",
        [py, "-m", "simulator.faults.watchdog", "--state-dir", str(state_dir)],
        state_dir,
    )
    state.services["watchdog"] = watchdog
    save_state(state)  # the watchdog runs only while state.json exists
    services.start(state, "watchdog", wait=False)
    if options.load_users > 0:
        load = _service(
            "load",
            [
                py,
                "-m",
                "simulator.cli",
                "load",
                "--host",
                shop.url,
                "--users",
                str(options.load_users),
                "--duration",
                "24h",
                "--profile",
                options.load_profile,
                "--json",
            ],
            state_dir,
        )
        state.services["load"] = load
        services.start(state, "load", wait=False)


def _add_proxy(state: EnvState, client: ProxyClient, name: str, upstream: str) -> ProxyRecord:
    created = client.create_proxy(name, "127.0.0.1:0", upstream)
    record = ProxyRecord(name=name, listen=str(created["listen"]), upstream=upstream)
    state.proxies[name] = record
    return record


def _proxy_database(state: EnvState, client: ProxyClient, database_url: str) -> None:
    url = make_url(database_url)
    if not url.drivername.startswith("postgresql"):
        raise EnvError(f"--database-url must be a postgresql+psycopg:// URL, not {url.drivername}")
    upstream = f"{url.host or '127.0.0.1'}:{url.port or 5432}"
    primary = _add_proxy(state, client, "database", upstream)
    replica = _add_proxy(state, client, "database-replica", upstream)
    state.database_direct_url = url.render_as_string(hide_password=False)

    def via(record: ProxyRecord) -> str:
        host, port = record.listen.rsplit(":", 1)
        return url.set(host=host, port=int(port)).render_as_string(hide_password=False)

    state.database_url = via(primary)
    state.database_replica_url = via(replica)


def down(state_dir: Path) -> list[str]:
    """Revert every fault, stop what `up` started, unmount; returns what was stopped."""
    return teardown.take_down(state_dir).stopped


def status(state_dir: Path) -> dict[str, Any] | None:
    """What is up, by pid and health, or None when nothing is."""
    state = load_state(state_dir.resolve())
    if state is None:
        return None
    if state.backend == "docker":
        from simulator.docker import env as docker_env

        return {"state": state, "services": docker_env.status_rows(state)}
    rows = {}
    for name, record in state.services.items():
        running = services.is_running(record)
        health = "-"
        if running and record.port and name != "proxy":
            try:
                health = str(httpx.get(record.url + "/healthz", timeout=1.0).status_code)
            except httpx.HTTPError as exc:
                health = type(exc).__name__
        rows[name] = {
            "pid": record.pid,
            "running": running,
            "url": record.url if record.port else None,
            "health": health,
            "version": record.version,
        }
    return {"state": state, "services": rows}

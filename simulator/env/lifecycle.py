"""The local platform's environment: every service a process on 127.0.0.1.

Up starts, in order: the payment provider (primary and backup), the chaos
proxy with a proxy per dependency, the shop (its dependencies reached through
the proxy), and the TTL watchdog. Everything is recorded in the state directory
so that `env down` (`simulator.env.teardown.stop_local`) stops exactly what
`up` started, and nothing else.
"""

from __future__ import annotations

import secrets
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from simulator.env import own_cluster, services, teardown
from simulator.env.errors import EnvError
from simulator.env.mounts import mount_tmpfs, unmount
from simulator.env.processes import free_port
from simulator.env.proxy_client import ProxyClient
from simulator.env.state import (
    EnvState,
    ProxyRecord,
    ServiceRecord,
    lock,
    save_state,
    state_path,
)
from simulator.pgcluster import cluster as pgcluster
from simulator.pgcluster.binaries import ClusterError
from simulator.platform.names import DEFAULT

DEFAULT_DISK_MB = 64
# As a database URL: the drill initdbs and runs a PostgreSQL cluster of its own
# (simulator.pgcluster), for scenarios that need backups, WAL and restores.
OWN_CLUSTER = "own-cluster"


@dataclass
class EnvOptions:
    state_dir: Path
    database_url: str | None = None  # PostgreSQL; None means SQLite; OWN_CLUSTER: our own
    version: str = "1.0.0"
    seed: int = 42
    disk_limit_mb: int = DEFAULT_DISK_MB  # tmpfs for the data directory when root; 0 = none
    # A name of `simulator.platform.names` (on docker, a compose project of
    # docker-compose.yml, a database_url of any value means the stack's PostgreSQL).
    backend: str = DEFAULT
    load_users: int = 0  # > 0: keep Locust load on the shop until `env down`
    load_profile: str = "shop"
    # "replica": the shop's catalog GETs read through the database-replica proxy (on the
    # drill's own cluster, its real standby, so replication lag shows as stale pages).
    catalog_reads: str = "primary"
    # kubernetes: where to apply (a namespace on the allow-list) and how to reach the API
    namespace: str | None = None
    kubeconfig: str | None = None
    context: str | None = None
    api_url: str | None = None  # an API that needs no credentials (`kubectl proxy`)
    allowed_namespaces: tuple[str, ...] = ()  # empty: the platform's default allow-list
    own_deployment: str | None = None  # a team's own Deployment to drill instead of the shop
    # the labels of its pods that faults select (a scenario's target.selector); None: the
    # Deployment's matchLabels
    own_selector: dict[str, str] | None = None


def _service(name: str, argv: list[str], state_dir: Path, port: int = 0) -> ServiceRecord:
    return ServiceRecord(
        name=name, pid=0, port=port, argv=argv, log=str(state_dir / "logs" / f"{name}.log")
    )


def up(options: EnvOptions) -> EnvState:
    """Start a whole local environment, or nothing: on failure everything started is stopped.

    The caller (`simulator.platform.environment.up`) has cleaned any stale record first.
    """
    state_dir = options.state_dir.resolve()
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
        if isinstance(exc, EnvError | services.ServiceError | ClusterError):
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
    database_url = options.database_url
    if database_url == OWN_CLUSTER:
        database_url = own_cluster.start(state)
    if database_url:
        _proxy_database(state, client, database_url)
    shop = _service("shop", [], state_dir, free_port())
    shop.version = options.version
    shop.env = {"TARGET_SEED": str(options.seed)}
    if options.catalog_reads == "replica" and state.database_replica_url:
        shop.env["TARGET_CATALOG_READ_URL"] = state.database_replica_url
    state.services["shop"] = shop
    services.start(state, "shop")
    state.deploys.append(
        {"version": options.version, "at": time.time(), "by": "env up", "change": "initial release"}
    )
    if state.pg is not None:
        own_cluster.first_backup(state)  # after the shop has seeded its schema and catalog
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
    from sqlalchemy.engine import make_url  # SQLAlchemy: only with --database-url

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


def status_rows(state: EnvState) -> dict[str, dict[str, Any]]:
    """Each local service by pid and health."""
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
    for name, node in (state.pg.nodes if state.pg else {}).items():
        rows[f"postgres-{name}"] = {
            "pid": node.pid,
            "running": pgcluster.is_running(node),
            "url": f"127.0.0.1:{node.port}",
            "health": node.role,
            "version": None,
        }
    return rows

"""The local environment's side of the drill's own PostgreSQL cluster: start it before
the shop, take the first base backup after the shop has seeded it, record both."""

from __future__ import annotations

from pathlib import Path

from simulator.env.processes import free_port
from simulator.env.proxy_client import ProxyClient
from simulator.env.state import EnvState, ProxyRecord, save_state
from simulator.pgcluster import backup, standby
from simulator.pgcluster import cluster as pg
from simulator.pgcluster.binaries import ClusterError, find_bindir, server_user

REPLICATION = "replication"  # the proxy the standby streams WAL through


def refusal() -> str | None:
    """Why this machine cannot run the drill's own cluster (one sentence), or None."""
    try:
        find_bindir()
        server_user()
    except ClusterError as exc:
        return str(exc)
    return None


def start(state: EnvState) -> str:
    """initdb, start and create the shop's database; returns the URL the shop is proxied to."""
    state.pg = pg.create(Path(state.state_dir), free_port())
    save_state(state)  # recorded before it runs, so a crash from here on cleans it up
    node = state.pg.primary
    pg.start(state.pg, node)
    save_state(state)
    pg.create_database(node)
    return node.url


def first_backup(state: EnvState) -> None:
    """The base backup restores start from, then a streaming standby behind the
    `replication` proxy, which the `database-replica` proxy then points at."""
    if state.pg is None:
        return
    backup.take(state.pg)
    save_state(state)
    assert state.proxy_api is not None
    client = ProxyClient(state.proxy_api)
    # The stream goes through the shop's own database link too, so a database outage
    # (db.down) cuts it as it would for a primary that is gone, and db.replica_lag can
    # cut the stream alone.
    upstream = state.proxies["database"].listen
    created = client.create_proxy(REPLICATION, "127.0.0.1:0", upstream)
    listen = str(created["listen"])
    state.proxies[REPLICATION] = ProxyRecord(name=REPLICATION, listen=listen, upstream=upstream)
    node = standby.create(
        state.pg, free_port(), int(listen.rsplit(":", 1)[1]), save=lambda: save_state(state)
    )
    replica = f"127.0.0.1:{node.port}"
    client.set_upstream("database-replica", replica)
    state.proxies["database-replica"].upstream = replica
    save_state(state)

"""The local environment's side of the drill's own PostgreSQL cluster: start it before
the shop, take the first base backup after the shop has seeded it, record both."""

from __future__ import annotations

from pathlib import Path

from simulator.env.processes import free_port
from simulator.env.state import EnvState, save_state
from simulator.pgcluster import backup
from simulator.pgcluster import cluster as pg
from simulator.pgcluster.binaries import ClusterError, find_bindir, server_user


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
    if state.pg is not None:
        backup.take(state.pg)
        save_state(state)

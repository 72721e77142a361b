"""A streaming standby of the drill's cluster, and what it takes to promote it.

The standby streams WAL from the primary through the chaos proxy's `replication`
link (primary_conninfo, standby.signal), with no restore_command: WAL that the
stream did not carry is not on the standby, so promoting it loses those writes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from simulator.pgcluster import cluster as pg
from simulator.pgcluster.binaries import ClusterError, give_to, run
from simulator.pgcluster.record import ROLE, PgCluster, PgNode

STANDBY = "standby"
READY_TIMEOUT_S = 60.0


def create(
    cluster: PgCluster, port: int, stream_port: int, save: Callable[[], None] = lambda: None
) -> PgNode:
    """pg_basebackup the primary into a standby on `port` that streams from `stream_port`
    (the proxy in front of the primary), start it and wait until it is streaming."""
    primary = cluster.primary
    node = PgNode(
        name=STANDBY,
        data_dir=str(Path(cluster.root) / "nodes" / STANDBY),
        port=port,
        role="standby",
        log=str(Path(cluster.root) / "logs" / f"{STANDBY}.log"),
    )
    run(
        cluster.user,
        [
            str(Path(cluster.bindir) / "pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            ROLE,
            "-D",
            node.data_dir,
            "-X",
            "stream",
            "-c",
            "fast",
            "--no-sync",
        ],
        timeout_s=300,
    )
    pg.configure(cluster, node)
    data = Path(node.data_dir)
    with (data / "postgresql.conf").open("a") as handle:
        handle.write(
            f"primary_conninfo = 'host=127.0.0.1 port={stream_port} user={ROLE} "
            f"application_name={STANDBY}'\n"
            "wal_receiver_timeout = '5s'\n"
            "wal_retrieve_retry_interval = '1s'\n"
        )
    (data / "standby.signal").touch()
    give_to(data, cluster.user)
    cluster.nodes[node.name] = node
    save()
    pg.start(cluster, node)
    save()
    _wait_streaming(cluster, node)
    return node


def _wait_streaming(cluster: PgCluster, node: PgNode) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            with pg.connect(node) as conn:
                row = conn.execute("SELECT status FROM pg_stat_wal_receiver").fetchone()
            if row is not None and row[0] == "streaming":
                return
        except ClusterError:
            pass  # starting: not yet
        time.sleep(0.2)
    raise ClusterError(f"the standby did not start streaming in {READY_TIMEOUT_S:.0f}s")


def standby(cluster: PgCluster) -> PgNode | None:
    node = cluster.nodes.get(STANDBY)
    return node if node is not None and node.role == "standby" else None


def promote(cluster: PgCluster, node: PgNode) -> None:
    """pg_promote and wait for it; the standby becomes the serving primary."""
    with pg.connect(node) as conn:
        row = conn.execute("SELECT pg_promote(wait => true, wait_seconds => 60)").fetchone()
    if not row or row[0] is not True:
        raise ClusterError("the standby did not finish its promotion within 60s")
    node.role = "primary"
    cluster.serving = node.name


def lag(cluster: PgCluster) -> dict[str, Any]:
    """How far the standby is behind, as the two servers report it."""
    node = standby(cluster)
    if node is None:
        return {"standby": None}
    found: dict[str, Any] = {"standby": node.name}
    try:
        with pg.connect(cluster.primary) as conn:
            rows = conn.execute(
                "SELECT application_name, state, "
                "pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), "
                "extract(epoch FROM replay_lag) FROM pg_stat_replication"
            ).fetchall()
            current = conn.execute("SELECT pg_current_wal_lsn()").fetchone()
        found["pg_stat_replication"] = [
            {
                "application": r[0],
                "state": r[1],
                "replay_lag_bytes": int(r[2] or 0),
                "replay_lag_s": float(r[3]) if r[3] is not None else None,
            }
            for r in rows
        ]
        with pg.connect(node) as conn:
            row = conn.execute(
                "SELECT pg_is_wal_replay_paused(), "
                "extract(epoch FROM now() - pg_last_xact_replay_timestamp()), "
                "pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn()), "
                "(SELECT status FROM pg_stat_wal_receiver)",
                (str(current[0]) if current else "0/0",),
            ).fetchone()
        if row is not None:
            found.update(
                replay_paused=bool(row[0]),
                last_replayed_commit_age_s=round(float(row[1]), 1) if row[1] is not None else None,
                behind_primary_bytes=int(row[2] or 0),
                wal_receiver=row[3] or "not streaming",
            )
    except ClusterError as exc:
        found["error"] = str(exc)
    return found

"""Base backups of the drill's cluster with pg_basebackup, and the WAL they can reach."""

from __future__ import annotations

import time
from pathlib import Path

from simulator.pgcluster.binaries import ClusterError, run
from simulator.pgcluster.cluster import connect
from simulator.pgcluster.record import ROLE, BaseBackup, PgCluster, PgNode

ARCHIVE_WAIT_S = 30.0


def take(cluster: PgCluster) -> BaseBackup:
    """A plain-format base backup of the serving node, with the WAL it needs to be
    consistent (streamed), into backups/base-N."""
    node = cluster.primary
    path = Path(cluster.root) / "backups" / f"base-{len(cluster.backups) + 1}"
    begun, wall = time.monotonic(), time.time()
    start_lsn = current_lsn(node)
    run(
        cluster.user,
        [
            str(Path(cluster.bindir) / "pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(node.port),
            "-U",
            ROLE,
            "-D",
            str(path),
            "-X",
            "stream",
            "-c",
            "fast",
            "--no-sync",
        ],
        timeout_s=600,
    )
    end_lsn = current_lsn(node)
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    backup = BaseBackup(
        path=str(path),
        started_at=wall,
        finished_at=time.time(),
        start_lsn=start_lsn,
        end_lsn=end_lsn,
        seconds=round(time.monotonic() - begun, 3),
        bytes=size,
    )
    cluster.backups.append(backup)
    return backup


def current_lsn(node: PgNode) -> str:
    with connect(node) as conn:
        row = conn.execute("SELECT pg_current_wal_lsn()").fetchone()
    return str(row[0]) if row else ""


def archive_now(cluster: PgCluster) -> str:
    """Close the current WAL segment and wait until the archive holds it; its name.

    First a commit of nothing (an xid assigned, no rows): a replay to any time up to
    now then finds a commit at or after its target, which PostgreSQL needs to stop
    there rather than fail with "recovery ended before the target was reached"."""
    with connect(cluster.primary) as conn:
        conn.execute("SELECT pg_current_xact_id()")
        row = conn.execute("SELECT pg_walfile_name(pg_switch_wal())").fetchone()
        segment = str(row[0]) if row else ""
        deadline = time.monotonic() + ARCHIVE_WAIT_S
        while time.monotonic() < deadline:
            if (Path(cluster.archive_dir) / segment).exists():
                return segment
            time.sleep(0.2)
    raise ClusterError(f"WAL segment {segment} was not archived within {ARCHIVE_WAIT_S:.0f}s")


def archived(cluster: PgCluster) -> tuple[int, int]:
    """How many WAL segments the archive holds, and their bytes."""
    files = [f for f in Path(cluster.archive_dir).iterdir() if f.is_file()]
    return len(files), sum(f.stat().st_size for f in files)

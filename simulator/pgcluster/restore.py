"""Point-in-time restore: a base backup copied into a new data directory, archived WAL
replayed up to a target time, then promoted to a new primary.

The damaged primary is stopped (its directory stays, for forensics, until teardown);
the caller repoints the shop at the new node.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from simulator.pgcluster import cluster as pg
from simulator.pgcluster.backup import archive_now, archived
from simulator.pgcluster.binaries import ClusterError, give_to, run
from simulator.pgcluster.record import BaseBackup, PgCluster, PgNode

PROMOTE_TIMEOUT_S = 120.0


@dataclass
class Restored:
    node: PgNode
    backup: BaseBackup
    target: datetime
    seconds: float  # copy + replay + promotion
    wal_segments: int  # in the archive when the restore began
    wal_bytes: int


def parse_target(text: str) -> datetime:
    """An ISO-8601 instant; without a zone it is UTC."""
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ClusterError(
            f"restore target {text!r} is not a time: give an ISO-8601 instant such as "
            "2026-01-31T12:00:05.250Z"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


XID = re.compile(r"^\s*(?:--)?(?:before-xid|xid)[\s=:]+(\d+)\s*$")


def parse_xid(text: str) -> int | None:
    """The transaction id of `--before-xid N` (also `xid:N`); None for anything else."""
    match = XID.match(text)
    return int(match.group(1)) if match else None


def _next_xid(cluster: PgCluster, data_dir: str) -> int:
    """The next transaction id at the latest checkpoint of a data directory (a base
    backup's: a restore from it cannot stop before this transaction)."""
    out = run(cluster.user, [str(Path(cluster.bindir) / "pg_controldata"), data_dir]).stdout
    match = re.search(r"Latest checkpoint's NextXID:\s+\d+:(\d+)", out)
    if not match:
        raise ClusterError(f"pg_controldata shows no NextXID for {data_dir}")
    return int(match.group(1))


def backup_for_xid(cluster: PgCluster, xid: int, current: int) -> BaseBackup:
    """The newest base backup a replay can stop in before transaction `xid`; refuses a
    transaction not begun yet (`current`: the primary's next one) or before every backup."""
    if xid >= current:
        raise ClusterError(
            f"transaction {xid} has not happened yet (the next is {current}); nothing changed"
        )
    usable = [b for b in cluster.backups if _next_xid(cluster, b.path) <= xid]
    if not usable:
        raise ClusterError(
            f"transaction {xid} is before any base backup (the oldest begins at "
            f"{min((_next_xid(cluster, b.path) for b in cluster.backups), default=0)}); "
            "nothing changed"
        )
    return max(usable, key=lambda b: b.finished_at)


def backup_for(cluster: PgCluster, target: datetime) -> BaseBackup:
    """The newest base backup that finished before `target`; refuses impossible targets."""
    stamp = target.timestamp()
    if stamp > time.time():
        raise ClusterError(f"restore target {target.isoformat()} is in the future; nothing changed")
    usable = [b for b in cluster.backups if b.finished_at <= stamp]
    if not usable:
        oldest = min((b.finished_at for b in cluster.backups), default=None)
        reach = (
            f"the oldest base backup reaches {datetime.fromtimestamp(oldest, UTC).isoformat()}"
            if oldest is not None
            else "there is no base backup"
        )
        raise ClusterError(
            f"restore target {target.isoformat()} is before any base backup ({reach}); "
            "nothing changed"
        )
    return max(usable, key=lambda b: b.finished_at)


def restore(
    cluster: PgCluster,
    target: datetime,
    port: int,
    save: Callable[[], None] = lambda: None,
    *,
    xid: int | None = None,
    backup: BaseBackup | None = None,
) -> Restored:
    """Restore to just before `target` (or, given `xid`, just before that transaction
    commits) into a new node on `port` and promote it. The caller holds writes off the
    old primary and repoints the shop afterwards; `save` records the cluster before
    each server starts or stops."""
    if backup is None:
        backup = backup_for(cluster, target)  # refuse before anything changes
    old = cluster.primary
    archive_now(cluster)  # the WAL up to now must be in the archive to be replayed
    segments, wal_bytes = archived(cluster)
    begun = time.monotonic()
    pg.stop(cluster, old)
    old.role = "damaged"
    cluster.restores += 1
    node = PgNode(
        name=f"restore-{cluster.restores}",
        data_dir=str(Path(cluster.root) / "nodes" / f"restore-{cluster.restores}"),
        port=port,
        role="restored",
        log=str(Path(cluster.root) / "logs" / f"restore-{cluster.restores}.log"),
    )
    run(cluster.user, ["cp", "-a", backup.path, node.data_dir])
    data = Path(node.data_dir)
    (data / "postmaster.pid").unlink(missing_ok=True)
    pg.configure(cluster, node)
    with (data / "postgresql.conf").open("a") as handle:
        handle.write(
            f"restore_command = 'cp {cluster.archive_dir}/%f %p'\n"
            + (
                f"recovery_target_xid = '{xid}'\n"
                if xid is not None
                else f"recovery_target_time = '{target.isoformat()}'\n"
            )
            + "recovery_target_inclusive = off\n"
            "recovery_target_action = 'promote'\n"
        )
    (data / "recovery.signal").touch()
    give_to(data, cluster.user)
    cluster.nodes[node.name] = node
    save()  # recorded before it runs: a crash from here on still tears it down
    pg.start(cluster, node)
    save()
    _wait_promoted(node)
    cluster.serving = node.name
    for other in cluster.nodes.values():
        if other.role == "standby":  # it follows the damaged primary: stop it for good
            pg.stop(cluster, other)
            other.role = "detached"
    save()
    return Restored(node, backup, target, round(time.monotonic() - begun, 3), segments, wal_bytes)


def _wait_promoted(node: PgNode) -> None:
    deadline = time.monotonic() + PROMOTE_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            with pg.connect(node) as conn:
                row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
                if row is not None and row[0] is False:
                    return
        except ClusterError:
            pass  # still starting: not yet
        time.sleep(0.2)
    raise ClusterError(
        f"the restored server did not finish recovery in {PROMOTE_TIMEOUT_S:.0f}s; see {node.log}"
    )

"""`db.restore --to TIME` on the drill's own cluster: a point-in-time restore that
really replaces the damaged primary, and the data it lost or brought back, measured.

Writes are held off (the shop's database link is closed) from the last look at the
damaged primary until the shop is repointed, so every order the shop acknowledged
is either in the restored database or counted as lost.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from simulator.env.processes import free_port
from simulator.faults.backend import FaultBackend
from simulator.faults.errors import FaultError, NotApplicable
from simulator.faults.kinds.data import missing_rows
from simulator.faults.kinds.rogue import (
    corrupt_left,
    deleted_new,
    harm,
    running_jobs,
    sync_damage,
)
from simulator.pgcluster import cluster as pg
from simulator.pgcluster.binaries import ClusterError
from simulator.pgcluster.record import PgCluster, PgNode
from simulator.pgcluster.restore import (
    backup_for,
    backup_for_xid,
    parse_target,
    parse_xid,
    restore,
)

DB_PROXIES = ("database", "database-replica")
LISTED = 50  # record ids listed at most in what an action measured


def orders(node: PgNode) -> dict[int, float]:
    """Every order's id and creation time (epoch seconds) on `node`."""
    with pg.connect(node) as conn:
        rows = conn.execute("SELECT id, extract(epoch FROM created_at) FROM orders").fetchall()
    return {int(r[0]): float(r[1]) for r in rows}


def next_xid(node: PgNode) -> int:
    """The transaction id the server hands out next."""
    with pg.connect(node) as conn:
        row = conn.execute("SELECT txid_current_snapshot()::text").fetchone()
    return int(str(row[0]).split(":")[1]) if row else 0


def customers(node: PgNode) -> dict[int, int]:
    """Every order's customer on `node` (whom to tell if the order is lost)."""
    with pg.connect(node) as conn:
        rows = conn.execute("SELECT id, customer_id FROM orders").fetchall()
    return {int(r[0]): int(r[1]) for r in rows}


def record_lost(cluster: PgCluster, lost: dict[int, float], owners: dict[int, int]) -> None:
    """Keep the lost orders and their customers (0: unknown, the row was already gone)
    on the cluster's record, for the integrity report and users.notify."""
    for order_id in lost:
        cluster.lost_orders[order_id] = owners.get(order_id, 0)


def _repoint(backend: FaultBackend, node: PgNode) -> None:
    """The shop's database links (primary and replica proxies) to `node`, open again."""
    proxy = backend.require_proxy("database")
    for name in DB_PROXIES:
        if name in backend.state.proxies:
            proxy.set_upstream(name, f"127.0.0.1:{node.port}")
            backend.state.proxies[name].upstream = f"127.0.0.1:{node.port}"
    backend.state.database_direct_url = node.url
    backend.save()


def point_in_time(backend: FaultBackend, text: str) -> str:
    cluster: PgCluster | None = backend.state.pg
    if cluster is None:
        raise NotApplicable(
            "a restore to a point in time needs the drill's own PostgreSQL cluster "
            "(base backups and a WAL archive); this environment has none"
        )
    xid = parse_xid(text)
    try:
        if xid is not None:  # just before that transaction: the damage's own, say
            target = datetime.now(UTC)
            backup = backup_for_xid(cluster, xid, next_xid(cluster.primary))
        else:
            target = parse_target(text)
            backup = backup_for(cluster, target)  # refused here, nothing has changed
    except ClusterError as exc:
        raise FaultError(str(exc)) from None
    old = cluster.primary
    proxy = backend.require_proxy("database")
    proxy.set_enabled("database", False)  # hold writes: no order acknowledged and lost unseen
    try:
        before = orders(old)
        owners = customers(old)
        restored = restore(cluster, target, free_port(), save=backend.save, xid=xid, backup=backup)
    except ClusterError as exc:
        if not pg.is_running(old):  # put the damaged primary back rather than nothing
            pg.start(cluster, old)
            old.role = "primary"
        cluster.serving = old.name
        backend.save()
        proxy.set_enabled("database", True)
        raise FaultError(f"the restore failed and the shop stays on {old.name}: {exc}") from None
    _repoint(backend, restored.node)
    proxy.set_enabled("database", True)
    after = orders(restored.node)
    lost = {i: t for i, t in before.items() if i not in after}
    # Acknowledged orders a batch job deleted before anyone looked: lost too.
    lost |= {i: t for i, t in deleted_new(cluster).items() if i not in after and i not in lost}
    back = [i for i in after if i not in before]
    record_lost(cluster, lost, owners)
    backend.save()
    sync_damage(cluster)  # a batch job's deletions so far, for the check below
    still_missing = missing_rows(cluster)
    corrupt = sum(corrupt_left(cluster, harm(job)[1]) for job in cluster.jobs.values())
    still_running = running_jobs(cluster)
    backend.measured = measured(restored.target, restored.seconds, lost, back, still_missing)
    if xid is not None:  # the target is a transaction: the span is the lost writes' own
        backend.measured["restore_target"] = f"before xid {xid}"
        span = max(lost.values()) - min(lost.values()) if lost else 0.0
        backend.measured["lost_span_s"] = round(span, 3)
    backend.measured["backup"] = backup.path.rsplit("/", 1)[-1]
    backend.measured["wal_bytes"] = restored.wal_bytes
    reached = (
        f"just before xid {xid}" if xid is not None else target.isoformat(timespec="milliseconds")
    )
    sentence = (
        f"restored {backup.path.rsplit('/', 1)[-1]} and replayed WAL to "
        f"{reached} in {restored.seconds:.1f}s on "
        f"{restored.node.name} (port {restored.node.port}), and repointed the shop: "
        f"{len(back)} order(s) back, {len(lost)} order(s) written after the target lost"
    )
    if still_running:
        raise FaultError(
            f"{sentence}; but batch job {still_running[0]} is still running and damages the "
            "restored database too: stop it first (job.stop), then restore again"
        )
    if still_missing or corrupt:
        raise FaultError(
            f"{sentence}; but {still_missing} deleted order(s) are still missing and "
            f"{corrupt} still corrupt: the target is after the damage, so the replay "
            "re-applied it"
        )
    return sentence


def measured(
    target: datetime, seconds: float, lost: dict[int, float], back: list[int], missing: int
) -> dict[str, Any]:
    """What the restore cost and recovered, for the scorecard (RPO)."""
    span = max(lost.values()) - target.timestamp() if lost else 0.0
    return {
        "restore_target": target.astimezone(UTC).isoformat(timespec="milliseconds"),
        "restore_s": seconds,
        "lost_orders": len(lost),
        "lost_span_s": round(max(span, 0.0), 3),
        "restored_orders": len(back),
        "still_missing": missing,
        # The records themselves, for the review (the counts above are complete).
        "lost_ids": sorted(lost)[:LISTED],
        "restored_ids": sorted(back)[:LISTED],
    }

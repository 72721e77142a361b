"""`db.failover_to_replica` on the drill's own cluster: promote the streaming standby
(pg_promote), fence the old primary, point the shop at the standby, and count the
writes the old primary had committed that the standby never received."""

from __future__ import annotations

import time

from simulator.faults.backend import FaultBackend
from simulator.faults.errors import FaultError, NotApplicable
from simulator.faults.kinds.data import missing_rows
from simulator.pgcluster import cluster as pg
from simulator.pgcluster.binaries import ClusterError
from simulator.pgcluster.record import PgCluster, PgNode
from simulator.pgcluster.standby import promote, standby
from simulator.remediation.pitr import customers, orders, record_lost


def resume_replica(backend: FaultBackend, _arg: str | None) -> str:
    """Reopen the standby's WAL stream and resume its replay."""
    cluster = backend.state.pg
    node = standby(cluster) if cluster is not None else None
    if node is None:
        raise NotApplicable("this environment has no streaming standby (the drill's own cluster)")
    backend.require_proxy("replication").set_enabled("replication", True)
    try:
        with pg.connect(node) as conn:
            conn.execute("SELECT pg_wal_replay_resume()")
    except ClusterError as exc:
        raise FaultError(str(exc)) from None
    return f"reopened the WAL stream to {node.name} and resumed its replay"


def failover_to_standby(backend: FaultBackend, cluster: PgCluster, node: PgNode) -> str:
    old = cluster.primary
    begun = time.monotonic()
    try:
        # The simulator's count, not the responder's: the old primary's committed orders.
        before = orders(old) if pg.is_running(old) else {}
        owners = customers(old) if before else {}
        promote(cluster, node)
        if pg.is_running(old):  # fence it: two primaries would split the writes
            pg.stop(cluster, old)
        old.role = "fenced"
        backend.save()
        after = orders(node)
    except ClusterError as exc:
        raise FaultError(f"the failover failed: {exc}") from None
    lost = {i: t for i, t in before.items() if i not in after}
    record_lost(cluster, lost, owners)
    backend.save()
    backend.measured = {
        "lost_orders": len(lost),
        "lost_span_s": round(max(lost.values()) - min(lost.values()), 3) if lost else 0.0,
        "restored_orders": 0,
        "lost_ids": sorted(lost)[:50],
        "restored_ids": [],
        "still_missing": missing_rows(cluster),
        "promote_s": round(time.monotonic() - begun, 3),
    }
    return (
        f"promoted {node.name} (port {node.port}) and fenced {old.name}: "
        f"{len(lost)} order(s) committed on {old.name} never reached the standby and are lost"
    )

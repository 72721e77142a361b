"""Faults on the data itself: rows really deleted from the drill's own PostgreSQL
cluster. Nothing but a restore from backup and WAL brings them back."""

from __future__ import annotations

import time
from typing import Any, Literal

from pydantic import Field

from simulator.faults.backend import FaultBackend
from simulator.faults.base import FaultKind, FaultParams
from simulator.faults.errors import FaultError, NotApplicable
from simulator.faults.kinds.database import DbLock, LockParams
from simulator.pgcluster import cluster as pg
from simulator.pgcluster.binaries import ClusterError
from simulator.pgcluster.record import Damage, PgCluster

MIGRATION = "0042_purge_abandoned_carts"


def own_cluster(backend: FaultBackend, kind: str) -> PgCluster:
    if backend.state.pg is None:
        raise NotApplicable(
            f"{kind} needs the drill's own PostgreSQL cluster (a scenario with "
            "`target: {database: postgres, own_cluster: true}`); this environment has none"
        )
    return backend.state.pg


class BadMigrationParams(FaultParams):
    # pending: the purge forgot its age condition and deletes every unpaid order;
    # all: it deletes every order.
    scope: Literal["pending", "all"] = "pending"
    # The migration then rewrites the table for this long, holding its lock (the
    # shop's order writes wait and fail meanwhile); 0: no rewrite.
    lock_s: float = Field(default=20.0, ge=0, le=600)


class OwnClusterKind(FaultKind):
    """A fault on the drill's own PostgreSQL cluster (its target is the database)."""

    needs_own_cluster = True

    def target(self, params: FaultParams) -> str:
        return "database"

    def databases(self, params: FaultParams) -> frozenset[str]:
        return frozenset({"postgres"})

    def check(self, backend: FaultBackend, params: FaultParams) -> None:
        own_cluster(backend, self.name)


class BadMigration(OwnClusterKind):
    name = "data.bad_migration"
    summary = "a release's migration deletes orders (with their items and payments)"
    params_model = BadMigrationParams

    def inject(
        self, backend: FaultBackend, params: FaultParams, ttl_s: float, fault_id: str
    ) -> dict[str, Any]:
        assert isinstance(params, BadMigrationParams)
        cluster = own_cluster(backend, self.name)
        where = "WHERE status = 'pending'" if params.scope == "pending" else ""
        before = time.time()
        try:
            with pg.connect(cluster.primary) as conn:
                conn.execute(f"SET application_name = 'migrate-{MIGRATION}'")
                with conn.transaction():
                    victims = f"SELECT id FROM orders {where}"
                    conn.execute(f"DELETE FROM payments WHERE order_id IN ({victims})")
                    conn.execute(f"DELETE FROM order_items WHERE order_id IN ({victims})")
                    rows = conn.execute(f"DELETE FROM orders {where} RETURNING id").fetchall()
        except ClusterError as exc:
            raise FaultError(str(exc)) from None
        ids = sorted(int(r[0]) for r in rows)
        cluster.damage.append(Damage(fault_id=fault_id, at=before, table="orders", ids=ids))
        backend.state.deploys.append(
            {
                "version": backend.state.shop.version or "1.0.0",
                "at": before,
                "by": "release pipeline",
                "change": f"migration {MIGRATION}",
            }
        )
        backend.save()
        undo: dict[str, Any] = {"deleted": len(ids), "before": before}
        if params.lock_s > 0:  # the table rewrite: a real session holding the orders lock
            seconds = min(params.lock_s, ttl_s)
            undo["rewrite"] = DbLock().inject(
                backend, LockParams(table="orders"), seconds, fault_id
            )
        return undo

    def revert(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> None:
        # Deleted rows cannot be un-deleted by the fault: only a restore (db.restore
        # --to TIME) brings them back. Ending the fault only ends a rewrite still running.
        if undo.get("rewrite"):
            DbLock().revert(backend, LockParams(table="orders"), undo["rewrite"])

    def is_active(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> bool:
        cluster = backend.state.pg
        if cluster is None:
            return False
        return missing_rows(cluster) > 0


def missing_rows(cluster: PgCluster) -> int:
    """Rows some data fault deleted that the serving node still lacks."""
    ids = sorted({i for d in cluster.damage for i in d.ids})
    if not ids:
        return 0
    try:
        with pg.connect(cluster.primary) as conn:
            row = conn.execute("SELECT count(*) FROM orders WHERE id = ANY(%s)", (ids,)).fetchone()
    except ClusterError as exc:
        raise FaultError(str(exc)) from None
    return len(ids) - int(row[0] if row else 0)


KINDS: list[type[FaultKind]] = [BadMigration]

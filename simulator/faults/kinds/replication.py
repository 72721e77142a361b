"""Faults on the streaming standby of the drill's own cluster: it falls behind."""

from __future__ import annotations

from typing import Any, Literal

from simulator.faults.backend import FaultBackend
from simulator.faults.base import FaultKind, FaultParams
from simulator.faults.errors import FaultError, NotApplicable
from simulator.faults.kinds.data import own_cluster
from simulator.pgcluster import cluster as pg
from simulator.pgcluster.binaries import ClusterError
from simulator.pgcluster.record import PgNode
from simulator.pgcluster.standby import standby

REPLICATION = "replication"


class ReplicaLagParams(FaultParams):
    # stream_cut: the WAL stream to the standby is cut at the chaos proxy, so writes
    # from now on exist only on the primary (promoting the standby loses them);
    # replay_paused: the standby receives WAL but stops applying it (stale reads).
    mode: Literal["stream_cut", "replay_paused"] = "stream_cut"


def _standby(backend: FaultBackend, kind: str) -> PgNode:
    node = standby(own_cluster(backend, kind))
    if node is None:
        raise NotApplicable(f"{kind} needs the drill's streaming standby, and it has none left")
    return node


class ReplicaLag(FaultKind):
    name = "db.replica_lag"
    summary = "the streaming standby falls behind the primary"
    params_model = ReplicaLagParams
    needs_own_cluster = True

    def target(self, params: FaultParams) -> str:
        return "database"

    def databases(self, params: FaultParams) -> frozenset[str]:
        return frozenset({"postgres"})

    def exclusive(self, params: FaultParams, database: str) -> str | None:
        return "the standby's replication"

    def check(self, backend: FaultBackend, params: FaultParams) -> None:
        _standby(backend, self.name)

    def inject(
        self, backend: FaultBackend, params: FaultParams, ttl_s: float, fault_id: str
    ) -> dict[str, Any]:
        assert isinstance(params, ReplicaLagParams)
        node = _standby(backend, self.name)
        if params.mode == "stream_cut":  # the proxy re-opens the stream at its TTL itself
            backend.require_proxy(REPLICATION).set_enabled(REPLICATION, False, ttl_s=ttl_s)
        else:
            self._replay(node, "pause")
        return {}

    def extend(
        self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any], ttl_s: float
    ) -> None:
        assert isinstance(params, ReplicaLagParams)
        if params.mode == "stream_cut":
            backend.require_proxy(REPLICATION).set_enabled(REPLICATION, False, ttl_s=ttl_s)

    def revert(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> None:
        assert isinstance(params, ReplicaLagParams)
        if params.mode == "stream_cut":
            backend.require_proxy(REPLICATION).set_enabled(REPLICATION, True)
            return
        node = standby(backend.state.pg) if backend.state.pg else None
        if node is not None and pg.is_running(node):  # a promoted standby replays nothing
            self._replay(node, "resume")

    def is_active(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> bool:
        assert isinstance(params, ReplicaLagParams)
        if params.mode == "stream_cut":
            proxy = backend.require_proxy(REPLICATION).proxy(REPLICATION)
            return not bool(proxy.get("enabled", True))
        node = standby(backend.state.pg) if backend.state.pg else None
        if node is None or not pg.is_running(node):
            return False
        try:
            with pg.connect(node) as conn:
                row = conn.execute("SELECT pg_is_wal_replay_paused()").fetchone()
        except ClusterError as exc:
            raise FaultError(str(exc)) from None
        return bool(row and row[0])

    @staticmethod
    def _replay(node: PgNode, verb: str) -> None:
        try:
            with pg.connect(node) as conn:
                conn.execute(f"SELECT pg_wal_replay_{verb}()")
        except ClusterError as exc:
            raise FaultError(str(exc)) from None


KINDS: list[type[FaultKind]] = [ReplicaLag]

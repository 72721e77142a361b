"""`data.rogue_job`: a batch job that keeps deleting and corrupting orders until someone
stops it (`job.stop`), so the damage grows while the responder hesitates. Only a
restore brings the rows back, and only once the job is stopped: a restore under a
running job is damaged again.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from pydantic import Field

from simulator.env import services
from simulator.env.state import ServiceRecord
from simulator.faults.backend import FaultBackend
from simulator.faults.base import FaultKind, FaultParams
from simulator.faults.batch_job import APPLICATION
from simulator.faults.errors import FaultError, NotApplicable
from simulator.faults.kinds.data import OwnClusterKind, own_cluster
from simulator.pgcluster import cluster as pg
from simulator.pgcluster.binaries import ClusterError
from simulator.pgcluster.record import BatchJob, Damage, PgCluster

START_WAIT_S = 10.0


class RogueJobParams(FaultParams):
    every_s: float = Field(default=1.0, gt=0.05, le=60)  # one round of damage this often
    delete: int = Field(default=2, ge=0, le=1000)  # newest orders deleted per round
    corrupt: int = Field(default=2, ge=0, le=1000)  # order totals divided by 100 per round
    # Seconds each round holds the orders table against other writers (the shop's
    # lock_timeout is 2 s: longer holds make its order writes fail); 0: no lock.
    hold_s: float = Field(default=0.0, ge=0, le=30)


def _record(job: BatchJob) -> ServiceRecord:
    return ServiceRecord(name="batch-job", pid=job.pid, port=0, argv=job.argv, log=job.log)


def job_running(job: BatchJob) -> bool:
    return services.is_running(_record(job))


def rounds(job: BatchJob) -> list[dict[str, Any]]:
    """What the job did, round by round, from its own damage file."""
    try:
        lines = Path(job.damage_file).read_text().splitlines()
    except OSError:
        return []
    return [json.loads(line) for line in lines if line.strip()]


def harm(job: BatchJob) -> tuple[list[int], list[int]]:
    """The orders older than the job that it deleted, and those it corrupted and did
    not delete later: what a restore to before the job must bring back."""
    deleted: set[int] = set()
    corrupted: set[int] = set()
    for r in rounds(job):
        deleted.update(i for i in r["deleted"] if i <= job.last_id_before)
        corrupted.update(i for i in r["corrupted"] if i <= job.last_id_before)
    return sorted(deleted), sorted(corrupted - deleted)


def deleted_new(cluster: PgCluster) -> dict[int, float]:
    """Orders the jobs deleted that were created after they started (id -> when the
    round deleted them): acknowledged, then lost, and no restore to before the job
    can have them. A restore counts them in its RPO."""
    found: dict[int, float] = {}
    for job in cluster.jobs.values():
        for r in rounds(job):
            for i in r["deleted"]:
                if i > job.last_id_before:
                    found.setdefault(int(i), float(r["at"]))
    return found


def sync_damage(cluster: PgCluster) -> None:
    """Each job's deleted rows in the cluster's damage record (what a restore checks)."""
    for job in cluster.jobs.values():
        deleted, _ = harm(job)
        cluster.damage = [d for d in cluster.damage if d.fault_id != job.fault_id]
        if deleted:
            cluster.damage.append(
                Damage(fault_id=job.fault_id, at=job.started_at, table="orders", ids=deleted)
            )


def corrupt_left(cluster: PgCluster, ids: list[int]) -> int:
    """How many of these orders still have a total that is not the sum of their items."""
    if not ids:
        return 0
    try:
        with pg.connect(cluster.primary) as conn:
            row = conn.execute(
                "SELECT count(*) FROM (SELECT o.id FROM orders o JOIN order_items i "
                "ON i.order_id = o.id WHERE o.id = ANY(%s) GROUP BY o.id, o.total_cents "
                "HAVING o.total_cents <> sum(i.quantity * i.unit_price_cents)) bad",
                (ids,),
            ).fetchone()
    except ClusterError as exc:
        raise FaultError(str(exc)) from None
    return int(row[0]) if row else 0


def running_jobs(cluster: PgCluster) -> list[str]:
    return [name for name, job in cluster.jobs.items() if job_running(job)]


def stop_job(backend: FaultBackend, name: str | None) -> str:
    """`job.stop [APPLICATION]`: stop the batch job and say what it destroyed."""
    if backend.state.pg is None or not backend.state.pg.jobs:
        raise NotApplicable("no batch job runs against this environment's database")
    cluster = backend.state.pg
    name = name or next(iter(running_jobs(cluster)), None) or next(iter(cluster.jobs))
    job = cluster.jobs.get(name)
    if job is None:
        raise FaultError(
            f"no batch job {name!r}; the jobs are {', '.join(sorted(cluster.jobs))} "
            "(their application_name in pg_stat_activity)"
        )
    was_running = job_running(job)
    services.stop(_record(job), grace_s=5)
    if job.stopped_at is None:
        job.stopped_at = time.time()
    sync_damage(cluster)
    backend.save()
    deleted, corrupted = harm(job)
    backend.measured = {
        "job": name,
        "ran_s": round(job.stopped_at - job.started_at, 1),
        "rounds": len(rounds(job)),
        "deleted_orders": len(deleted),
        "corrupted_orders": len(corrupted),
    }
    verb = "stopped" if was_running else "found already stopped"
    return (
        f"{verb} batch job {name} (pid {job.pid}) after {job.stopped_at - job.started_at:.0f}s:"
        f" it deleted {len(deleted)} order(s) and corrupted the totals of {len(corrupted)}"
    )


class RogueJob(OwnClusterKind):
    name = "data.rogue_job"
    summary = "a batch job keeps deleting and corrupting orders until it is stopped"
    params_model = RogueJobParams

    def inject(
        self, backend: FaultBackend, params: FaultParams, ttl_s: float, fault_id: str
    ) -> dict[str, Any]:
        assert isinstance(params, RogueJobParams)
        cluster = own_cluster(backend, self.name)
        # Through the shop's own database endpoint: after a restore it reaches the new server.
        url = backend.state.database_url.replace("postgresql+psycopg://", "postgresql://")
        base = backend.data_dir.parent / f"job-{fault_id}"
        deadline_file = base.with_suffix(".deadline")
        deadline_file.write_text(str(time.time() + ttl_s))
        damage_file = base.with_suffix(".damage")
        damage_file.write_text("")
        argv = [
            sys.executable,
            "-m",
            "simulator.faults.batch_job",
            "--url",
            url,
            "--every-s",
            str(params.every_s),
            "--delete",
            str(params.delete),
            "--corrupt",
            str(params.corrupt),
            "--hold-s",
            str(params.hold_s),
            "--seconds",
            str(ttl_s),
            "--deadline-file",
            str(deadline_file),
            "--damage-file",
            str(damage_file),
        ]
        log = base.with_suffix(".log")
        try:
            with pg.connect(cluster.primary) as conn:
                row = conn.execute("SELECT coalesce(max(id), 0) FROM orders").fetchone()
        except ClusterError as exc:
            raise FaultError(str(exc)) from None
        started = time.time()
        pid = services.spawn_detached(argv, log)
        job = BatchJob(
            application=APPLICATION,
            fault_id=fault_id,
            pid=pid,
            argv=argv,
            log=str(log),
            damage_file=str(damage_file),
            started_at=started,
            last_id_before=int(row[0]) if row else 0,
        )
        deadline = time.monotonic() + START_WAIT_S
        while not (log.exists() and "started" in log.read_text(errors="replace")):
            if not job_running(job) or time.monotonic() > deadline:
                services.stop(_record(job))
                raise FaultError(f"the batch job did not start; its log is {log}")
            time.sleep(0.05)
        cluster.jobs[APPLICATION] = job
        backend.save()
        return {"application": APPLICATION, "deadline_file": str(deadline_file)}

    def extend(
        self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any], ttl_s: float
    ) -> None:
        path = Path(undo["deadline_file"])
        tmp = path.with_suffix(".tmp")
        tmp.write_text(str(time.time() + ttl_s))
        tmp.replace(path)

    def revert(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> None:
        # The job ends with the fault (TTL, abort); the rows it destroyed stay destroyed.
        cluster = backend.state.pg
        job = cluster.jobs.get(undo.get("application", "")) if cluster else None
        if cluster is not None and job is not None:
            services.stop(_record(job), grace_s=5)
            job.stopped_at = job.stopped_at or time.time()
            sync_damage(cluster)
            backend.save()

    def is_active(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> bool:
        cluster = backend.state.pg
        job = cluster.jobs.get(undo.get("application", "")) if cluster else None
        if cluster is None or job is None:
            return False
        if job_running(job):
            return True
        deleted, corrupted = harm(job)
        return damage_left(cluster, deleted, corrupted) > 0


def damage_left(cluster: PgCluster, deleted: list[int], corrupted: list[int]) -> int:
    """Rows the job destroyed that the serving node still lacks or still has corrupt."""
    if not deleted:
        return corrupt_left(cluster, corrupted)
    try:
        with pg.connect(cluster.primary) as conn:
            row = conn.execute(
                "SELECT count(*) FROM orders WHERE id = ANY(%s)", (deleted,)
            ).fetchone()
    except ClusterError as exc:
        raise FaultError(str(exc)) from None
    return len(deleted) - int(row[0] if row else 0) + corrupt_left(cluster, corrupted)


KINDS: list[type[FaultKind]] = [RogueJob]

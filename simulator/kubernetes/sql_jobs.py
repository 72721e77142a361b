"""SQL on the cluster's PostgreSQL, from inside the cluster: Jobs that run `psql`
against the `postgres` Service (chaosdrill itself cannot reach it from outside).

`db.lock` is a Job whose session takes `LOCK TABLE ... IN SHARE MODE` (blocks the
shop's writes, as the local lock holder does) and sleeps; its readiness probe is true
only while PostgreSQL's `pg_locks` shows that lock granted, which is the proof that the
fault landed; `activeDeadlineSeconds` is its TTL on the cluster's side, and the only
one: the session itself sleeps up to the longest TTL a fault may have, so extending a
drill patches the Job's deadline (`extend_lock`) and the lock is held on. When the
deadline passes or the Job is deleted (foreground), its pod is killed; the server
notices the vanished client within a second (`client_connection_check_interval`, which
pg_sleep would otherwise ignore), ends the session and so releases the lock.
`db.kill_long_queries` is a one-shot Job with the local action's query.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from typing import Any

from simulator.faults.limits import MAX_TTL_S
from simulator.kubernetes.chaos import Scope
from simulator.kubernetes.client import KubeApi, KubeError
from simulator.kubernetes.labels import FAULT_LABEL, owner_labels

PSQL_IMAGE = "postgres:15"
APP_NAME = "nightly-report"  # what an operator sees in pg_stat_activity, as locally
LONG_QUERY_S = 5  # the local action's threshold (simulator.remediation.actions)
JOB_BOUND_S = 60.0
POLL_S = 0.5

_ENV = [
    {"name": "PGHOST", "value": "postgres"},
    {"name": "PGUSER", "value": "chaosdrill"},
    {"name": "PGDATABASE", "value": "shop"},
    {"name": "PGAPPNAME", "value": APP_NAME},
    # PostgreSQL 14+: a session in pg_sleep checks every second that its client is still
    # there, so the lock goes with the pod (a deletion, the Job's deadline).
    {"name": "PGOPTIONS", "value": "-c client_connection_check_interval=1000"},
    {
        "name": "PGPASSWORD",
        "valueFrom": {"secretKeyRef": {"name": "chaosdrill-secrets", "key": "postgres-password"}},
    },
]
_RESOURCES = {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"memory": "64Mi"}}

KILL_SQL = (
    "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid() AND ("
    f"(state = 'active' AND now() - xact_start > interval '{LONG_QUERY_S} seconds') OR "
    "(state LIKE 'idle in transaction%' AND now() - xact_start > interval '60 seconds'))"
)


def _job(
    name: str, labels: dict[str, str], container: dict[str, Any], scope: Scope
) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": scope.namespace, "labels": labels},
        "spec": {
            "backoffLimit": 0,  # a failed lock or kill is reported, not retried
            "ttlSecondsAfterFinished": 300,
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "restartPolicy": "Never",
                    "terminationGracePeriodSeconds": 0,  # deleted: the session ends now
                    "containers": [
                        {"image": PSQL_IMAGE, "env": _ENV, "resources": _RESOURCES, **container}
                    ],
                },
            },
        },
    }


def lock_job(table: str, ttl_s: float, fault_id: str, scope: Scope) -> dict[str, Any]:
    seconds = max(1, math.ceil(ttl_s))
    labels = {**owner_labels(scope.env_id), FAULT_LABEL: fault_id}
    held = (
        "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
        f"WHERE c.relname = '{table}' AND l.mode = 'ShareLock' AND l.granted"
    )
    container = {
        "name": "lock",
        "command": [
            "psql",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            f'BEGIN; LOCK TABLE "{table}" IN SHARE MODE; SELECT pg_sleep({MAX_TTL_S:.0f});',
        ],
        "readinessProbe": {
            "exec": {"command": ["sh", "-c", f'test "$(psql -tAc "{held}")" -ge 1']},
            "periodSeconds": 1,
        },
    }
    job = _job(f"chaosdrill-{fault_id}-lock", labels, container, scope)
    job["spec"]["activeDeadlineSeconds"] = seconds  # the TTL, enforced by the cluster
    return job


def extend_lock(api: KubeApi, name: str, ttl_s: float) -> None:
    """Move the lock Job's deadline to `ttl_s` from now: `activeDeadlineSeconds` counts
    from the Job's start, so the new value is its age plus what is left."""
    job = api.job(name)
    if job is None or job.status.start_time is None:
        return  # gone (reverted, or its deadline passed): nothing to extend
    age = (datetime.now(UTC) - job.status.start_time).total_seconds()
    api.patch_job(name, {"spec": {"activeDeadlineSeconds": max(1, math.ceil(age + ttl_s))}})


def kill_job(scope: Scope, stamp: str) -> dict[str, Any]:
    labels = owner_labels(scope.env_id)
    container = {"name": "kill", "command": ["psql", "-v", "ON_ERROR_STOP=1", "-c", KILL_SQL]}
    return _job(f"chaosdrill-kill-{stamp}", labels, container, scope)


def _wait(api: KubeApi, name: str, done: str, bound_s: float) -> bool:
    deadline = time.monotonic() + bound_s
    for _ in range(max(1, int(bound_s / POLL_S)) + 1):
        job = api.job(name)
        if job is None:
            return False
        status = job.status
        if (getattr(status, done) or 0) >= 1:
            return True
        if status.failed or time.monotonic() >= deadline:
            return False
        time.sleep(POLL_S)
    return False


def hold_lock(api: KubeApi, job: dict[str, Any]) -> str:
    """Create the lock Job and wait until its session holds the lock, or delete it."""
    name = str(job["metadata"]["name"])
    api.create_job(job)
    try:
        if not _wait(api, name, "ready", JOB_BOUND_S):
            raise KubeError(
                f"job/{name} did not hold its lock within {JOB_BOUND_S:g}s (another session "
                "holds it, or PostgreSQL is not ready); the job was deleted"
            )
    except KubeError:
        api.delete_job(name)
        raise
    return name


def release(api: KubeApi, name: str) -> None:
    """Delete the lock Job and wait until it is gone: its pod, and so the session and
    the lock, are gone first (foreground deletion)."""
    api.delete_job(name)
    deadline = time.monotonic() + JOB_BOUND_S
    for _ in range(max(1, int(JOB_BOUND_S / POLL_S)) + 1):
        if api.job(name) is None:
            return
        if time.monotonic() >= deadline:
            break
        time.sleep(POLL_S)
    raise KubeError(f"job/{name} was not gone within {JOB_BOUND_S:g}s of its deletion")


def run_kill(api: KubeApi, scope: Scope) -> str:
    job = kill_job(scope, str(int(time.time())))
    name = str(job["metadata"]["name"])
    api.create_job(job)
    if not _wait(api, name, "succeeded", JOB_BOUND_S):
        raise KubeError(f"job/{name} did not finish within {JOB_BOUND_S:g}s; see its pod's log")
    return name

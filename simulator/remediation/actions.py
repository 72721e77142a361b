"""The remediation actions. Each really acts on the target, like an operator would."""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg

from simulator.faults.backend import FaultBackend
from simulator.faults.errors import FaultError, NotApplicable
from simulator.faults.kinds.disk import SCRATCH
from simulator.faults.kinds.process import rollback_to
from simulator.faults.kinds.rogue import stop_job
from simulator.pgcluster.standby import standby
from simulator.remediation.credentials import (
    block_client,
    lock_accounts,
    notify_users,
    reset_accounts,
    revoke_key,
    rotate_keys,
)
from simulator.remediation.integrity import (
    backup_list,
    data_verify,
    users_notify,
    writes_resume,
    writes_stop,
)
from simulator.remediation.pitr import point_in_time
from simulator.remediation.promote import failover_to_standby, resume_replica
from simulator.remediation.table import FEATURES

LONG_QUERY_S = 5.0


@dataclass(frozen=True)
class Action:
    name: str
    summary: str
    run: Callable[[FaultBackend, str | None], str]  # returns what it did, in one sentence
    arg: str | None = None  # the name of its argument, if it takes one
    restarts_shop: bool = False
    default_arg: str | None = None  # what it acts on when the argument is left out


def restart(backend: FaultBackend, _arg: str | None) -> str:
    backend.restart_service("shop")
    return f"restarted the shop (pid {backend.state.shop.pid})"


def scale_up(backend: FaultBackend, _arg: str | None) -> str:
    shop = backend.state.shop
    size = int(shop.env.get("TARGET_POOL_SIZE", "5")) * 2
    overflow = int(shop.env.get("TARGET_MAX_OVERFLOW", "5")) * 2
    backend.restart_service(
        "shop", env={"TARGET_POOL_SIZE": str(size), "TARGET_MAX_OVERFLOW": str(overflow)}
    )
    return f"scaled the shop up to a pool of {size}+{overflow} connections"


def rollback(backend: FaultBackend, _arg: str | None) -> str:
    current = backend.state.shop.version or "1.0.0"
    earlier = [str(d["version"]) for d in backend.state.deploys if d["version"] != current]
    if not earlier:
        raise FaultError(f"release {current} is the only one deployed; nothing to roll back to")
    rollback_to(backend, earlier[-1], by="responder")
    return f"rolled back from {current} to {earlier[-1]}"


def kill_long_queries(backend: FaultBackend, _arg: str | None) -> str:
    if backend.is_postgres:
        url = backend.state.database_direct_url or backend.state.database_url
        with psycopg.connect(
            url.replace("postgresql+psycopg://", "postgresql://"),
            autocommit=True,
            connect_timeout=3,
        ) as conn:
            rows = conn.execute(
                "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() AND ("
                "(state = 'active' AND now() - xact_start > make_interval(secs => %s)) OR "
                "(state LIKE 'idle in transaction%%' AND now() - xact_start > interval '60s'))",
                (LONG_QUERY_S,),
            ).fetchall()
        return f"terminated {len(rows)} long-running database session(s)"
    # SQLite has no sessions to kill: find the processes other than the shop
    # that hold the database file open, as `fuser` would, and kill them.
    db_file = Path(backend.state.database_url.removeprefix("sqlite:///")).resolve()
    killed = [pid for pid in holders_of(db_file) if pid != backend.state.shop.pid]
    for pid in killed:
        os.kill(pid, signal.SIGKILL)
    return f"killed {len(killed)} process(es) holding {db_file.name} open"


def holders_of(path: Path) -> list[int]:
    """Pids of our user's processes that have `path` open, as `fuser` would list."""
    uid = os.getuid()
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:  # a process may exit while we look at it
            if proc.stat().st_uid != uid:
                continue
            fds = list((proc / "fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if Path(os.readlink(fd)) == path:
                    pids.append(int(proc.name))
                    break
            except OSError:
                continue
    return pids


def restore_db(backend: FaultBackend, arg: str | None) -> str:
    if arg:  # a point in time: restore the drill's own cluster from backup and WAL
        return point_in_time(backend, arg)
    proxy = backend.require_proxy("database")
    proxy.set_enabled("database", True)
    for toxic in proxy.toxics("database"):
        proxy.remove_toxic("database", str(toxic["name"]))
    if "replication" in backend.state.proxies:  # the standby's link to the primary too
        proxy.set_enabled("replication", True)
        return "brought the database endpoint and the standby's WAL stream back up"
    return "brought the database endpoint back up"


def failover(backend: FaultBackend, _arg: str | None) -> str:
    node = standby(backend.state.pg) if backend.state.pg is not None else None
    if backend.state.pg is not None and node is not None:  # a real standby: promote it
        done = failover_to_standby(backend, backend.state.pg, node)
        backend.state.database_url = backend.state.database_replica_url or node.url
        backend.restart_service("shop")
        return done + "; the shop now writes to it"
    if not backend.state.database_replica_url:
        raise NotApplicable("this environment has no database replica (PostgreSQL only)")
    backend.state.database_url = backend.state.database_replica_url
    backend.restart_service("shop")
    return "pointed the shop at the replica and restarted it"


def notify(backend: FaultBackend, arg: str | None) -> str:
    if not arg and backend.state.pg is not None:  # a data incident: from the integrity report
        return users_notify(backend, arg)
    return notify_users(backend, arg)


def clear_cache(backend: FaultBackend, _arg: str | None) -> str:
    dropped = backend.shop_chaos("POST", "/admin/cache/clear")["dropped"]
    return f"cleared the recommendations cache ({dropped} entries)"


def disable_feature(backend: FaultBackend, arg: str | None) -> str:
    if arg not in FEATURES:
        raise FaultError(
            f"feature.disable takes a feature name: {', '.join(FEATURES)} (got {arg!r})"
        )
    backend.shop_chaos("PUT", "/chaos/flags", {f"{arg}_enabled": False})
    return f"disabled the {arg} feature"


def switch_backup(backend: FaultBackend, _arg: str | None) -> str:
    backend.shop_chaos("PUT", "/chaos/flags", {"payment_provider": "backup"})
    return "switched payments to the backup provider"


def cleanup_disk(backend: FaultBackend, _arg: str | None) -> str:
    scratch = backend.data_dir / SCRATCH
    freed = 0
    if scratch.exists():
        for item in scratch.iterdir():
            freed += item.stat().st_size
            if item.is_dir():
                shutil.rmtree(item)
            else:
                item.unlink()
    return f"freed {freed / 1024 / 1024:.1f} MiB in {scratch}"


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in [
        Action("service.restart", "restart the shop process", restart, restarts_shop=True),
        Action(
            "deploy.rollback", "deploy the previous release again", rollback, restarts_shop=True
        ),
        Action(
            "db.kill_long_queries",
            f"kill database sessions busy for > {LONG_QUERY_S:.0f}s",
            kill_long_queries,
        ),
        Action(
            "db.restore",
            "bring the database endpoint back; with a time, restore the database to it "
            "from base backup and WAL",
            restore_db,
            arg="to",
            default_arg="",
        ),
        Action(
            "db.failover_to_replica",
            "point the shop at the database replica",
            failover,
            restarts_shop=True,
        ),
        Action(
            "service.scale_up",
            "restart the shop with twice the capacity",
            scale_up,
            restarts_shop=True,
        ),
        Action("cache.clear", "empty the recommendations cache", clear_cache),
        Action(
            "db.replica_resume",
            "reopen the standby's WAL stream and resume its replay",
            resume_replica,
        ),
        Action(
            "feature.disable", "switch off a non-critical feature", disable_feature, arg="feature"
        ),
        Action("dependency.switch_backup", "send payments to the backup provider", switch_backup),
        Action("disk.cleanup", "delete scratch files in the data directory", cleanup_disk),
        Action(
            "key.revoke", "revoke one API key (401 from its next request)", revoke_key, arg="key"
        ),
        Action(
            "keys.rotate", "new secrets for every API key of an owner", rotate_keys, arg="owner"
        ),
        Action("client.block", "refuse a client address (403)", block_client, arg="address"),
        Action(
            "users.notify",
            "notify the affected customers: those whose records a key exported (the "
            "audit log), or, without a key, those the integrity report finds affected",
            notify,
            arg="key",
            default_arg="",
        ),
        Action(
            "accounts.lock",
            "lock customer accounts: every login refused (EMAIL[,EMAIL...])",
            lock_accounts,
            arg="emails",
        ),
        Action(
            "accounts.reset",
            "force a password reset of customer accounts (EMAIL[,EMAIL...])",
            reset_accounts,
            arg="emails",
        ),
        Action(
            "job.stop",
            "stop a batch job (by its application_name) that writes to the database",
            stop_job,
            arg="application",
            default_arg="",
        ),
        Action("writes.stop", "refuse every write with 503, reads go on", writes_stop),
        Action("writes.resume", "accept writes again", writes_resume),
        Action("backup.list", "base backups and the WAL range a restore can reach", backup_list),
        Action(
            "data.verify",
            "integrity report: counts, orders checksum, references, corrupt totals",
            data_verify,
        ),
    ]
}

"""Faults on the shop's database: outage, latency, a lock held by a long query."""

from __future__ import annotations

import sys
import time
from abc import abstractmethod
from pathlib import Path
from typing import Any

from pydantic import Field

from simulator.env import services
from simulator.env.state import ServiceRecord
from simulator.faults.backend import FaultBackend
from simulator.faults.base import FaultKind, FaultParams
from simulator.faults.errors import FaultError, NotApplicable

DB_PROXY = "database"
POSTGRES_ONLY = frozenset({"postgres"})
LOCK_WAIT_S = 10.0  # the holder gives up on a lock held elsewhere after its own WAIT_S (5 s)


def require_postgres(backend: FaultBackend, kind: str) -> None:
    if not backend.is_postgres:
        raise NotApplicable(
            f"{kind} needs the shop on PostgreSQL behind the chaos proxy, and this "
            "environment runs SQLite in-process; start it with "
            "`chaosdrill env up --database-url postgresql+psycopg://...`"
        )


class DbDown(FaultKind):
    name = "db.down"
    summary = "the database becomes unreachable: connections refused, open ones dropped"

    def target(self, params: FaultParams) -> str:
        return "database"

    def databases(self, params: FaultParams) -> frozenset[str]:
        return POSTGRES_ONLY

    def exclusive(self, params: FaultParams, database: str) -> str | None:
        return "the database's link (its proxy)"

    def check(self, backend: FaultBackend, params: FaultParams) -> None:
        require_postgres(backend, self.name)

    def inject(
        self, backend: FaultBackend, params: FaultParams, ttl_s: float, fault_id: str
    ) -> dict[str, Any]:
        backend.require_proxy(DB_PROXY).set_enabled(DB_PROXY, False, ttl_s=ttl_s)
        return {}

    def extend(
        self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any], ttl_s: float
    ) -> None:
        backend.require_proxy(DB_PROXY).set_enabled(DB_PROXY, False, ttl_s=ttl_s)

    def revert(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> None:
        backend.require_proxy(DB_PROXY).set_enabled(DB_PROXY, True)

    def is_active(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> bool:
        return not bool(backend.require_proxy(DB_PROXY).proxy(DB_PROXY).get("enabled", True))


class DbLatencyParams(FaultParams):
    ms: float = Field(default=300, gt=0, le=60_000)
    jitter_ms: float = Field(default=0, ge=0, le=60_000)


class ToxicFault(FaultKind):
    """A fault that is one toxic on a proxy, removed by the proxy at its TTL."""

    def proxy_name(self, params: FaultParams) -> str:
        return DB_PROXY

    @abstractmethod
    def toxic(self, params: FaultParams) -> tuple[str, dict[str, Any], float]:
        """The toxic's type, attributes and toxicity."""

    def inject(
        self, backend: FaultBackend, params: FaultParams, ttl_s: float, fault_id: str
    ) -> dict[str, Any]:
        proxy = self.proxy_name(params)
        kind, attributes, toxicity = self.toxic(params)
        backend.require_proxy(proxy).add_toxic(
            proxy, fault_id, kind, attributes, toxicity=toxicity, ttl_s=ttl_s
        )
        return {"proxy": proxy, "toxic": fault_id}

    def extend(
        self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any], ttl_s: float
    ) -> None:
        if undo:
            backend.require_proxy(undo["proxy"]).extend_toxic(undo["proxy"], undo["toxic"], ttl_s)

    def revert(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> None:
        if undo:
            backend.require_proxy(undo["proxy"]).remove_toxic(undo["proxy"], undo["toxic"])

    def is_active(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> bool:
        if not undo:
            return False
        toxics = backend.require_proxy(undo["proxy"]).toxics(undo["proxy"])
        return any(t.get("name") == undo["toxic"] for t in toxics)


class DbLatency(ToxicFault):
    name = "db.latency"
    summary = "every database round trip is slower by ms"
    params_model = DbLatencyParams

    def target(self, params: FaultParams) -> str:
        return "database"

    def databases(self, params: FaultParams) -> frozenset[str]:
        return POSTGRES_ONLY

    def check(self, backend: FaultBackend, params: FaultParams) -> None:
        require_postgres(backend, self.name)

    def toxic(self, params: FaultParams) -> tuple[str, dict[str, Any], float]:
        assert isinstance(params, DbLatencyParams)
        return "latency", {"latency": int(params.ms), "jitter": int(params.jitter_ms)}, 1.0


class LockParams(FaultParams):
    table: str = Field(default="products", pattern=r"^[a-z_]+$")


class DbLock(FaultKind):
    name = "db.lock"
    summary = "a long-running query holds a lock that blocks the shop's writes"
    params_model = LockParams

    def target(self, params: FaultParams) -> str:
        return "database"

    def exclusive(self, params: FaultParams, database: str) -> str | None:
        assert isinstance(params, LockParams)
        if database == "sqlite":  # SQLite has one write lock for the whole file
            return "SQLite's one write lock"
        return f"a lock on table {params.table!r}"

    def inject(
        self, backend: FaultBackend, params: FaultParams, ttl_s: float, fault_id: str
    ) -> dict[str, Any]:
        assert isinstance(params, LockParams)
        if backend.is_postgres:
            url = backend.state.database_direct_url or backend.state.database_url
            url = url.replace("postgresql+psycopg://", "postgresql://")
        else:
            url = str(Path(backend.state.database_url.removeprefix("sqlite:///")))
        argv = [
            sys.executable,
            "-m",
            "simulator.faults.lock_holder",
            "--url",
            url,
            "--table",
            params.table,
            "--seconds",
            str(ttl_s),
        ]
        log = backend.data_dir.parent / f"lock-{fault_id}.log"
        # The holder re-reads its deadline here, so an extended drill keeps the lock.
        deadline_file = backend.data_dir.parent / f"lock-{fault_id}.deadline"
        deadline_file.write_text(str(time.time() + ttl_s))
        argv += ["--deadline-file", str(deadline_file)]
        pid = services.spawn_detached(argv, log)
        record = ServiceRecord(name="lock-holder", pid=pid, port=0, argv=argv, log=str(log))
        deadline = time.monotonic() + LOCK_WAIT_S
        while "locked" not in _read(log).splitlines():
            running = services.is_running(record)
            if not running or time.monotonic() > deadline:
                services.stop(record)
                raise FaultError(_lock_failure(params.table, _read(log), running, log))
            time.sleep(0.05)
        return {"pid": pid, "argv": argv, "log": str(log), "deadline_file": str(deadline_file)}

    def extend(
        self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any], ttl_s: float
    ) -> None:
        if undo.get("deadline_file"):
            path = Path(undo["deadline_file"])
            tmp = path.with_suffix(".tmp")
            tmp.write_text(str(time.time() + ttl_s))
            tmp.replace(path)

    def revert(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> None:
        if undo:
            services.stop(_holder(undo), grace_s=2)

    def is_active(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> bool:
        return bool(undo) and services.is_running(_holder(undo))


def _holder(undo: dict[str, Any]) -> ServiceRecord:
    return ServiceRecord(
        name="lock-holder",
        pid=int(undo["pid"]),
        port=0,
        argv=list(undo["argv"]),
        log=str(undo.get("log", "")),
    )


def _lock_failure(table: str, output: str, running: bool, log: Path) -> str:
    """Why the lock holder has no lock, in one sentence that is never empty."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    said = next((line for line in reversed(lines) if line.startswith("cannot lock: ")), None)
    if said is not None:
        reason = said.removeprefix("cannot lock: ")
    elif running:
        reason = (
            f"it got no lock within {LOCK_WAIT_S:g}s, so another session holds it"
            " (another db.lock fault?)"
        )
    elif lines:
        reason = f"it exited saying {lines[-1][-200:]!r}"
    else:
        reason = f"it exited without saying why (its log: {log})"
    return f"the lock holder could not take its lock on table {table!r}: {reason}"


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


KINDS: list[type[FaultKind]] = [DbDown, DbLatency, DbLock]

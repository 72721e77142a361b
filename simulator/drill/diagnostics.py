"""What a responder can look at: the same views for a trainee and the autopilot.

Each view reads the target the way an operator would (HTTP health checks, the
shop's JSON access log, /proc, the database's own activity views, the deploy
history) and never the fault journal or the scenario's answer key.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg

from simulator.drill import baseline
from simulator.drill.accesslog import access_log
from simulator.drill.affected import customers, storefront
from simulator.env.http import client
from simulator.env.state import EnvState, process_state
from simulator.faults.errors import FaultError
from simulator.pgcluster import audit, standby
from simulator.platform.registry import platform_for
from simulator.remediation.actions import holders_of
from simulator.security import views as security_views

LOG_TAIL_BYTES = 2_000_000
VIEWS = (
    "health",
    "routes",
    "customers",
    "storefront",
    "logs",
    "deploys",
    "database",
    "host",
    "dependencies",
    "audit",
    "leaks",
)


def _get(url: str, timeout: float = 1.0) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        response = client().get(url, timeout=timeout)
    except httpx.HTTPError as exc:
        return {
            "ok": False,
            "error": type(exc).__name__,
            "ms": round((time.perf_counter() - start) * 1000),
        }
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text[:200]
    return {
        "ok": response.status_code == 200,
        "status": response.status_code,
        "body": body,
        "ms": round((time.perf_counter() - start) * 1000),
    }


def health(state: EnvState) -> dict[str, Any]:
    """Liveness and readiness of the shop, as a load balancer sees them."""
    return {
        "healthz": _get(f"{state.shop.url}/healthz"),
        "readyz": _get(f"{state.shop.url}/readyz", timeout=2.0),
    }


def routes(state: EnvState, window_s: float = 10.0) -> dict[str, Any]:
    """Per route over the last window: requests, 5xx share, latency percentiles and,
    once the drill has recorded its steady-state baseline, how much slower each
    route (and the whole site) is than it was then."""
    now = baseline.summarize(access_log(state, time.time() - window_s))
    base = baseline.load(Path(state.state_dir))
    degraded = baseline.degradations(now, base) if base else {}
    summary = {}
    for route, stats in now.items():
        row: dict[str, Any] = {
            "requests": stats.requests,
            "errors_5xx": stats.errors_5xx,
            "error_share": round(stats.error_share, 3),
            "p50_ms": stats.p50_ms,
            "p90_ms": stats.p90_ms,
            "p99_ms": stats.p99_ms,
        }
        if base and route in base:
            row["baseline_p50_ms"] = base[route].p50_ms
            row["degraded_pct"] = degraded.get(route)
        summary[route] = row
    return {
        "window_s": window_s,
        "baseline": "recorded" if base else "not recorded yet",
        "site_degraded_pct": baseline.site_degradation(now, base) if base else None,
        "routes": summary,
    }


def logs(
    state: EnvState, window_s: float = 30.0, level: str = "error", limit: int = 50
) -> dict[str, Any]:
    """The shop's recent log lines at `level` (error log by default)."""
    entries = [
        e
        for e in access_log(state, time.time() - window_s)
        if e.get("level") == level or level == "all"
    ]
    return {"window_s": window_s, "lines": entries[-limit:]}


def deploys(state: EnvState) -> dict[str, Any]:
    """What changed: the deploy history (newest last), the release running now, and
    the feature flags set away from their defaults (the flag store's audit view)."""
    try:
        chaos = platform_for(state.backend).backend(state).shop_chaos_state() or {}
    except FaultError:
        chaos = {}
    return {
        "running": state.shop.version,
        "history": state.deploys,
        "flags_changed": chaos.get("flags_changed", {}),
    }


def database(state: EnvState) -> dict[str, Any]:
    """Database activity: sessions and how long they have been busy; pool use."""
    pool = _pool(state)
    if state.database_kind == "postgres" and state.database_direct_url:
        url = state.database_direct_url.replace("postgresql+psycopg://", "postgresql://")
        try:
            with psycopg.connect(url, connect_timeout=2, autocommit=True) as conn:
                rows = conn.execute(
                    "SELECT pid, application_name, state, "
                    "round(extract(epoch FROM now() - query_start)::numeric, 1), "
                    "wait_event_type, left(query, 120) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "ORDER BY query_start"
                ).fetchall()
                start = time.perf_counter()
                conn.execute("SELECT 1")
                direct_ms = (time.perf_counter() - start) * 1000
        except psycopg.Error as exc:
            return {"kind": "postgres", "error": str(exc).splitlines()[0], "pool": pool}
        sessions = [
            {
                "pid": r[0],
                "application": r[1],
                "state": r[2],
                "busy_s": float(r[3]) if r[3] is not None else None,
                "waiting_on": r[4],
                "query": r[5],
            }
            for r in rows
        ]
        found = {
            "kind": "postgres",
            "sessions": sessions,
            "pool": pool,
            "round_trip_ms": {
                "from_db_host": round(direct_ms, 1),
                "from_app_host": _app_round_trip(state),
            },
        }
        if state.pg is not None:  # the drill's own cluster: its audit trail and backups
            found["audit"] = audit.statements(state.pg)
            found["writers"] = audit.writers(state.pg)
            found["backups"] = audit.backups(state.pg)
            found["replication"] = standby.lag(state.pg)
        return found
    db_file = Path(state.database_url.removeprefix("sqlite:///")).resolve()
    others = [
        {"pid": pid, "program": _program(pid), "running_for_s": _age_s(pid)}
        for pid in holders_of(db_file)
        if pid != state.shop.pid
    ]
    return {
        "kind": "sqlite",
        "file": str(db_file),
        "other_processes_with_file_open": others,
        "pool": pool,
    }


def _app_round_trip(state: EnvState) -> float | None:
    """SELECT 1 over the network path the shop uses (the proxy in front of the DB)."""
    url = state.database_url.replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(url, connect_timeout=2, autocommit=True) as conn:
            start = time.perf_counter()
            conn.execute("SELECT 1")
            return round((time.perf_counter() - start) * 1000, 1)
    except psycopg.Error:
        return None


def _pool(state: EnvState) -> dict[str, float]:
    try:
        text = client().get(f"{state.shop.url}/metrics", timeout=1.0).text
    except httpx.HTTPError:
        return {}
    wanted = ("db_pool_checked_out", "db_pool_size", "db_pool_overflow")
    return {
        name: float(line.split()[-1])
        for line in text.splitlines()
        for name in wanted
        if line.startswith(name + " ")
    }


def _program(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "?"
    return Path(raw.split(b"\0")[0].decode(errors="replace")).name


def _age_s(pid: int) -> float | None:
    """How long a process has been running (from /proc, like `ps -o etimes`)."""
    try:
        start_ticks = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return round(uptime - start_ticks / os.sysconf("SC_CLK_TCK"), 1)


def host(state: EnvState) -> dict[str, Any]:
    """The shop's process (state, CPU, memory) and its data directory's disk."""
    pid = state.shop.pid
    proc_state = process_state(pid)
    usage = shutil.disk_usage(state.data_dir)
    info: dict[str, Any] = {
        "process": {
            "pid": pid,
            "state": {None: "not running", "Z": "exited", "T": "stopped"}.get(
                proc_state, "running"
            ),
        },
        "disk": {
            "path": state.data_dir,
            "used_pct": round(100 * usage.used / usage.total, 1),
            "free_mb": round(usage.free / 2**20, 1),
        },
    }
    if proc_state not in (None, "Z"):
        info["process"].update(_cpu_mem(pid))
    view = platform_for(state.backend).process_view(state)
    if view is not None:  # the platform's own view (a container's state) wins over /proc
        info["process"] = view
    return info


def _cpu_mem(pid: int) -> dict[str, float]:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    before = (int(fields[11]) + int(fields[12])) / tick
    time.sleep(0.5)
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    after = (int(fields[11]) + int(fields[12])) / tick
    rss = next(
        int(line.split()[1])
        for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        if line.startswith("VmRSS:")
    )
    return {"cpu_pct": round((after - before) / 0.5 * 100, 1), "rss_mb": round(rss / 1024, 1)}


def dependencies(state: EnvState) -> dict[str, Any]:
    """The payment providers, checked over the same path the shop uses."""
    result = {}
    for name in ("payment", "payment-backup"):
        proxy = state.proxies.get(name)
        if proxy is not None:
            result[name] = _get(f"http://{proxy.listen}/healthz")
    return result


def view(state: EnvState, name: str) -> dict[str, Any]:
    """One named view (the console's diagnostics tabs use the same names)."""
    views = {
        "health": health,
        "routes": routes,
        "customers": customers,
        "storefront": storefront,
        "logs": logs,
        "deploys": deploys,
        "database": database,
        "host": host,
        "dependencies": dependencies,
        "audit": security_views.audit,
        "leaks": security_views.leaks,
    }
    if name not in views:
        raise ValueError(f"unknown diagnostic '{name}'; views are {', '.join(VIEWS)}")
    return views[name](state)

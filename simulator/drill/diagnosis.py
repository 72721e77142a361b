"""From what a responder can see to a diagnosis: area, fix, severity, and why.

Pure: it reads the diagnostic views (`diagnostics.py`) and the alerts that
fired, never the fault journal or the scenario. Each rule names its evidence,
so every decision the autopilot logs says what it was based on.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Collection
from typing import Any

from simulator.drill.data_rules import first_write, rogue_job
from simulator.drill.finding import RECENT_DEPLOY_S, Diagnosis, Views
from simulator.drill.symptoms import (
    errors_after_flag,
    slow_everywhere,
    slow_feature,
    storefront_after_release,
)
from simulator.remediation.table import FEATURE_ROUTES

__all__ = ["RECENT_DEPLOY_S", "RULES", "Diagnosis", "Views", "diagnose", "severity"]
# An API key's secret names its id: cdk_<key id>_<32 hex>.
SECRET = re.compile(r"cdk_([a-z0-9][a-z0-9-]*)_[0-9a-f]{32}")


def _what_runs_it(process: dict[str, Any]) -> str:
    """The shop's process by pid, on Docker its container by name (an exited one has no
    pid), on Kubernetes its pods (no pid of this host)."""
    if "pods" in process:
        return f"the shop's pods ({process.get('ready', '0/0')} ready)"
    if "container" in process:
        name = process["container"]
        return f"the shop's container {name}" if name else "the shop's container (gone)"
    return f"the shop's process (pid {process['pid']})"


def _leaked_key(v: Views) -> Diagnosis | None:
    """A key seen outside (the `leaks` view) that the audit log shows in use: a breach.

    The key that returned the most records wins; a key whose every use was refused
    (a canary, or one already revoked) is no leak in progress."""
    pastes = v.get("leaks", {}).get("found", [])
    leaked = {m for found in pastes for m in SECRET.findall(str(found.get("text", "")))}
    used = [
        row
        for row in v.get("audit", {}).get("by_key_and_client", [])
        if row["key_id"] in leaked and row["requests"] > row["refused"]
    ]
    if not used:
        return None
    worst = max(used, key=lambda row: (row["rows_returned"], row["requests"]))
    key_id = str(worst["key_id"])
    return Diagnosis(
        "security",
        "key.revoke",
        key_id,
        "P0",
        f"API key {key_id} is in a public paste and the audit log shows it exported "
        f"{worst['rows_returned']} customer record(s) to {worst['client']}: a confirmed data leak",
        then=(("users.notify", key_id),),
    )


STUFFING_FAILURES = 8  # failed logins from one address in the audit window (one burst)


def _credential_stuffing(v: Views) -> Diagnosis | None:
    """An address other than the load's that fails logins by the dozen: a stuffing.

    The accounts it did log into are compromised: block the address, then force a
    password reset of those accounts (the playbook's follow-up)."""
    stuffers = [
        row
        for row in v.get("audit", {}).get("logins_by_client", [])
        if row["client"] != "127.0.0.1"
        and row["failed"] >= STUFFING_FAILURES
        and row["failed"] * 2 >= row["attempts"] - row["refused"]
    ]
    if not stuffers:
        return None
    worst = max(stuffers, key=lambda row: (len(row["logged_into"]), row["failed"]))
    client, opened = str(worst["client"]), [str(e) for e in worst["logged_into"]]
    return Diagnosis(
        "security",
        "client.block",
        client,
        "P0" if opened else "P1",
        f"the audit log shows {worst['failed']} failed login(s) from {client} and "
        f"{len(opened)} account(s) it logged into: credential stuffing"
        + (", accounts taken over (a confirmed breach)" if opened else ""),
        then=(("accounts.reset", ",".join(opened)),) if opened else (),
    )


def _process_down(v: Views) -> Diagnosis | None:
    process = v["host"]["process"]
    if process["state"] in ("not running", "exited"):
        return Diagnosis(
            "infrastructure",
            "service.restart",
            None,
            "P0",
            f"{_what_runs_it(process)} is not running and nothing answers on its port",
        )
    return None


def _process_hung(v: Views) -> Diagnosis | None:
    process = v["host"]["process"]
    healthz = v["health"]["healthz"]
    if process["state"] == "stopped" or healthz.get("error") == "ReadTimeout":
        return Diagnosis(
            "infrastructure",
            "service.restart",
            None,
            "P0",
            f"the shop accepts connections but answers nothing (process state: {process['state']})",
        )
    return None


def _disk(v: Views) -> Diagnosis | None:
    disk = v["host"]["disk"]
    if disk["used_pct"] >= 99:
        return Diagnosis(
            "infrastructure",
            "disk.cleanup",
            None,
            None,
            f"the data disk is {disk['used_pct']}% full ({disk['free_mb']} MB free)",
        )
    return None


def _readiness(v: Views) -> dict[str, str]:
    body = v["health"]["readyz"].get("body")
    checks = body.get("checks", {}) if isinstance(body, dict) else {}
    return {str(k): str(val) for k, val in checks.items()}


def _database(v: Views) -> Diagnosis | None:
    db = v["database"]
    pool = db.get("pool", {})
    checks = _readiness(v)
    db_check = checks.get("database", "ok")
    size = pool.get("db_pool_size", 0) * 2  # pool_size + max_overflow (equal by default)
    if db_check != "ok" and size and pool.get("db_pool_checked_out", 0) >= size:
        return Diagnosis(
            "database",
            "service.restart",
            None,
            None,
            f"the connection pool is exhausted ({pool['db_pool_checked_out']:.0f} "
            f"of {size:.0f} checked out) and readiness fails: {db_check}",
        )
    if db_check != "ok" and (
        "error" in db or "refused" in db_check.lower() or "OperationalError" in db_check
    ):
        return Diagnosis(
            "database",
            "db.restore",
            None,
            "P0",
            f"the database is unreachable from the shop: {db_check}",
        )
    return None


DESTRUCTIVE = ("DELETE", "TRUNCATE", "UPDATE", "DROP")


def _data_loss(v: Views) -> Diagnosis | None:
    """A session other than the shop ran a destructive statement on the orders: restore
    to the instant it began (the statement log's timestamp)."""
    audit = v["database"].get("audit") or []
    for entry in audit:
        sql = entry["statement"].lstrip().upper()
        if sql.startswith(DESTRUCTIVE) and " ORDER" in sql:
            # Its first statement, which the latest-20 audit may have scrolled past.
            at = first_write(v, entry["application"]) or entry["at"]
            return Diagnosis(
                "database",
                "db.restore",
                at,
                "P1",
                f"{entry['application']} ran `{entry['statement'][:80]}` at {entry['at']} "
                "and orders the shop acknowledged are gone: restore to just before it",
            )
    return None


def _lock(v: Views) -> Diagnosis | None:
    # Before the symptoms it causes (a hung-looking shop, an exhausted pool): a session
    # or process that holds the database while writes wait is the cause.
    db = v["database"]
    if db.get("kind") == "postgres":
        stuck = [
            s
            for s in db.get("sessions", [])
            if s["state"] == "active"
            and (s["busy_s"] or 0) > 5
            and s["application"] != "chaosdrill-shop"
        ]
        if stuck:
            s = stuck[0]
            return Diagnosis(
                "database",
                "db.kill_long_queries",
                None,
                None,
                f"session {s['pid']} ({s['application'] or 'unnamed'}) has run "
                f"'{s['query'][:60]}' for {s['busy_s']:.0f}s while writes wait",
            )
    else:
        holders = [
            p
            for p in db.get("other_processes_with_file_open", [])
            if (p.get("running_for_s") or 0) > 3
        ]
        if holders:
            p = holders[0]
            return Diagnosis(
                "database",
                "db.kill_long_queries",
                None,
                None,
                f"process {p['pid']} ({p['program']}) has held the database file "
                f"open for {p['running_for_s']:.0f}s while writes fail or wait",
            )
    return None


def _payments(v: Views) -> Diagnosis | None:
    checks = _readiness(v)
    failing = {k: val for k, val in checks.items() if k.startswith("payment") and val != "ok"}
    dep = v["dependencies"].get("payment", {})
    if failing or dep.get("ok") is False:
        why = next(iter(failing.values()), dep.get("error", "unhealthy"))
        return Diagnosis(
            "api",
            "dependency.switch_backup",
            None,
            "P0",
            f"the payment provider is not reachable from the shop ({why}); payments are failing",
        )
    return None


def _errors_by_route(v: Views) -> dict[str, float]:
    return {
        route: r["error_share"] for route, r in v["routes"]["routes"].items() if r["errors_5xx"] > 0
    }


def _deploy(v: Views) -> Diagnosis | None:
    history = v["deploys"]["history"]
    if len(history) < 2:
        return None
    last = history[-1]
    errors = _errors_by_route(v)
    if errors and time.time() - float(last["at"]) < RECENT_DEPLOY_S:
        worst = ", ".join(sorted(errors)[:3])
        return Diagnosis(
            "application",
            "deploy.rollback",
            None,
            None,
            f"release {last['version']} went live {time.time() - last['at']:.0f}s "
            f"ago and 5xx errors followed on {worst}",
        )
    return None


def _feature(v: Views) -> Diagnosis | None:
    errors = {r: share for r, share in _errors_by_route(v).items() if share > 0.2}
    for feature, prefixes in FEATURE_ROUTES.items():
        if errors and all(any(p in route for p in prefixes) for route in errors):
            return Diagnosis(
                "application",
                "feature.disable",
                feature,
                "P2",
                f"errors are confined to the {feature} feature "
                f"({', '.join(sorted(errors))}); the rest of the shop works",
            )
    return None


def _network_to_db(v: Views) -> Diagnosis | None:
    trip = v["database"].get("round_trip_ms") or {}
    app, db = trip.get("from_app_host"), trip.get("from_db_host")
    if app is not None and db is not None and app > 20 and app > 5 * db:
        return Diagnosis(
            "infrastructure",
            "db.failover_to_replica",
            None,
            None,
            f"a database round trip takes {app:.0f} ms from the app host but "
            f"{db:.0f} ms on the database host: the network path is slow",
        )
    return None


def _resources(v: Views) -> Diagnosis | None:
    process = v["host"]["process"]
    if process.get("cpu_pct", 0) > 80:
        return Diagnosis(
            "infrastructure",
            "service.restart",
            None,
            None,
            f"the shop's process burns {process['cpu_pct']:.0f}% CPU",
        )
    if process.get("rss_mb", 0) > 400:
        return Diagnosis(
            "application",
            "cache.clear",
            None,
            None,
            f"the shop's process has grown to {process['rss_mb']:.0f} MB",
        )
    return None


RULES: list[Callable[[Views], Diagnosis | None]] = [
    _leaked_key,
    _credential_stuffing,
    _process_down,
    rogue_job,
    _data_loss,
    _lock,
    _process_hung,
    _disk,
    _database,
    _payments,
    _deploy,
    _feature,
    _network_to_db,
    errors_after_flag,
    storefront_after_release,
    slow_feature,
    slow_everywhere,
    _resources,
]


def diagnose(views: Views, exclude: Collection[str] = ()) -> Diagnosis | None:
    """The first rule whose evidence holds and whose action was not tried yet."""
    for rule in RULES:
        found = rule(views)
        if found is not None and found.action not in exclude:
            return found
    return None


def severity(
    diagnosis: Diagnosis | None, alerts: list[dict[str, Any]], alert_severity: dict[str, str]
) -> tuple[str, str]:
    """The playbook's severity: outages are P0, a non-critical feature P2, the rest
    from the alerts (errors or latency > 1 s: P1; 20-50 % degradation: P2)."""
    if diagnosis is not None and diagnosis.severity is not None:
        return diagnosis.severity, f"{diagnosis.evidence} (playbook: {diagnosis.severity})"
    ranked = sorted(
        {a["severity"] for a in alerts}, key=lambda s: ["critical", "high", "medium"].index(s)
    )
    if not ranked:
        return "P3", "no alert is firing: minimal user impact"
    level = alert_severity.get(ranked[0], "P2")
    if level == "P0":
        level = "P1"  # errors or slowness with the service still up: major, not an outage
    names = ", ".join(sorted({f"{a['name']}/{a['severity']}" for a in alerts}))
    return level, f"alerts firing: {names}; the service is up, so not an outage"

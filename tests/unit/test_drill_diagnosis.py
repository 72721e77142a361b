"""Diagnosis rules over hand-built diagnostic views (simulator/drill/diagnosis.py).

The views have the shapes `simulator/drill/diagnostics.py` returns; `healthy_views()`
is a shop with nothing wrong, and each test breaks one thing.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from scoring.playbook import Playbook, load_playbook
from simulator.drill.diagnosis import RULES, Diagnosis, Views, diagnose, severity

PLAYBOOK: Playbook = load_playbook()
ALERT_SEVERITY = dict(PLAYBOOK.alert_severity)


def _route(requests: int, errors: int) -> dict[str, Any]:
    return {
        "requests": requests,
        "errors_5xx": errors,
        "error_share": round(errors / requests, 3),
        "p50_ms": 4.0,
        "max_ms": 30.0,
    }


def healthy_views(kind: str = "sqlite") -> Views:
    """Every view of a shop that works (the shapes of diagnostics.view())."""
    ready = {
        "status": "ready",
        "checks": {"database": "ok", "payment_provider:primary": "ok"},
        "failed": [],
    }
    database: dict[str, Any] = {
        "kind": "sqlite",
        "file": "/tmp/shop.db",
        "other_processes_with_file_open": [],
        "pool": {"db_pool_checked_out": 1.0, "db_pool_size": 5.0, "db_pool_overflow": 0.0},
    }
    if kind == "postgres":
        database = {
            "kind": "postgres",
            "sessions": [
                {
                    "pid": 4101,
                    "application": "chaosdrill-shop",
                    "state": "idle",
                    "busy_s": 0.1,
                    "waiting_on": "Client",
                    "query": "SELECT 1",
                }
            ],
            "pool": database["pool"],
            "round_trip_ms": {"from_db_host": 0.4, "from_app_host": 0.9},
        }
    return {
        "health": {
            "healthz": {"ok": True, "status": 200, "body": {"status": "ok"}, "ms": 2},
            "readyz": {"ok": True, "status": 200, "body": ready, "ms": 5},
        },
        "routes": {
            "window_s": 10.0,
            "routes": {
                "GET /products": _route(120, 0),
                "GET /recommendations/{customer_id}": _route(40, 0),
                "POST /orders": _route(30, 0),
            },
        },
        "logs": {"window_s": 30.0, "lines": []},
        "deploys": {
            "running": "1.0.0",
            "history": [
                {"version": "1.0.0", "at": time.time() - 3600, "by": "env up", "change": "initial"}
            ],
        },
        "database": database,
        "host": {
            "process": {"pid": 4242, "state": "running", "cpu_pct": 35.0, "rss_mb": 90.0},
            "disk": {"path": "/tmp/drill", "used_pct": 41.0, "free_mb": 12000.0},
        },
        "dependencies": {
            "payment": {"ok": True, "status": 200, "body": {"status": "ok"}, "ms": 3},
            "payment-backup": {"ok": True, "status": 200, "body": {"status": "ok"}, "ms": 3},
        },
    }


def not_ready(views: Views, check: str, message: str) -> None:
    readyz = views["health"]["readyz"]
    readyz.update(ok=False, status=503)
    readyz["body"]["status"] = "not ready"
    readyz["body"]["checks"][check] = message
    readyz["body"]["failed"].append(check)


def found(views: Views, exclude: tuple[str, ...] = ()) -> Diagnosis:
    result = diagnose(views, exclude)
    assert result is not None, "expected a diagnosis"
    return result


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_healthy_shop_has_no_diagnosis(kind: str) -> None:
    assert diagnose(healthy_views(kind)) is None


def test_idle_process_fields_may_be_missing() -> None:
    views = healthy_views()
    del views["host"]["process"]["cpu_pct"], views["host"]["process"]["rss_mb"]
    assert diagnose(views) is None


@pytest.mark.parametrize("state", ["not running", "exited"])
def test_process_down_means_restart_and_p0(state: str) -> None:
    views = healthy_views()
    views["host"]["process"] = {"pid": 4242, "state": state}
    views["health"]["healthz"] = {"ok": False, "error": "ConnectError", "ms": 1}
    d = found(views)
    assert (d.area, d.action, d.arg, d.severity) == (
        "infrastructure",
        "service.restart",
        None,
        "P0",
    )
    assert "pid 4242" in d.evidence and "not running" in d.evidence


@pytest.mark.parametrize(
    ("container", "named"),
    [("chaosdrill-3f2a-shop-1", "container chaosdrill-3f2a-shop-1"), (None, "container (gone)")],
)
def test_on_docker_the_evidence_names_the_container_not_pid_0(
    container: str | None, named: str
) -> None:
    views = healthy_views()
    views["host"]["process"] = {"pid": 0, "state": "exited", "container": container}
    views["health"]["healthz"] = {"ok": False, "error": "ConnectError", "ms": 1}
    d = found(views)
    assert d.action == "service.restart"
    assert f"the shop's {named} is not running" in d.evidence and "pid" not in d.evidence


def test_a_stopped_process_is_hung_and_restarted() -> None:
    views = healthy_views()
    views["host"]["process"]["state"] = "stopped"
    views["health"]["healthz"] = {"ok": False, "error": "ReadTimeout", "ms": 1000}
    d = found(views)
    assert (d.action, d.severity) == ("service.restart", "P0")
    assert "answers nothing" in d.evidence and "stopped" in d.evidence


def test_a_running_process_that_times_out_is_hung() -> None:
    views = healthy_views()
    views["health"]["healthz"] = {"ok": False, "error": "ReadTimeout", "ms": 1000}
    d = found(views)
    assert (d.area, d.action, d.severity) == ("infrastructure", "service.restart", "P0")
    assert "process state: running" in d.evidence


def test_a_refused_health_check_alone_is_not_a_hang() -> None:
    views = healthy_views()
    views["health"]["healthz"] = {"ok": False, "error": "ConnectError", "ms": 1}
    assert diagnose(views) is None


@pytest.mark.parametrize(("used", "expected"), [(98.9, None), (99.0, "disk.cleanup")])
def test_a_full_disk_means_cleanup(used: float, expected: str | None) -> None:
    views = healthy_views()
    views["host"]["disk"].update(used_pct=used, free_mb=3.5)
    d = diagnose(views)
    assert (d.action if d else None) == expected
    if d is not None:
        assert (d.area, d.severity) == ("infrastructure", None)
        assert "99.0% full (3.5 MB free)" in d.evidence


def test_an_exhausted_pool_means_restart() -> None:
    views = healthy_views()
    views["database"]["pool"].update(db_pool_checked_out=10.0, db_pool_size=5.0)
    not_ready(views, "database", "no answer within 0.8s (pool: 10/10)")
    d = found(views)
    assert (d.area, d.action, d.severity) == ("database", "service.restart", None)
    assert "10 of 10 checked out" in d.evidence


def test_a_full_pool_with_ready_database_is_not_exhaustion() -> None:
    views = healthy_views()
    views["database"]["pool"].update(db_pool_checked_out=10.0, db_pool_size=5.0)
    assert diagnose(views) is None


@pytest.mark.parametrize(
    "message",
    [
        "OperationalError: connection to server at 127.0.0.1 failed",
        "ConnectionRefusedError: [Errno 111] Connection refused",
    ],
)
def test_an_unreachable_database_means_restore_and_p0(message: str) -> None:
    views = healthy_views("postgres")
    not_ready(views, "database", message)
    d = found(views)
    assert (d.area, d.action, d.severity) == ("database", "db.restore", "P0")
    assert message in d.evidence


def test_a_database_view_error_with_failing_readiness_means_restore() -> None:
    views = healthy_views("postgres")
    views["database"] = {"kind": "postgres", "error": "could not connect", "pool": {}}
    not_ready(views, "database", "no answer within 0.8s")
    assert found(views).action == "db.restore"


def _session(busy_s: float | None, application: str = "psql", state: str = "active") -> Any:
    return {
        "pid": 5150,
        "application": application,
        "state": state,
        "busy_s": busy_s,
        "waiting_on": None,
        "query": "UPDATE products SET stock = stock WHERE id = 1",
    }


def test_a_long_postgres_session_means_kill_long_queries() -> None:
    views = healthy_views("postgres")
    views["database"]["sessions"].append(_session(42.0))
    d = found(views)
    assert (d.area, d.action, d.severity) == ("database", "db.kill_long_queries", None)
    assert "session 5150 (psql)" in d.evidence and "for 42s" in d.evidence


@pytest.mark.parametrize(
    "session",
    [
        _session(5.0),  # not longer than 5 s
        _session(None),
        _session(60.0, state="idle in transaction"),
        _session(60.0, application="chaosdrill-shop"),  # the shop's own queries
    ],
)
def test_sessions_that_are_not_stuck(session: Any) -> None:
    views = healthy_views("postgres")
    views["database"]["sessions"].append(session)
    assert diagnose(views) is None


def test_another_process_holding_the_sqlite_file_means_kill_long_queries() -> None:
    views = healthy_views()
    views["database"]["other_processes_with_file_open"] = [
        {"pid": 777, "program": "python3", "running_for_s": 12.4}
    ]
    d = found(views)
    assert (d.area, d.action, d.severity) == ("database", "db.kill_long_queries", None)
    assert "process 777 (python3)" in d.evidence and "for 12s" in d.evidence


def test_a_lock_is_the_cause_even_when_the_shop_looks_hung_and_its_pool_is_empty() -> None:
    # Under load a held lock stalls every worker: health checks time out and the pool
    # runs dry. Those are symptoms; restarting fixes none of it (seen in a drill).
    views = healthy_views()
    views["database"]["other_processes_with_file_open"] = [
        {"pid": 777, "program": "python3", "running_for_s": 12.4}
    ]
    views["health"]["healthz"]["error"] = "ReadTimeout"
    views["database"]["pool"].update(db_pool_checked_out=10.0, db_pool_size=5.0)
    not_ready(views, "database", "no answer within 0.8s")
    assert found(views).action == "db.kill_long_queries"
    assert found(views, exclude=("db.kill_long_queries",)).action == "service.restart"


@pytest.mark.parametrize("age", [3.0, None])
def test_a_brief_or_unknown_sqlite_holder_is_not_a_lock(age: float | None) -> None:
    views = healthy_views()
    views["database"]["other_processes_with_file_open"] = [
        {"pid": 777, "program": "sqlite3", "running_for_s": age}
    ]
    assert diagnose(views) is None


def test_failing_payment_readiness_means_switch_to_backup_and_p0() -> None:
    views = healthy_views()
    not_ready(views, "payment_provider:primary", "ConnectError: All connection attempts failed")
    d = found(views)
    assert (d.area, d.action, d.arg, d.severity) == ("api", "dependency.switch_backup", None, "P0")
    assert "ConnectError: All connection attempts failed" in d.evidence


def test_an_unhealthy_payment_dependency_means_switch_to_backup() -> None:
    views = healthy_views()
    views["dependencies"]["payment"] = {"ok": False, "error": "ReadTimeout", "ms": 1000}
    d = found(views)
    assert (d.area, d.action, d.severity) == ("api", "dependency.switch_backup", "P0")
    assert "ReadTimeout" in d.evidence


def _with_5xx(views: Views, route: str, errors: int, requests: int = 40) -> None:
    views["routes"]["routes"][route] = _route(requests, errors)


def _deployed(views: Views, ago_s: float, version: str = "1.1.0") -> None:
    views["deploys"]["history"].append(
        {"version": version, "at": time.time() - ago_s, "by": "ci", "change": "release"}
    )
    views["deploys"]["running"] = version


def test_a_recent_deploy_followed_by_5xx_means_rollback() -> None:
    views = healthy_views()
    _deployed(views, ago_s=120)
    _with_5xx(views, "GET /products/{product_id}", errors=8)
    _with_5xx(views, "POST /orders", errors=5)
    d = found(views)
    assert (d.area, d.action, d.severity) == ("application", "deploy.rollback", None)
    assert "release 1.1.0" in d.evidence
    assert "GET /products/{product_id}, POST /orders" in d.evidence


def test_an_old_deploy_is_not_blamed() -> None:
    views = healthy_views()
    _deployed(views, ago_s=20 * 60)
    _with_5xx(views, "POST /orders", errors=1)
    assert diagnose(views) is None


def test_a_recent_deploy_without_errors_is_not_blamed() -> None:
    views = healthy_views()
    _deployed(views, ago_s=60)
    assert diagnose(views) is None


def test_errors_only_on_recommendations_mean_disable_that_feature() -> None:
    views = healthy_views()
    _with_5xx(views, "GET /recommendations/{customer_id}", errors=30)
    d = found(views)
    assert (d.area, d.action, d.arg, d.severity) == (
        "application",
        "feature.disable",
        "recommendations",
        "P2",
    )
    assert "GET /recommendations/{customer_id}" in d.evidence


def test_errors_beyond_recommendations_are_not_a_feature_problem() -> None:
    views = healthy_views()
    _with_5xx(views, "GET /recommendations/{customer_id}", errors=30)
    _with_5xx(views, "POST /orders", errors=20)
    assert diagnose(views) is None


def test_a_slow_network_path_to_the_database_means_failover() -> None:
    views = healthy_views("postgres")
    views["database"]["round_trip_ms"] = {"from_db_host": 0.5, "from_app_host": 41.0}
    d = found(views)
    assert (d.area, d.action, d.severity) == ("infrastructure", "db.failover_to_replica", None)
    assert "41 ms from the app host" in d.evidence


@pytest.mark.parametrize(
    "trip",
    [
        {"from_db_host": 0.5, "from_app_host": 19.0},  # not above 20 ms
        {"from_db_host": 10.0, "from_app_host": 45.0},  # not 5x the direct path
        {"from_db_host": 0.5, "from_app_host": None},
    ],
)
def test_round_trips_that_are_not_a_slow_path(trip: dict[str, float | None]) -> None:
    views = healthy_views("postgres")
    views["database"]["round_trip_ms"] = trip
    assert diagnose(views) is None


def test_cpu_burn_means_restart() -> None:
    views = healthy_views()
    views["host"]["process"]["cpu_pct"] = 97.0
    d = found(views)
    assert (d.area, d.action, d.severity) == ("infrastructure", "service.restart", None)
    assert "97% CPU" in d.evidence


def test_memory_growth_means_clear_cache() -> None:
    views = healthy_views()
    views["host"]["process"]["rss_mb"] = 612.0
    d = found(views)
    assert (d.area, d.action) == ("application", "cache.clear")
    assert "612 MB" in d.evidence


def test_a_destructive_statement_on_orders_means_restore_to_it() -> None:
    views = healthy_views()
    views["database"]["audit"] = [
        {
            "at": "2026-01-31T12:00:00.100+00:00",
            "application": "psql",
            "server": "primary",
            "statement": "UPDATE products SET stock = 5 WHERE id = 3",
        },
        {
            "at": "2026-01-31T12:00:05.250+00:00",
            "application": "migrate-0042",
            "server": "primary",
            "statement": "DELETE FROM orders WHERE status = 'pending'",
        },
    ]
    d = found(views)
    assert (d.area, d.action, d.arg, d.severity) == (
        "database",
        "db.restore",
        "2026-01-31T12:00:05.250+00:00",
        "P1",
    )
    assert "migrate-0042" in d.evidence


def test_rules_are_tried_in_order() -> None:
    assert [rule.__name__ for rule in RULES] == [
        "_leaked_key",
        "_credential_stuffing",
        "_process_down",
        "rogue_job",
        "_data_loss",
        "_lock",
        "_process_hung",
        "_disk",
        "_database",
        "_payments",
        "_deploy",
        "_feature",
        "_network_to_db",
        "errors_after_flag",
        "storefront_after_release",
        "slow_feature",
        "slow_everywhere",
        "_resources",
    ]
    views = healthy_views()
    views["host"]["disk"]["used_pct"] = 99.5
    views["host"]["process"]["cpu_pct"] = 95.0
    assert found(views).action == "disk.cleanup"


def test_exclude_skips_actions_already_tried() -> None:
    views = healthy_views()
    views["host"]["disk"]["used_pct"] = 99.5
    views["host"]["process"]["cpu_pct"] = 95.0
    assert found(views, exclude=("disk.cleanup",)).action == "service.restart"
    assert diagnose(views, exclude=("disk.cleanup", "service.restart")) is None


def test_exclude_moves_on_to_the_next_rule_whose_action_is_new() -> None:
    # The pool is exhausted (restart) and the process has grown (clear cache): once
    # restart was tried, the next suggestion is the cache.
    views = healthy_views()
    views["database"]["pool"].update(db_pool_checked_out=10.0, db_pool_size=5.0)
    not_ready(views, "database", "no answer within 0.8s")
    views["host"]["process"]["rss_mb"] = 500.0
    assert found(views).action == "service.restart"
    assert found(views, exclude=("service.restart",)).action == "cache.clear"


# -- severity() -------------------------------------------------------------------------


def _alert(name: str, level: str) -> dict[str, Any]:
    return {"name": name, "severity": level}


def test_an_outage_diagnosis_sets_the_severity_whatever_the_alerts() -> None:
    d = Diagnosis("database", "db.restore", None, "P0", "the database is unreachable")
    level, why = severity(d, [_alert("error_rate", "medium")], ALERT_SEVERITY)
    assert level == "P0"
    assert why == "the database is unreachable (playbook: P0)"


def test_a_feature_diagnosis_is_p2_even_with_critical_alerts() -> None:
    d = Diagnosis("application", "feature.disable", "recommendations", "P2", "only recs")
    assert severity(d, [_alert("error_rate", "critical")], ALERT_SEVERITY)[0] == "P2"


@pytest.mark.parametrize(
    ("alerts", "expected"),
    [
        ([_alert("latency_p99", "medium")], "P2"),
        ([_alert("error_rate", "high")], "P1"),
        ([_alert("error_rate", "medium"), _alert("latency_p99", "high")], "P1"),
        # critical maps to P0, but the service is up: demoted to P1.
        ([_alert("error_rate", "critical")], "P1"),
        ([_alert("error_rate", "critical"), _alert("latency_p99", "medium")], "P1"),
    ],
)
def test_without_an_outage_the_worst_alert_sets_the_severity(
    alerts: list[dict[str, Any]], expected: str
) -> None:
    undecided = Diagnosis("infrastructure", "disk.cleanup", None, None, "disk full")
    for diagnosis in (None, undecided):
        level, why = severity(diagnosis, alerts, ALERT_SEVERITY)
        assert level == expected
        assert why.startswith("alerts firing: ")
        assert "not an outage" in why
        for a in alerts:
            assert f"{a['name']}/{a['severity']}" in why


def test_the_alert_mapping_comes_from_the_playbook() -> None:
    custom = {"critical": "P1", "high": "P2", "medium": "P3"}
    assert severity(None, [_alert("error_rate", "high")], custom)[0] == "P2"
    assert severity(None, [_alert("error_rate", "medium")], custom)[0] == "P3"


def test_no_alerts_means_p3() -> None:
    assert severity(None, [], ALERT_SEVERITY) == (
        "P3",
        "no alert is firing: minimal user impact",
    )

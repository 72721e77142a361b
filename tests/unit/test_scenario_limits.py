"""One model of limits: what injection refuses, scenario validation refuses first."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from scoring.playbook import load_playbook
from simulator.faults.kinds.database import _lock_failure
from simulator.faults.limits import MAX_TTL_S, MIN_TTL_S, ttl_problem
from simulator.faults.registry import conflict, get_kind, parse_params
from simulator.scenario import ScenarioError, load_scenario

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = load_playbook(REPO / "playbook.yaml")

EXPECTED = (
    "expected: {severity: P1, team: dba, root_cause: a lock, root_cause_area: database,"
    " remediations: [db.kill_long_queries]}\n"
)


def scenario(tmp_path: Path, faults: str, *, database: str = "any", limit: str = "120") -> Path:
    path = tmp_path / "drill.yaml"
    path.write_text(
        f"id: drill\ntitle: T\nbriefing: b\ntarget: {{database: {database}}}\n"
        f"faults:\n{faults}{EXPECTED}time_limit_s: {limit}\n"
    )
    return path


def refusal(path: Path) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, playbook=PLAYBOOK)  # no check_params hook: checks are built in
    message = str(info.value)
    assert message.startswith(f"{path}:") and "\n" not in message, message
    return message


def test_ttl_bounds_are_the_ones_injection_uses() -> None:
    assert ttl_problem(MIN_TTL_S) is None and ttl_problem(MAX_TTL_S) is None
    assert ttl_problem(0) == (
        "ttl must be between 1s and 24h, not 0ms; it is how long the fault may outlive a dead"
        " engine"
    )
    # The words `chaosdrill fault inject --ttl 0s` has always answered with.
    assert "ttl must be between" in (ttl_problem(MAX_TTL_S + 1) or "")


def test_params_are_parsed_without_the_callers_hook(tmp_path: Path) -> None:
    path = scenario(tmp_path, "  - {at: 5s, kind: db.lock, params: {table: Orders}, ttl: 5m}\n")
    message = refusal(path)
    assert ":6: faults[0].params.table: db.lock parameter 'table': string should match" in message


def test_a_fault_without_ttl_inherits_a_limit_it_must_respect(tmp_path: Path) -> None:
    path = scenario(tmp_path, "  - {at: 5s, kind: db.lock}\n", limit="24h")
    assert "without a ttl the fault gets time_limit_s + 60s (24h1m)" in refusal(path)


def test_on_sqlite_any_two_locks_collide_whatever_the_table(tmp_path: Path) -> None:
    faults = (
        "  - {at: 5s, kind: db.lock, params: {table: orders}, ttl: 5m}\n"
        "  - {at: 9s, kind: db.lock, params: {table: products}, ttl: 5m}\n"
    )
    assert "both need SQLite's one write lock" in refusal(scenario(tmp_path, faults))
    # On PostgreSQL each table has its own lock.
    assert load_scenario(scenario(tmp_path, faults, database="postgres"), playbook=PLAYBOOK)


def test_a_fault_that_ends_before_the_next_starts_does_not_collide(tmp_path: Path) -> None:
    faults = (
        "  - {at: 5s, kind: db.lock, until: duration, duration: 10s, ttl: 5m}\n"
        "  - {at: 20s, kind: db.lock, ttl: 5m}\n"
    )
    loaded = load_scenario(scenario(tmp_path, faults), playbook=PLAYBOOK)
    assert [f.kind for f in loaded.faults] == ["db.lock", "db.lock"]
    overlapping = faults.replace("at: 20s", "at: 12s")
    assert ":7: faults[1]: this db.lock and faults[0]" in refusal(scenario(tmp_path, overlapping))


def test_shop_controls_collide_per_control(tmp_path: Path) -> None:
    two_kinds = (
        "  - {at: 5s, kind: app.error_rate, ttl: 5m}\n  - {at: 6s, kind: app.latency, ttl: 5m}\n"
    )
    assert load_scenario(scenario(tmp_path, two_kinds), playbook=PLAYBOOK)
    same = two_kinds.replace("app.latency", "app.error_rate")
    assert "both need the shop's 'errors' chaos control" in refusal(scenario(tmp_path, same))


def test_a_kind_needs_a_database_the_target_allows(tmp_path: Path) -> None:
    path = scenario(tmp_path, "  - {at: 5s, kind: db.down, ttl: 5m}\n")
    message = refusal(path)
    assert "faults[0].kind: db.down acts only on PostgreSQL, and target.database is any" in message
    assert message.endswith("set target.database to postgres")
    disk = scenario(tmp_path, "  - {at: 5s, kind: disk.full, ttl: 5m}\n", database="postgres")
    assert "disk.full acts only on SQLite" in refusal(disk)


def test_the_lock_failure_always_says_why() -> None:
    log = Path("/state/lock-f-1.log")
    told = _lock_failure("orders", "cannot lock: table 'orders' stayed locked\n", False, log)
    assert told == "the lock holder could not take its lock on table 'orders': table 'orders'" + (
        " stayed locked"
    )
    waiting = _lock_failure("orders", "", True, log)
    assert waiting.endswith("so another session holds it (another db.lock fault?)")
    crashed = _lock_failure("orders", "Traceback ...\nKeyError: 'x'\n", False, log)
    assert crashed.endswith("it exited saying \"KeyError: 'x'\"")
    silent = _lock_failure("orders", "", False, log)
    assert silent.endswith(f"it exited without saying why (its log: {log})")


def test_a_second_lock_holder_on_sqlite_says_why_it_has_no_lock(tmp_path: Path) -> None:
    database = tmp_path / "shop.db"
    conn = sqlite3.connect(database)
    conn.execute("CREATE TABLE products (id INTEGER PRIMARY KEY, stock INTEGER)")
    conn.execute("INSERT INTO products VALUES (1, 5)")
    conn.commit()
    conn.close()
    argv = [sys.executable, "-m", "simulator.faults.lock_holder", "--url", str(database)]
    with subprocess.Popen(
        [*argv, "--seconds", "30"], stdout=subprocess.PIPE, text=True, cwd=REPO
    ) as first:
        try:
            assert first.stdout is not None
            assert first.stdout.readline().strip() == "locked"
            second = subprocess.run(
                [*argv, "--seconds", "30", "--wait-s", "0.3"],
                capture_output=True,
                text=True,
                cwd=REPO,
                timeout=30,
                check=False,
            )
        finally:
            first.kill()
    assert second.returncode == 1
    assert second.stdout.strip() == (
        "cannot lock: another writer has held the SQLite database's one write lock for 0.3s"
        " (another db.lock fault?)"
    )


def test_injection_can_ask_whether_an_open_fault_holds_the_same_thing() -> None:
    lock = get_kind("db.lock")
    orders = parse_params(lock, {"table": "orders"})
    open_faults = [("f-1", "app.latency", {}), ("f-2", "db.lock", {"table": "orders"})]
    assert conflict(lock, orders, "postgres", open_faults) == (
        "fault f-2 (db.lock) already holds a lock on table 'orders', which only one fault can"
        " hold; revert it first (`chaosdrill fault revert f-2`)"
    )
    products = parse_params(lock, {"table": "products"})
    assert conflict(lock, products, "postgres", open_faults) is None
    assert conflict(lock, products, "sqlite", open_faults) is not None

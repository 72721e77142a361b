"""Witness of security.credential_stuffing: a plain observer (the shop's own log file
and HTTP) sees the failed logins go on after a restart and stop after the attacker's
address is blocked, and counts the accounts really opened, which the scorecard and
the stuffer's own tally must agree with.

First one short drill (tests/data/breach/credential-stuffing-short.yaml) worked by a
trainee through the console; then the fault alone, without a drill, for the account
actions, a block of the wrong address and bad input."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from simulator.console.process import start_console_drill
from simulator.faults.errors import FaultError
from simulator.faults.manager import FaultManager
from simulator.remediation.apply import apply
from target_app.accounts import derive_password
from tests.integration.faults_env import current, eventually, healthy
from tests.integration.test_breach_witness import drill_shop_log

pytestmark = pytest.mark.integration
ATTACKER = "127.0.0.3"
SHORT_DRILL = (
    Path(__file__).resolve().parents[1] / "data" / "breach" / "credential-stuffing-short.yaml"
)


def logins(shop_log: Path) -> list[dict[str, Any]]:
    """The shop's audit lines of login attempts from the attacker's address, as plain JSON."""
    found = []
    for line in shop_log.read_text().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if (
            entry.get("logger") == "shop.audit"
            and entry.get("route") == "/login"
            and entry.get("client") == ATTACKER
        ):
            found.append(entry)
    return found


def failed(shop_log: Path) -> int:
    return sum(1 for e in logins(shop_log) if e["status"] == 401)


def opened(shop_log: Path) -> list[str]:
    return sorted({e["account"] for e in logins(shop_log) if e["status"] == 200})


def grows(count: Callable[[], int], timeout_s: float = 15) -> bool:
    before = count()
    return eventually(lambda: count() > before, timeout_s)


def test_one_drill_the_scorecard_counts_the_accounts_the_witness_counted(tmp_path: Path) -> None:
    drill = start_console_drill(
        tmp_path,
        str(SHORT_DRILL),
        trainees=["alice:commander"],
        args=["--start-now", "--review-window", "1", "--exit-when-scored"],
    )
    try:
        drill.wait_for("fault.injected", timeout_s=150)
        found = drill_shop_log(tmp_path)
        assert found is not None
        shop_log = found
        assert grows(lambda: failed(shop_log)), "the stuffer fails logins"
        assert eventually(lambda: len(opened(shop_log)) > 0, 20), "and opens an account"
        drill.wait_for("page.sent", timeout_s=30)  # login_failure_surge pages Security
        with drill.client("trainee:alice") as alice:
            alice.ack()
            alice.severity("P0")
            alice.assign("security")
            alice.action("service.restart")  # wrong: the stuffer just tries again
            assert grows(lambda: failed(shop_log)), "failed logins go on after a restart"
            alice.action("client.block", ATTACKER)
            time.sleep(1.0)  # an attempt in flight when the block landed
            settled = failed(shop_log)
            assert not grows(lambda: failed(shop_log), timeout_s=4), "stopped by the block"
            counted = opened(shop_log)
            alice.action("accounts.reset", ",".join(counted))
            drill.wait_for("service.recovered", timeout_s=90)
            assert failed(shop_log) == settled and opened(shop_log) == counted
            for status in ("INVESTIGATING", "IDENTIFIED", "MONITORING", "RESOLVED"):
                alice.status(status)
        assert drill.proc.wait(120) == 0, drill.output()[-3000:]
    finally:
        drill.stop()
    card = json.loads((drill.report_dir / "scorecard.json").read_text())["scorecard"]
    (stuffing,) = card["stuffings"]
    assert 0 < len(counted) <= 3
    assert stuffing["accounts_compromised"] == counted
    assert stuffing["attacker_compromised"] == len(counted) and stuffing["sources_agree"]
    assert stuffing["contained"] and stuffing["contained_by"] == "client.block"
    assert stuffing["secured"] == counted
    (remediation,) = [c for c in card["team"]["criteria"] if c["key"] == "remediation"]
    verdicts = {
        line.split(" — ")[0].split(" ", 1)[1]: line.split(" — ")[1].split(";")[0]
        for line in remediation["details"]
    }
    assert verdicts["service.restart"] in ("ineffective", "harmful")
    assert verdicts[f"client.block:{ATTACKER}"] == "effective"


def login_status(env_dir: Path, email: str) -> int:
    state = current(env_dir)
    body = {"email": email, "password": derive_password(state.chaos_token, email)}
    return httpx.post(state.shop.url + "/login", json=body, timeout=5).status_code


def test_account_actions_secure_accounts_and_only_the_block_ends_the_stuffing(
    env_dir: Path,
) -> None:
    faults = FaultManager(env_dir)
    assert eventually(lambda: healthy(env_dir), 20)
    shop_log = Path(current(env_dir).data_dir) / "shop.jsonl"
    params = {"burst": 5, "interval_s": 0.5}
    entry = faults.inject("security.credential_stuffing", params, ttl_s=120)
    try:
        assert eventually(lambda: len(opened(shop_log)) >= 2, 20), "accounts are opened"
        first, second = opened(shop_log)[:2]

        # Bad input changes nothing; blocking someone else ends nothing.
        for action, arg, words in (
            ("accounts.lock", "not-an-email", "takes one or more account e-mails"),
            ("accounts.reset", f"{first},nobody@example.invalid", "no account nobody@"),
            ("client.block", "127.0.0.x", "takes an IP address"),
        ):
            with pytest.raises(FaultError, match=words):
                apply(env_dir, action, arg)
        assert login_status(env_dir, first) == 200, "a refused reset reset nothing"
        assert apply(env_dir, "client.block", "127.0.0.4").ended == []
        assert grows(lambda: failed(shop_log)), "the stuffing goes on"

        # The follow-up secures the accounts but does not stop the stuffing.
        assert apply(env_dir, "accounts.lock", first).ended == []
        assert apply(env_dir, "accounts.reset", second).ended == []
        assert login_status(env_dir, first) == 423
        assert login_status(env_dir, second) == 401
        assert grows(lambda: failed(shop_log)), "the stuffing goes on after the lock"

        # The block of its address ends it; the stuffer's tally agrees with the audit log.
        assert [e.id for e in apply(env_dir, "client.block", ATTACKER).ended] == [entry.id]
        tally = json.loads(next(Path(current(env_dir).data_dir).glob("stuffer-*.json")).read_text())
        assert sorted(tally["compromised"]) == opened(shop_log)
        # Stopped mid-request, its last answer may be in the shop's log and not its tally.
        assert failed(shop_log) - 1 <= tally["failed"] <= failed(shop_log)
        assert not list(Path(current(env_dir).data_dir).glob("combos-DRILL-*.json"))
    finally:
        faults.revert_all(reason="teardown")
        # The environment is the module's: lift the block for any later test.
        httpx.delete(
            current(env_dir).shop.url + f"/admin/blocks/{ATTACKER}",
            headers={"X-Chaos-Token": current(env_dir).chaos_token},
            timeout=5,
        )

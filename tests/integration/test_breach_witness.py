"""Witness of security.leaked_key: a plain observer (the shop's own log file and
HTTP) sees the attacker's reads go on after wrong fixes and stop after the right
one, and the attacker's tally agrees with the audit log row for row.

First one short drill (tests/data/breach/security-breach-short.yaml) worked by a
trainee through the console: the witness counts the records that left by reading
the shop's audit lines as plain JSON, and the scorecard must say the same number.
Then the fault alone, without a drill, for the wrong fixes and bad input."""

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
from simulator.remediation.credentials import revoke_key
from target_app.keys import derive_secret
from tests.integration.faults_env import current, eventually, healthy

pytestmark = pytest.mark.integration
ATTACKER = "127.0.0.2"
EXPORT = "/admin/customers/export"


SHORT_DRILL = Path(__file__).resolve().parents[1] / "data" / "breach" / "security-breach-short.yaml"


def audit_lines(shop_log: Path) -> list[dict[str, Any]]:
    """The shop's audit lines from the attacker's address, read as plain JSON."""
    lines = shop_log.read_text().splitlines()
    found = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("logger") == "shop.audit" and entry.get("client") == ATTACKER:
            found.append(entry)
    return found


def attacker_lines(env_dir: Path) -> list[dict[str, Any]]:
    return audit_lines(Path(current(env_dir).data_dir) / "shop.jsonl")


def rows_in(shop_log: Path) -> int:
    return sum(e["rows"] for e in audit_lines(shop_log) if e["status"] == 200)


def grows(count: Callable[[], int], timeout_s: float = 20) -> bool:
    before = count()
    return eventually(lambda: count() > before, timeout_s)


def drill_shop_log(workdir: Path) -> Path | None:
    """The drill's shop log, found through its environment's state file (plain JSON)."""
    for state_file in workdir.glob(".chaosdrill/drills/*/env/state.json"):
        try:
            return Path(json.loads(state_file.read_text())["data_dir"]) / "shop.jsonl"
        except (OSError, ValueError, KeyError):
            continue  # being written: not yet
    return None


def test_one_drill_the_scorecard_counts_the_records_the_witness_counted(tmp_path: Path) -> None:
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
        assert grows(lambda: rows_in(shop_log)), "the attacker reads customers"
        drill.wait_for("page.sent", timeout_s=30)  # the security alerts page
        with drill.client("trainee:alice") as alice:
            alice.ack()
            alice.severity("P0")
            alice.assign("security")
            alice.action("service.restart")  # wrong: the key lives in the database
            assert grows(lambda: rows_in(shop_log)), "the leak goes on after a restart"
            alice.action("key.revoke", "reports")
            counted = rows_in(shop_log)
            assert not grows(lambda: rows_in(shop_log), timeout_s=3), "contained"
            alice.action("users.notify", "reports")
            drill.wait_for("service.recovered", timeout_s=90)
            for status in ("INVESTIGATING", "IDENTIFIED", "MONITORING", "RESOLVED"):
                alice.status(status)
        assert drill.proc.wait(120) == 0, drill.output()[-3000:]
    finally:
        drill.stop()
    card = json.loads((drill.report_dir / "scorecard.json").read_text())["scorecard"]
    (breach,) = card["breaches"]
    assert 0 < counted == breach["records_exposed"] == breach["attacker_rows"] < 301
    assert breach["contained"] and breach["contained_by"] == "key.revoke"
    assert breach["notified"]
    (remediation,) = [c for c in card["team"]["criteria"] if c["key"] == "remediation"]
    # "00:21 service.restart — ineffective; SLIs ..." -> {"service.restart": "ineffective"}
    verdicts = {
        line.split(" — ")[0].split(" ", 1)[1]: line.split(" — ")[1].split(";")[0]
        for line in remediation["details"]
    }
    # The restart ended nothing (and, if its blip showed in the SLIs, it was harmful too).
    assert verdicts["service.restart"] in ("ineffective", "harmful")
    assert verdicts["key.revoke:reports"] == "effective"


def rows_read(env_dir: Path) -> int:
    return sum(e["rows"] for e in attacker_lines(env_dir) if e["status"] == 200)


def more_rows_after(env_dir: Path, timeout_s: float = 20) -> bool:
    before = rows_read(env_dir)
    return eventually(lambda: rows_read(env_dir) > before, timeout_s)


def partner_status(env_dir: Path) -> int:
    state = current(env_dir)
    key = derive_secret(state.chaos_token, "partner-acme")
    return httpx.get(state.shop.url + EXPORT, headers={"X-Api-Key": key}, timeout=5).status_code


def test_the_leak_goes_on_after_wrong_fixes_and_stops_after_the_right_one(env_dir: Path) -> None:
    faults = FaultManager(env_dir)
    assert eventually(lambda: healthy(env_dir), 20)
    params = {"page": 2, "interval_s": 0.3}  # 151 pages: far longer than this test
    entry = faults.inject("security.leaked_key", params, ttl_s=300)
    try:
        paste = next(Path(current(env_dir).data_dir).glob("paste-DRILL-*.txt")).read_text()
        assert paste.startswith("[DRILL]") and "REPORTS_API_KEY=cdk_reports_" in paste
        assert more_rows_after(env_dir), "the attacker reads customers with the leaked key"

        # Wrong fixes: a restart, and rotating the partner's keys (which breaks the partner).
        assert apply(env_dir, "service.restart").ended == []
        assert eventually(lambda: healthy(env_dir), 20)
        assert more_rows_after(env_dir), "the leak survives a restart"
        assert partner_status(env_dir) == 200
        assert apply(env_dir, "keys.rotate", "acme-partner").ended == []
        assert partner_status(env_dir) == 401, "the partner's sync is broken by the rotation"
        assert more_rows_after(env_dir), "the leak survives rotating someone else's keys"

        # Bad input changes nothing.
        for action, arg, words in (
            ("client.block", "127.0.0.x", "takes an IP address such as 127.0.0.2"),
            ("key.revoke", "nope", "no API key 'nope'; known keys: canary, checkout"),
        ):
            with pytest.raises(FaultError, match=words):
                apply(env_dir, action, arg)
        assert faults.active()[0].id == entry.id and more_rows_after(env_dir)

        # The right fix, applied alone (the attacker process is left running): the next
        # request with the key gets 401 and no row leaves any more.
        revoke_key(faults.backend(), "reports")
        revoked_at = time.time()
        assert eventually(
            lambda: any(
                e["ts"] > revoked_at and e["status"] == 401 for e in attacker_lines(env_dir)
            ),
            10,
        )
        contained = rows_read(env_dir)
        assert not more_rows_after(env_dir, timeout_s=3), "no row leaves after the revoke"
        assert all(e["rows"] == 0 for e in attacker_lines(env_dir) if e["ts"] > revoked_at)
        canary = [e["status"] for e in attacker_lines(env_dir) if e["key_id"] == "canary"]
        assert canary == [401]  # the canary key in the paste was tried once, and refused

        # The table agrees: revoking the leaked key ends the fault (and stops the attacker).
        assert [e.id for e in apply(env_dir, "key.revoke", "reports").ended] == [entry.id]
        tally = json.loads(
            next(Path(current(env_dir).data_dir).glob("attacker-*.json")).read_text()
        )
        assert tally["rows"] == contained == rows_read(env_dir)
        assert 0 < contained < 301
    finally:
        faults.revert_all(reason="teardown")

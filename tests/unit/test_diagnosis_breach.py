"""The leaked-key rule: the key comes from the `leaks` and `audit` views, nothing else."""

from __future__ import annotations

from typing import Any

from simulator.drill.diagnosis import diagnose
from simulator.drill.updates import describe_alerts
from tests.unit.test_drill_diagnosis import healthy_views

HEX = "0123456789abcdef" * 2
PASTE = (
    "[DRILL] A planted artifact of a chaosdrill exercise; not a real leak.\n"
    f"REPORTS_API_KEY=cdk_reports_{HEX}\nREPORTS_API_KEY_OLD=cdk_canary_{HEX}\n"
)


def row(key_id: str, client: str, requests: int, refused: int, rows: int) -> dict[str, Any]:
    return {
        "key_id": key_id,
        "client": client,
        "requests": requests,
        "refused": refused,
        "rows_returned": rows,
        "last_success": None,
    }


def breach_views(*rows: dict[str, Any], paste: str = PASTE) -> dict[str, Any]:
    views = healthy_views()
    views["leaks"] = {"found": [{"source": "public paste", "text": paste}] if paste else []}
    views["audit"] = {"window_s": 600.0, "by_key_and_client": list(rows)}
    return views


PARTNER = row("partner-acme", "127.0.0.1", 40, 0, 2000)


def test_a_pasted_key_in_use_is_revoked_then_users_are_notified() -> None:
    views = breach_views(
        PARTNER, row("canary", "127.0.0.2", 1, 1, 0), row("reports", "127.0.0.2", 9, 0, 90)
    )
    found = diagnose(views)
    assert found is not None
    assert (found.area, found.action, found.arg, found.severity) == (
        "security",
        "key.revoke",
        "reports",
        "P0",
    )
    assert found.then == (("users.notify", "reports"),)
    assert "90 customer record(s) to 127.0.0.2" in found.evidence


def test_no_breach_without_a_paste_or_without_a_successful_use() -> None:
    assert diagnose(breach_views(PARTNER, row("reports", "127.0.0.2", 9, 0, 90), paste="")) is None
    # Only the canary was tried (and refused), or the leaked key is already revoked.
    refused = breach_views(PARTNER, row("canary", "127.0.0.2", 1, 1, 0))
    assert diagnose(refused) is None
    assert diagnose(breach_views(PARTNER, row("reports", "127.0.0.2", 5, 5, 0))) is None


def test_a_partner_key_is_never_blamed_unless_it_was_leaked() -> None:
    views = breach_views(PARTNER, row("reports", "127.0.0.2", 3, 0, 30))
    found = diagnose(views)
    assert found is not None and found.arg == "reports"
    assert diagnose(views, exclude=("key.revoke",)) is None


def test_updates_describe_security_alerts_as_counts_and_limits_not_percentages() -> None:
    alerts = [
        {"name": "canary_token_used", "severity": "critical", "value": 1.0, "threshold": 0.0},
        {"name": "export_volume", "severity": "high", "value": 2.5, "threshold": 1.0},
    ]
    text = describe_alerts(alerts)
    assert "a planted canary used 1 time(s) (critical)" in text
    assert "at 2.5x its usual limit (high)" in text and "%" not in text

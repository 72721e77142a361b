"""The credential-stuffing rule reads the `audit` view's logins per address, nothing else;
the remediation table ends the fault on a block of the stuffer's own address only."""

from __future__ import annotations

from typing import Any

from simulator.drill.diagnosis import diagnose
from simulator.env.state import EnvState
from simulator.remediation.table import ends
from simulator.security.accounts import combo_list, derive_password
from tests.unit.test_drill_diagnosis import healthy_views

KIND = "security.credential_stuffing"


def logins(*rows: dict[str, Any]) -> dict[str, Any]:
    views = healthy_views()
    views["audit"] = {"window_s": 600.0, "by_key_and_client": [], "logins_by_client": list(rows)}
    return views


def row(client: str, attempts: int, failed: int, refused: int = 0, *opened: str) -> dict[str, Any]:
    return {
        "client": client,
        "attempts": attempts,
        "failed": failed,
        "refused": refused,
        "logged_into": list(opened),
    }


def test_an_address_failing_logins_is_blocked_then_its_accounts_reset() -> None:
    views = logins(
        row("127.0.0.1", 40, 2, 0, "a@x.example"),  # the load: customers mistype too
        row("127.0.0.3", 60, 57, 0, "b@y.example", "c@z.example"),
    )
    d = diagnose(views)
    assert d is not None
    assert (d.area, d.action, d.arg, d.severity) == ("security", "client.block", "127.0.0.3", "P0")
    assert d.then == (("accounts.reset", "b@y.example,c@z.example"),)
    assert "57 failed login(s) from 127.0.0.3" in d.evidence


def test_failures_without_an_account_opened_are_p1_and_a_few_are_nothing() -> None:
    d = diagnose(logins(row("127.0.0.3", 30, 30)))
    assert d is not None and d.severity == "P1" and d.then == ()
    assert diagnose(logins(row("127.0.0.3", 5, 5))) is None
    assert diagnose(logins(row("127.0.0.1", 500, 300))) is None  # never the load's address


def test_only_a_block_of_the_stuffers_address_ends_it() -> None:
    params = {"source": "127.0.0.3"}
    assert ends("client.block", "127.0.0.3", KIND, params, "shop")
    assert not ends("client.block", "127.0.0.4", KIND, params, "shop")
    for action in ("service.restart", "accounts.lock", "accounts.reset", "key.revoke"):
        assert not ends(action, "127.0.0.3", KIND, params, "shop")


def test_the_combo_list_holds_exactly_the_reused_pairs_early() -> None:
    state = EnvState.model_construct(chaos_token="t0ken")
    emails = [f"customer{i}@shop.example" for i in range(300)]
    pairs, reused = combo_list(state, emails, size=60, hits=3, seed=7)
    assert len(pairs) == 60 and len(reused) == 3
    working = [i for i, (e, p) in enumerate(pairs) if p == derive_password("t0ken", e)]
    assert sorted(pairs[i][0] for i in working) == reused
    assert max(working) < 30  # within the first three bursts of ten
    assert combo_list(state, emails, size=60, hits=3, seed=7) == (pairs, reused)

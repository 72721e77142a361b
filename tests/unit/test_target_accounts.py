"""The shop's customer logins through a TestClient: hashes, outcomes, audit, lock, reset."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from target_app.accounts import derive_password
from target_app.models import Account
from tests.conftest import CHAOS_TOKEN, ShopApp


def _audit(shop_app: ShopApp) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in shop_app.log_file.read_text().splitlines()]
    return [e for e in lines if e.get("logger") == "shop.audit" and e["route"] == "/login"]


def _metric(shop_app: ShopApp, line_start: str) -> float:
    for line in shop_app.client.get("/metrics").text.splitlines():
        if line.startswith(line_start):
            return float(line.split()[-1])
    return 0.0


def _first_email(shop_app: ShopApp) -> str:
    accounts = shop_app.client.get("/admin/accounts", headers=shop_app.chaos_headers).json()
    return str(accounts["accounts"][0]["email"])


def test_every_customer_has_an_account_with_a_hashed_password(make_shop_app: Any) -> None:
    shop_app: ShopApp = make_shop_app()
    with Session(shop_app.shop.engine) as session:
        accounts = list(session.scalars(select(Account)))
    assert len(accounts) == 300
    email = accounts[0].email
    assert derive_password(CHAOS_TOKEN, email) not in accounts[0].password_hash
    assert accounts[0].password_hash.startswith("pbkdf2_sha256$")
    assert len({a.password_hash for a in accounts}) == 300  # salted


def test_logins_are_counted_and_audited_with_the_client_address(make_shop_app: Any) -> None:
    shop_app: ShopApp = make_shop_app()
    email = _first_email(shop_app)
    client = shop_app.client
    good = {"email": email, "password": derive_password(CHAOS_TOKEN, email)}
    other = TestClient(client.app, client=("127.0.0.3", 40000))
    assert client.post("/login", json=good).status_code == 200
    assert other.post("/login", json={**good, "password": "hunter2"}).status_code == 401
    bogus = {"email": "nobody@example.invalid", "password": "x"}
    assert other.post("/login", json=bogus).status_code == 401
    assert _metric(shop_app, "login_successes_total") == 1
    assert _metric(shop_app, 'login_failures_total{reason="wrong_password"}') == 1
    assert _metric(shop_app, 'login_failures_total{reason="unknown_account"}') == 1
    audit = _audit(shop_app)
    assert [(e["client"], e["account"], e["login"], e["status"]) for e in audit] == [
        ("127.0.0.1", email, "ok", 200),
        ("127.0.0.3", email, "wrong_password", 401),
        ("127.0.0.3", "nobody@example.invalid", "unknown_account", 401),
    ]
    assert "hunter2" not in json.dumps(audit)  # never a password in the log


def test_lock_and_reset_refuse_the_right_password_and_survive_a_restart(
    make_shop_app: Any,
) -> None:
    shop_app: ShopApp = make_shop_app()
    accounts = shop_app.client.get("/admin/accounts", headers=shop_app.chaos_headers).json()
    locked, reset = (a["email"] for a in accounts["accounts"][:2])
    chaos = shop_app.chaos_headers
    assert shop_app.client.post(f"/admin/accounts/{locked}/lock", headers=chaos).status_code == 200
    assert shop_app.client.post(f"/admin/accounts/{reset}/reset", headers=chaos).status_code == 200
    missing = shop_app.client.post("/admin/accounts/nobody@x.invalid/lock", headers=chaos)
    assert missing.status_code == 404
    assert "no account" in missing.json()["detail"]
    again = make_shop_app(database_url=f"sqlite:///{shop_app.db_path}")
    for email, status in ((locked, 423), (reset, 401)):
        body = {"email": email, "password": derive_password(CHAOS_TOKEN, email)}
        assert again.client.post("/login", json=body).status_code == status


def test_a_blocked_address_cannot_try_logins_and_the_refusals_are_audited(
    make_shop_app: Any,
) -> None:
    shop_app: ShopApp = make_shop_app()
    email = _first_email(shop_app)
    attacker = TestClient(shop_app.client.app, client=("127.0.0.3", 40000))
    chaos = shop_app.chaos_headers
    shop_app.client.post("/admin/blocks", json={"address": "127.0.0.3"}, headers=chaos)
    body = {"email": email, "password": derive_password(CHAOS_TOKEN, email)}
    assert attacker.post("/login", json=body).status_code == 403
    assert shop_app.client.post("/login", json=body).status_code == 200
    assert [(e["client"], e["login"], e["status"]) for e in _audit(shop_app)] == [
        ("127.0.0.3", "blocked", 403),
        ("127.0.0.1", "ok", 200),
    ]

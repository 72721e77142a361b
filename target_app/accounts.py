"""Customer logins: one account per seeded customer, passwords hashed at rest.

Like the API keys (`target_app/keys.py`), every account's first password is
derived from the environment's secret (the chaos token), so a drill's accounts
exist in that drill's environment only; a shop without a token has no accounts
and every login fails. Passwords are kept as salted PBKDF2 hashes. An operator
can lock an account (every login refused) or force a reset (the old password
stops working). Locks and resets are written to the database, so a restart of
the shop changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from target_app.models import Account, Customer

# Cheap on purpose: a drill seeds hundreds of accounts at start and the attacker
# tries a few logins a second; a production shop would use far more rounds.
ITERATIONS = 1000
LOGIN_OUTCOMES = ("ok", "unknown_account", "wrong_password", "locked", "reset_required")


def derive_password(env_secret: str, email: str) -> str:
    """The first password of the account `email` in the environment of `env_secret`."""
    mac = hmac.new(env_secret.encode(), f"account:{email}".encode(), hashlib.sha256)
    return f"pw-{mac.hexdigest()[:16]}"


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, ITERATIONS)
    return f"pbkdf2_sha256${ITERATIONS}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        _, rounds, salt, digest = stored.split("$")
        mine = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), int(rounds))
    except ValueError:
        return False
    return hmac.compare_digest(mine.hex(), digest)


class UnknownAccount(LookupError):
    pass


class AccountStore:
    def __init__(self, engine: Engine, env_secret: str | None) -> None:
        self.engine = engine
        self.env_secret = env_secret
        self._lock = threading.Lock()

    def load(self) -> None:
        """Give every customer without an account one (once per database)."""
        if not self.env_secret:
            return
        with Session(self.engine) as session:
            known = set(session.scalars(select(Account.email)))
            for email in session.scalars(select(Customer.email).order_by(Customer.id)):
                if email not in known:
                    password = derive_password(self.env_secret, email)
                    session.add(Account(email=email, password_hash=hash_password(password)))
            session.commit()

    def login(self, email: str, password: str) -> str:
        """The outcome of one login attempt (one of LOGIN_OUTCOMES)."""
        with Session(self.engine) as session:
            account = session.get(Account, email)
            if account is None:
                check_password(password, hash_password("x"))  # the same cost either way
                return "unknown_account"
            if not check_password(password, account.password_hash):
                return "wrong_password"
            if account.locked_at is not None:
                return "locked"
            if account.reset_at is not None:
                return "reset_required"
            account.last_login_at = datetime.now(UTC)
            session.commit()
            return "ok"

    def lock(self, email: str) -> None:
        self._set(email, locked_at=datetime.now(UTC))

    def reset(self, email: str) -> None:
        """Force a reset: a random password nobody knows until the owner picks one."""
        self._set(
            email,
            reset_at=datetime.now(UTC),
            password_hash=hash_password(secrets.token_urlsafe(24)),
        )

    def _set(self, email: str, **values: Any) -> None:
        with self._lock, Session(self.engine) as session:
            done = session.execute(update(Account).where(Account.email == email).values(**values))
            if not done.rowcount:  # type: ignore[attr-defined]
                raise UnknownAccount(f"no account {email!r}")
            session.commit()

    def rows(self, limit: int = 1000) -> list[dict[str, Any]]:
        """Accounts as an operator may see them (never a password nor its hash)."""
        with Session(self.engine) as session:
            accounts = session.scalars(select(Account).order_by(Account.email).limit(limit))
            return [
                {
                    "email": a.email,
                    "locked": a.locked_at is not None,
                    "reset_required": a.reset_at is not None,
                    "last_login_at": a.last_login_at.isoformat() if a.last_login_at else None,
                }
                for a in accounts
            ]

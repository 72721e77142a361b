"""API keys (hashed at rest, scoped, revocable, rotatable) and the client deny list.

The keys of a shop are derived from its environment's secret (the chaos token),
so a drill's keys exist in that drill's environment and nowhere else; a shop
without a chaos token has no keys and every key-protected route answers 401.
The store keeps keys and blocks in memory for the request path and writes every
change to the database first, so a restart of the shop changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from target_app.models import ApiKey, BlockedClient

SCOPES = ("catalog:read", "orders:write", "customers:export")
CANARY_KEY = "canary"
# A customer record with this e-mail domain is a canary: no legitimate client reads it.
CANARY_EMAIL_DOMAIN = "canary.drill.invalid"
TOUCH_EVERY_S = 5.0  # last-used time is written at most this often per key


@dataclass(frozen=True)
class KeySpec:
    id: str
    owner: str
    scopes: tuple[str, ...]


# The integrations of every drill shop. The load drives `partner-acme` (a partner's
# nightly sync); `canary` is planted and never used by anyone legitimate.
KEYS = (
    KeySpec("partner-acme", "acme-partner", ("customers:export",)),
    KeySpec("reports", "backoffice", ("catalog:read", "customers:export")),
    KeySpec("checkout", "storefront", ("catalog:read", "orders:write")),
    KeySpec(CANARY_KEY, "security-canary", ("customers:export",)),
)


def derive_secret(env_secret: str, key_id: str, generation: int = 0) -> str:
    """The secret of `key_id` in the environment whose secret is `env_secret`."""
    mac = hmac.new(env_secret.encode(), f"{key_id}:{generation}".encode(), hashlib.sha256)
    return f"cdk_{key_id}_{mac.hexdigest()[:32]}"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class KeyRecord:
    id: str
    owner: str
    scopes: frozenset[str]
    secret_sha256: str
    generation: int
    revoked: bool


class UnknownKey(LookupError):
    pass


class KeyStore:
    def __init__(self, engine: Engine, env_secret: str | None) -> None:
        self.engine = engine
        self.env_secret = env_secret
        self._lock = threading.Lock()
        self._by_hash: dict[str, KeyRecord] = {}
        self._by_id: dict[str, KeyRecord] = {}
        self._blocked: frozenset[str] = frozenset()
        self._touched: dict[str, float] = {}

    def load(self) -> None:
        """Seed the missing keys (once per database), then read keys and blocks."""
        with Session(self.engine) as session:
            if self.env_secret:
                known = set(session.scalars(select(ApiKey.id)))
                for spec in KEYS:
                    if spec.id not in known:
                        secret = derive_secret(self.env_secret, spec.id)
                        session.add(
                            ApiKey(
                                id=spec.id,
                                owner=spec.owner,
                                scopes=" ".join(spec.scopes),
                                secret_sha256=hash_secret(secret),
                            )
                        )
                session.commit()
            records = [_record(k) for k in session.scalars(select(ApiKey))]
            blocked = frozenset(session.scalars(select(BlockedClient.address)))
        with self._lock:
            self._by_id = {r.id: r for r in records}
            self._by_hash = {r.secret_sha256: r for r in records}
            self._blocked = blocked

    # -- the request path (memory only) ----------------------------------------------
    def authenticate(self, secret: str) -> KeyRecord | None:
        return self._by_hash.get(hash_secret(secret))

    def is_blocked(self, address: str) -> bool:
        return address in self._blocked

    def touch(self, key_id: str) -> None:
        """Record a use; written to the database at most every TOUCH_EVERY_S."""
        now = time.monotonic()
        if now - self._touched.get(key_id, -TOUCH_EVERY_S) < TOUCH_EVERY_S:
            return
        self._touched[key_id] = now
        with Session(self.engine) as session:
            session.execute(
                update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=datetime.now(UTC))
            )
            session.commit()

    # -- operator actions ------------------------------------------------------------
    def revoke(self, key_id: str) -> KeyRecord:
        with self._lock:
            current = self._known(key_id)
            with Session(self.engine) as session:
                session.execute(
                    update(ApiKey).where(ApiKey.id == key_id).values(revoked_at=datetime.now(UTC))
                )
                session.commit()
            self._put(replace(current, revoked=True))
            return self._by_id[key_id]

    def rotate(self, owner: str) -> dict[str, str]:
        """New secrets for every key of `owner` (old ones stop at once): id -> secret."""
        if not self.env_secret:
            raise UnknownKey("this shop has no keys (no environment secret)")
        with self._lock:
            mine = [r for r in self._by_id.values() if r.owner == owner]
            if not mine:
                owners = ", ".join(sorted({r.owner for r in self._by_id.values()}))
                raise UnknownKey(f"no API keys belong to owner {owner!r}; owners: {owners}")
            fresh: dict[str, str] = {}
            with Session(self.engine) as session:
                for record in mine:
                    generation = record.generation + 1
                    secret = derive_secret(self.env_secret, record.id, generation)
                    session.execute(
                        update(ApiKey)
                        .where(ApiKey.id == record.id)
                        .values(secret_sha256=hash_secret(secret), generation=generation)
                    )
                    fresh[record.id] = secret
                session.commit()
            for record in mine:
                self._by_hash.pop(record.secret_sha256, None)
                secret = fresh[record.id]
                self._put(
                    replace(
                        record, secret_sha256=hash_secret(secret), generation=record.generation + 1
                    )
                )
            return fresh

    def block(self, address: str) -> None:
        with self._lock, Session(self.engine) as session:
            if session.get(BlockedClient, address) is None:
                session.add(BlockedClient(address=address))
                session.commit()
            self._blocked = self._blocked | {address}

    def unblock(self, address: str) -> bool:
        with self._lock, Session(self.engine) as session:
            session.execute(delete(BlockedClient).where(BlockedClient.address == address))
            session.commit()
            was = address in self._blocked
            self._blocked = self._blocked - {address}
            return was

    def blocked(self) -> list[str]:
        return sorted(self._blocked)

    def rows(self) -> list[dict[str, Any]]:
        """Every key as an operator may see it (never a secret nor its hash)."""
        with Session(self.engine) as session:
            keys = list(session.scalars(select(ApiKey).order_by(ApiKey.id)))
            return [
                {
                    "id": k.id,
                    "owner": k.owner,
                    "scopes": k.scopes.split(),
                    "generation": k.generation,
                    "revoked": k.revoked_at is not None,
                    "last_used_at": k.last_used_at.isoformat() if k.last_used_at else None,
                    "created_at": k.created_at.isoformat(),
                }
                for k in keys
            ]

    def _known(self, key_id: str) -> KeyRecord:
        record = self._by_id.get(key_id)
        if record is None:
            raise UnknownKey(
                f"no API key {key_id!r}; known keys: {', '.join(sorted(self._by_id)) or 'none'}"
            )
        return record

    def _put(self, record: KeyRecord) -> None:
        self._by_id[record.id] = record
        self._by_hash[record.secret_sha256] = record


def _record(key: ApiKey) -> KeyRecord:
    return KeyRecord(
        id=key.id,
        owner=key.owner,
        scopes=frozenset(key.scopes.split()),
        secret_sha256=key.secret_sha256,
        generation=key.generation,
        revoked=key.revoked_at is not None,
    )

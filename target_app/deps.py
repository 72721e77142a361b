"""Request dependencies: the database session, the app's parts, the chaos gate."""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from target_app.accounts import AccountStore
from target_app.cache import RecommendationCache
from target_app.chaos import ChaosControls
from target_app.config import Settings
from target_app.keys import KeyStore
from target_app.metrics import ShopMetrics
from target_app.payments import PaymentClient
from target_app.readiness import Probe


@dataclass
class ShopProbes:
    """The readiness checks: the database and each payment provider."""

    database: Probe
    payments: dict[str, Probe]


@dataclass
class Shop:
    """Everything one running app owns (the composition root's product)."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    metrics: ShopMetrics
    cache: RecommendationCache
    chaos: ChaosControls
    payments: PaymentClient
    probes: ShopProbes
    keys: KeyStore
    accounts: AccountStore
    catalog_engine: Engine | None = None  # a read replica for catalog GETs, if configured

    @property
    def catalog_reads(self) -> Engine:
        """Where catalog pages read: the replica when configured, else the primary."""
        return self.catalog_engine or self.engine


# `async def` for dependencies that do no I/O: a sync one costs a worker-thread
# round trip per request.
async def get_shop(request: Request) -> Shop:
    shop: Shop = request.app.state.shop
    return shop


ShopDep = Annotated[Shop, Depends(get_shop)]


def get_session(shop: ShopDep) -> Iterator[Session]:
    # Sync on purpose: closing a session talks to the database, which must
    # never block the event loop.
    with shop.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def chaos_gate(request: Request, shop: ShopDep) -> None:
    """Where injected latency and errors, and an operator's write stop, enter an API request."""
    path = request.url.path
    if not shop.chaos.flags.writes_enabled and request.method not in READ_METHODS:
        raise HTTPException(
            503,
            detail="writes are stopped by the operators during an incident; reads still "
            "work, please retry later",
            headers={"Retry-After": "60"},
        )
    latency = shop.chaos.latency
    if latency is not None and latency.applies(path):
        await asyncio.sleep(latency.delay_s())
    errors = shop.chaos.errors
    if errors is not None and errors.applies(path) and errors.hit():
        raise HTTPException(errors.status, detail="internal error")


async def require_chaos_token(
    request: Request,
    shop: ShopDep,
    x_chaos_token: Annotated[str | None, Header()] = None,
) -> None:
    """Chaos and admin controls: off without a token, loopback only, token checked."""
    expected = shop.settings.chaos_token
    if not expected:
        raise HTTPException(404, detail="chaos controls are disabled (no token configured)")
    host = request.client.host if request.client else ""
    if not _is_loopback(host):
        raise HTTPException(403, detail="chaos controls answer on loopback only")
    if x_chaos_token is None or not secrets.compare_digest(
        x_chaos_token.encode(), expected.encode()
    ):
        raise HTTPException(401, detail="missing or wrong X-Chaos-Token header")


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

"""The composition root of the shop: `create_app(settings)` builds one service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

import prometheus_client
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from sqlalchemy import exc as sa_exc

from target_app.accounts import AccountStore
from target_app.auth import DenyListMiddleware
from target_app.cache import RecommendationCache
from target_app.chaos import ChaosControls, flags_with_disabled
from target_app.config import Settings
from target_app.db import check_database, make_engine, session_factory
from target_app.deps import Shop, ShopProbes, chaos_gate
from target_app.keys import KeyStore
from target_app.logs import configure_logging, error_log, event_log
from target_app.metrics import ShopMetrics
from target_app.middleware import ObservabilityMiddleware
from target_app.payments import PaymentClient
from target_app.readiness import Probe
from target_app.routes import (
    catalog,
    chaos,
    customers,
    export,
    health,
    keys,
    login,
    orders,
    recommendations,
    storefront,
)
from target_app.seed import prepare_database


def build_shop(settings: Settings) -> Shop:
    """Every part of one service, wired (nothing connects to anything yet)."""
    engine = make_engine(settings)
    cache = RecommendationCache()
    payments = PaymentClient(settings)
    probes = ShopProbes(
        database=Probe("database", partial(check_database, engine)),
        payments={
            name: Probe(f"payment_provider:{name}", partial(payments.check, name))
            for name in payments.urls
        },
    )
    return Shop(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        metrics=ShopMetrics(settings.app_version, engine),
        cache=cache,
        chaos=ChaosControls(engine, cache, flags_with_disabled(settings.disabled)),
        payments=payments,
        probes=probes,
        keys=KeyStore(engine, settings.chaos_token),
        accounts=AccountStore(engine, settings.chaos_token),
        catalog_engine=(
            make_engine(settings, settings.catalog_read_url) if settings.catalog_read_url else None
        ),
    )


def prepare(shop: Shop) -> None:
    """Create the schema and seed it (once) as the settings say."""
    prepare_engine(shop.engine, shop.settings)


def prepare_engine(engine: Engine, settings: Settings) -> None:
    """`prepare` with only an engine (no payment clients, no metrics)."""
    prepare_database(
        engine,
        seed=settings.seed,
        products=settings.products,
        customers=settings.customers,
        reset=settings.reset_db,
    )


def create_app(settings: Settings | None = None, *, prepare_on_startup: bool = True) -> FastAPI:
    """The shop as an ASGI app. `prepare_on_startup=False` when the caller has
    prepared the database already (`python -m target_app` does, to report a
    bad database in one sentence)."""
    settings = settings or Settings()
    prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]
    configure_logging(settings.log_file, settings.log_stdout)
    shop = build_shop(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if prepare_on_startup:
            prepare(shop)
        _load_keys(shop)
        shop.chaos.start()
        event_log.info("started", extra={"version": settings.app_version})
        try:
            yield
        finally:
            shop.chaos.shutdown()
            shop.payments.close()
            shop.engine.dispose()
            if shop.catalog_engine is not None:
                shop.catalog_engine.dispose()
            event_log.info("stopped", extra={"version": settings.app_version})

    app = FastAPI(title="chaosdrill shop", version=settings.app_version, lifespan=lifespan)
    app.state.shop = shop
    api = [Depends(chaos_gate)]
    for module in (catalog, customers, orders, recommendations, export, login):
        app.include_router(module.router, dependencies=api)
    app.include_router(storefront.router)
    app.include_router(health.router)
    app.include_router(chaos.router)
    app.include_router(keys.router)
    app.include_router(login.admin)
    app.add_exception_handler(sa_exc.IntegrityError, _conflict)
    app.add_exception_handler(sa_exc.DBAPIError, _database_unavailable)
    app.add_exception_handler(sa_exc.TimeoutError, _database_unavailable)
    app.add_middleware(DenyListMiddleware, keys=shop.keys)
    app.add_middleware(
        ObservabilityMiddleware,
        metrics=shop.metrics,
        timeout_s=settings.request_timeout_s,
        chaos=shop.chaos,
    )
    return app


def _load_keys(shop: Shop) -> None:
    # A shop whose database is down still starts (and answers 503s); its key routes
    # answer 401 until a restart finds the database.
    try:
        shop.keys.load()
        shop.accounts.load()
    except sa_exc.SQLAlchemyError as exc:
        error_log.error("cannot load API keys", extra={"error": type(exc).__name__})


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    error_log.error(
        "database unavailable",
        extra={"path": request.url.path, "error": f"{type(exc).__name__}: {exc}"[:500]},
    )
    return JSONResponse(
        {"detail": "database unavailable", "error": type(exc).__name__}, status_code=503
    )


async def _conflict(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": "conflict with existing data"}, status_code=409)

"""Database engine and sessions: SQLite by default, PostgreSQL with the same code."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from target_app.config import Settings


def database_url(raw: str) -> URL:
    """Parse `raw`; a bare `postgresql://` URL means psycopg 3 (the driver we ship)."""
    url = make_url(raw)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def make_engine(settings: Settings, raw_url: str | None = None) -> Engine:
    """Build the engine (of `raw_url`, else the settings' database) with explicit
    timeouts so a dead database fails fast."""
    url = database_url(raw_url or settings.database_url)
    pool: dict[str, Any] = {
        "pool_size": settings.pool_size,
        "max_overflow": settings.max_overflow,
        "pool_timeout": settings.db_timeout_s,
    }
    if url.get_backend_name() == "sqlite":
        # A file database has no connection to go stale, so no pre-ping; the
        # busy timeout bounds how long a write waits for a lock.
        engine = create_engine(
            url,
            connect_args={"timeout": settings.db_timeout_s, "check_same_thread": False},
            **pool,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    timeout_ms = int(settings.db_timeout_s * 1000)
    return create_engine(
        url,
        pool_pre_ping=True,
        connect_args={
            # libpq's minimum is 2 s; psycopg applies it to the whole connect.
            "connect_timeout": max(2, math.ceil(settings.db_timeout_s)),
            # A connection whose packets go unacknowledged fails instead of hanging.
            "tcp_user_timeout": timeout_ms,
            "keepalives": 1,
            "keepalives_idle": 5,
            "keepalives_interval": 2,
            "keepalives_count": 2,
            "options": f"-c statement_timeout={timeout_ms * 2} -c lock_timeout={timeout_ms}",
            "application_name": "chaosdrill-shop",
        },
        **pool,
    )


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def check_database(engine: Engine) -> None:
    """Raise unless a pooled connection can run a query."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def pool_usage(engine: Engine) -> str:
    """How full the connection pool is, for operators (`3/10 checked out`)."""
    pool = engine.pool
    if not isinstance(pool, QueuePool):
        return "not pooled"
    capacity = pool.size() + max(getattr(pool, "_max_overflow", 0), 0)
    return f"{pool.checkedout()}/{capacity} checked out"

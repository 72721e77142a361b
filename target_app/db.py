"""Database engine and sessions: SQLite by default, PostgreSQL with the same code."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from target_app.config import Settings


def make_engine(settings: Settings) -> Engine:
    """Build the engine with explicit timeouts so a dead database fails fast."""
    url = settings.database_url
    pool: dict[str, Any] = {
        "pool_size": settings.pool_size,
        "max_overflow": settings.max_overflow,
        "pool_timeout": settings.db_timeout_s,
        "pool_pre_ping": True,
    }
    if url.startswith("sqlite"):
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
        connect_args={
            "connect_timeout": max(1, math.ceil(settings.db_timeout_s)),
            # A blackholed connection must not hang a request for minutes.
            "tcp_user_timeout": timeout_ms,
            "keepalives": 1,
            "keepalives_idle": 5,
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


def iter_session(factory: sessionmaker[Session]) -> Iterator[Session]:
    with factory() as session:
        yield session

"""The pool leak's give-back: a connection that will not close is logged, and the
others are still given back (a leak that hides its failure looks reverted when it
is not)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import QueuePool

from target_app.chaos_faults import _release


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = create_engine(
        f"sqlite:///{tmp_path / 'shop.db'}", poolclass=QueuePool, pool_size=3, max_overflow=0
    )
    yield eng
    eng.dispose()


@pytest.fixture
def shop_errors(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    # The shop's logger does not propagate once configured: listen on it directly.
    logger = logging.getLogger("shop.error")
    logger.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.WARNING)
    yield caplog
    logger.removeHandler(caplog.handler)


def test_every_held_connection_is_given_back(engine: Engine) -> None:
    held = [engine.connect() for _ in range(3)]
    for conn in held:
        conn.exec_driver_sql("SELECT 1")
    assert engine.pool.checkedout() == 3  # type: ignore[attr-defined]
    assert _release(held) == 0
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_a_connection_that_will_not_close_is_logged_and_the_rest_given_back(
    engine: Engine, shop_errors: pytest.LogCaptureFixture
) -> None:
    gone = engine.connect()
    gone.close()  # invalidate() on it now raises: it stands for a connection that fails
    live = [engine.connect(), engine.connect()]
    assert _release([gone, *live]) == 1
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    # dict: a record seen twice (propagated to the root too) counts once
    failures = list(
        {
            id(r): r for r in shop_errors.records if "could not be given back" in r.getMessage()
        }.values()
    )
    assert len(failures) == 1
    assert "closed" in failures[0].getMessage()  # the error itself is in the log line

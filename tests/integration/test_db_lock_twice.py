"""A second db.lock on a real SQLite environment fails with its reason, never an empty one.

Scenario validation refuses two overlapping locks; `chaosdrill fault inject` and the
facilitator console can still ask for a second one, and must be told why it failed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.faults.errors import FaultError
from simulator.faults.kinds.database import DbLock, LockParams
from simulator.faults.manager import FaultManager

pytestmark = pytest.mark.integration


def test_a_second_lock_holder_says_why_it_has_none(env_dir: Path) -> None:
    faults = FaultManager(env_dir)
    first = faults.inject("db.lock", {}, ttl_s=60)
    try:
        # The kind itself, as it acts when nothing stops the second injection earlier.
        with pytest.raises(FaultError) as info:
            DbLock().inject(faults.backend(), LockParams(table="orders"), 60, "f-second")
        assert str(info.value) == (
            "the lock holder could not take its lock on table 'orders': another writer has"
            " held the SQLite database's one write lock for 5s (another db.lock fault?)"
        )
        # Through the manager: refused (by the lock holder, or earlier by the manager).
        with pytest.raises(FaultError, match="one write lock"):
            faults.inject("db.lock", {"table": "orders"}, ttl_s=60)
        assert [e.id for e in faults.active()] == [first.id]
    finally:
        faults.revert(first.id)
    assert faults.active() == []

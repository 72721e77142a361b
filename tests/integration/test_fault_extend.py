"""Extending a drill extends its faults' TTLs on the far side too.

Each fault is injected with a short TTL, extended, and watched from outside past
its first deadline: the in-app setting, the proxy's disable and toxic, the lock
holder and the watchdog all keep it going, until it is reverted.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from simulator.faults.manager import FaultManager
from tests.integration.faults_env import (
    current,
    eventually,
    healthy,
    new_order,
    paid,
    status_of,
)

pytestmark = pytest.mark.integration

# Long enough to see the fault and extend it before its first deadline on a loaded
# machine (a lock holder is a Python process that has to start and take the lock).
TTL_S = 8.0
EXTRA_S = 30.0
PAST_FIRST_DEADLINE_S = TTL_S + 3.0  # after the injection; the watchdog ticks every 0.5 s


@pytest.fixture
def faults(env_dir: Path) -> Iterator[FaultManager]:
    manager = FaultManager(env_dir)
    assert eventually(lambda: healthy(env_dir), 20)
    yield manager
    manager.revert_all(reason="teardown")
    assert eventually(lambda: healthy(env_dir), 30)


def _shop(env_dir: Path) -> str:
    return current(env_dir).shop.url


Broken = Callable[[Path], bool]

CASES: dict[str, tuple[dict[str, object], Broken]] = {
    # in-app setting with its own expiry inside the shop
    "app.error_rate": (
        {"fraction": 1.0},
        lambda d: status_of(_shop(d) + "/products") >= 500,
    ),
    # the proxy re-enables a disabled upstream at its TTL
    "dependency.down": ({"dependency": "payment"}, lambda d: paid(_shop(d), 3)[0] != 200),
    # the lock holder lets go at its deadline
    "db.lock": ({}, lambda d: new_order(_shop(d), timeout=3) != 201),
    # the watchdog restarts a crashed shop at the journal's deadline
    "app.crash": ({}, lambda d: not healthy(d)),
}


@pytest.mark.parametrize("kind", list(CASES))
def test_an_extended_fault_outlives_its_first_ttl(
    env_dir: Path, faults: FaultManager, kind: str
) -> None:
    params, broken = CASES[kind]
    injected_at = time.monotonic()
    entry = faults.inject(kind, params, ttl_s=TTL_S)
    assert eventually(lambda: broken(env_dir), TTL_S), f"{kind} never showed"
    extended = faults.extend(EXTRA_S)
    assert [e.id for e in extended] == [entry.id]
    time.sleep(max(0.0, injected_at + PAST_FIRST_DEADLINE_S - time.monotonic()))
    assert broken(env_dir), f"{kind} ended at its first TTL despite the extension"
    (still,) = [e for e in faults.active() if e.id == entry.id]
    assert still.ttl_left() > TTL_S + EXTRA_S - (time.monotonic() - injected_at) - 5
    ended = faults.revert(entry.id, "teardown")
    assert ended.revert_reason == "teardown"


def test_an_unextended_fault_ends_by_its_ttl_as_ttl(env_dir: Path, faults: FaultManager) -> None:
    entry = faults.inject("app.error_rate", {"fraction": 1.0}, ttl_s=TTL_S)
    assert eventually(lambda: status_of(_shop(env_dir) + "/products") >= 500, 10)
    assert eventually(lambda: status_of(_shop(env_dir) + "/products") == 200, TTL_S + 10)

    def ended() -> bool:
        record = next(e for e in faults.entries() if e.id == entry.id)
        return record.status == "reverted"

    assert eventually(ended, 10)
    record = next(e for e in faults.entries() if e.id == entry.id)
    assert record.revert_reason == "ttl" and record.ended_by is None


def test_a_remediation_records_the_action_that_ended_the_fault(
    env_dir: Path, faults: FaultManager
) -> None:
    from simulator.remediation.apply import apply

    entry = faults.inject("dependency.down", {"dependency": "payment"}, ttl_s=60)
    result = apply(env_dir, "dependency.switch_backup", None, "a-12345678")
    assert [e.id for e in result.ended] == [entry.id]
    record = next(e for e in faults.entries() if e.id == entry.id)
    assert (record.revert_reason, record.ended_by) == ("remediated", "a-12345678")
    apply(env_dir, "service.restart")  # the backup switch is a flag: back to the primary

"""A fault whose revert fails is never recorded as ended: its journal entry stays
open, says why, and the caller sees the failure (the watchdog, `cleanup` and the
next `env down` then try again). Seen through the manager's own record (the
journal) and its exceptions.

The two kinds below are registered the way a third-party kind is (by name in the
registry the `chaosdrill.faults` entry points fill); they break nothing real, so
the test is only about what the manager does when a kind's own code fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from simulator.faults.backend import FaultBackend
from simulator.faults.base import FaultKind, FaultParams
from simulator.faults.errors import FaultError
from simulator.faults.journal import load_journal
from simulator.faults.manager import FaultManager
from simulator.faults.registry import REGISTRY

pytestmark = pytest.mark.integration


class Switches:
    """What the test kinds do next (shared by the instances, reset per test)."""

    inject_fails = False
    revert_fails: ClassVar[set[str]] = set()  # the kinds whose revert raises


class _TestKind(FaultKind):
    summary: ClassVar[str] = "test only: fails on demand"

    def inject(
        self, backend: FaultBackend, params: FaultParams, ttl_s: float, fault_id: str
    ) -> dict[str, Any]:
        if Switches.inject_fails:
            raise RuntimeError("inject broke half-way")
        return {"made": fault_id}

    def revert(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> None:
        if self.name in Switches.revert_fails:
            raise RuntimeError("revert broke: the far side refused")

    def is_active(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> bool:
        return True


class Sticky(_TestKind):
    name: ClassVar[str] = "test.sticky"


class Plain(_TestKind):
    name: ClassVar[str] = "test.plain"


@pytest.fixture
def faults(env_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultManager]:
    monkeypatch.setitem(REGISTRY, Sticky.name, Sticky())
    monkeypatch.setitem(REGISTRY, Plain.name, Plain())
    monkeypatch.setattr(Switches, "inject_fails", False)
    monkeypatch.setattr(Switches, "revert_fails", set())
    manager = FaultManager(env_dir)
    yield manager
    # Leave the shared environment with none of the test kinds open (the watchdog's
    # own process does not know them).
    Switches.inject_fails, Switches.revert_fails = False, set()
    manager.revert_all(reason="teardown")
    assert manager.active() == []


def _entry(env_dir: Path, fault_id: str) -> Any:
    entry = load_journal(env_dir).get(fault_id)
    assert entry is not None
    return entry


def test_a_revert_that_fails_keeps_the_fault_open_and_says_why(
    env_dir: Path, faults: FaultManager
) -> None:
    entry = faults.inject(Sticky.name, ttl_s=120)
    Switches.revert_fails = {Sticky.name}
    with pytest.raises(RuntimeError, match="the far side refused"):
        faults.revert(entry.id)
    stored = _entry(env_dir, entry.id)
    assert stored.open and stored.status == "active"
    assert stored.revert_reason is None and stored.reverted_at is None
    assert "revert failed: revert broke" in (stored.error or "")
    assert [e.id for e in faults.active()] == [entry.id]

    Switches.revert_fails = set()  # the far side is back: the next try ends it
    ended = faults.revert(entry.id, reason="operator")
    assert not ended.open and ended.revert_reason == "operator"


def test_one_fault_that_will_not_revert_blocks_no_other_and_is_named(
    env_dir: Path, faults: FaultManager
) -> None:
    sticky = faults.inject(Sticky.name, ttl_s=120)
    plain = faults.inject(Plain.name, ttl_s=120)
    Switches.revert_fails = {Sticky.name}
    with pytest.raises(FaultError, match=f"could not be reverted: test.sticky \\({sticky.id}\\)"):
        faults.revert_all(reason="teardown")
    assert not _entry(env_dir, plain.id).open
    assert _entry(env_dir, sticky.id).open
    assert "revert failed" in (_entry(env_dir, sticky.id).error or "")


def test_an_inject_that_fails_and_cannot_be_undone_stays_open_with_both_errors(
    env_dir: Path, faults: FaultManager
) -> None:
    Switches.inject_fails, Switches.revert_fails = True, {Sticky.name}
    with pytest.raises(RuntimeError, match="inject broke half-way"):
        faults.inject(Sticky.name, ttl_s=120)
    (entry,) = faults.active()
    assert entry.kind == Sticky.name and entry.status == "injecting"  # cleanup retries it
    assert "inject broke half-way" in (entry.error or "")
    assert "the far side refused" in (entry.error or "")  # why it is still open

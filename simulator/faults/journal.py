"""The journal of faults on disk: what is injected, until when, how to undo it.

An entry is written BEFORE the fault acts (so a crash mid-injection is still
cleaned up) and marked reverted after. The engine, the CLI and the watchdog
all read and write it under the state directory's lock.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

FaultStatus = Literal["injecting", "active", "reverted", "failed"]

# How a fault ended. The fault manager is the one writer of this fact.
END_REASONS = frozenset(
    {"remediated", "duration", "ttl", "operator", "teardown", "abort", "cleanup", "env-down"}
)
# Older spellings, read as their current reason.
_LEGACY_REASONS = {"manual": "operator", "drill-end": "teardown"}


def end_reason(reason: str) -> str:
    """The canonical end reason: "remediated:ACTION" -> "remediated", "manual" -> "operator"."""
    base = reason.split(":", 1)[0]
    base = _LEGACY_REASONS.get(base, base)
    if base not in END_REASONS:
        raise ValueError(f"unknown end reason '{reason}'; one of {', '.join(sorted(END_REASONS))}")
    return base


class JournalEntry(BaseModel):
    id: str = Field(default_factory=lambda: "f-" + uuid.uuid4().hex[:8])
    kind: str
    params: dict[str, Any] = Field(default_factory=dict)
    target: str
    injected_at: float = Field(default_factory=time.time)
    deadline: float  # wall-clock epoch seconds: the TTL's end
    status: FaultStatus = "injecting"
    undo: dict[str, Any] = Field(default_factory=dict)  # what revert needs
    reverted_at: float | None = None
    revert_reason: str | None = None
    ended_by: str | None = None  # the id of the action that ended it (reason "remediated")
    error: str | None = None

    def ttl_left(self, now: float | None = None) -> float:
        return self.deadline - (time.time() if now is None else now)

    @property
    def open(self) -> bool:
        """Not yet known to be undone (injecting counts: it may have half-acted)."""
        return self.status in ("injecting", "active")


class Journal(BaseModel):
    entries: list[JournalEntry] = Field(default_factory=list)

    def open_entries(self) -> list[JournalEntry]:
        return [e for e in self.entries if e.open]

    def get(self, fault_id: str) -> JournalEntry | None:
        return next((e for e in self.entries if e.id == fault_id), None)


def journal_path(state_dir: Path) -> Path:
    return state_dir / "journal.json"


def load_journal(state_dir: Path) -> Journal:
    path = journal_path(state_dir)
    if not path.exists():
        return Journal()
    return Journal.model_validate_json(path.read_text())


def save_journal(state_dir: Path, journal: Journal) -> None:
    path = journal_path(state_dir)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(journal.model_dump_json(indent=2))
    tmp.replace(path)

"""Every environment under a state root, and what became of it.

A state root (`.chaosdrill` by default) holds the manual environment of
`chaosdrill env up` in `env/` and one per drill in `drills/<opaque>/env/`, next
to the drill's `drill.json`. `cleanup`, `env status` and the engine's stale
cleanup all find environments here, the same way.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from simulator.env.owner import Owner, read_owner
from simulator.env.state import EnvState, load_state

Condition = Literal["running", "orphaned", "abandoned"]


@dataclass(frozen=True)
class FoundEnv:
    """One environment's record, its owning engine (if any) and its drill (if any)."""

    state_dir: Path
    state: EnvState
    owner: Owner | None  # None: a manual `env up`, nobody's to take down
    drill: dict[str, Any] | None  # drill.json, when the engine wrote one

    @property
    def is_drill(self) -> bool:
        return self.owner is not None or self.drill is not None

    @property
    def condition(self) -> Condition:
        """running: in use (or manual); orphaned: its engine died, faults still timing out;
        abandoned: stopped by its watchdog after its engine died."""
        if self.state.abandoned is not None:
            return "abandoned"
        if self.owner is not None and not self.owner.alive():
            return "orphaned"
        return "running"

    def label(self) -> str:
        """A short name for a line of output: the drill's id or the manual environment."""
        where = shown_path(self.state_dir)
        if self.drill and self.drill.get("drill_id"):
            return f"drill {self.drill['drill_id']} ({where})"
        return f"drill environment {where}" if self.is_drill else f"environment {where}"

    def describe(self) -> str:
        """One sentence on its condition, for `env status`."""
        condition = self.condition
        if condition == "abandoned":
            assert self.state.abandoned is not None
            at = time.strftime("%H:%M:%S", time.localtime(self.state.abandoned.at))
            return f"abandoned at {at}: {self.state.abandoned.reason}"
        if condition == "orphaned":
            assert self.owner is not None
            return (
                f"orphaned: its engine (pid {self.owner.pid}) is gone; the watchdog stops it "
                "once its faults' TTLs have run out (`chaosdrill cleanup` does it now)"
            )
        if self.owner is not None:
            return f"running, owned by engine pid {self.owner.pid}"
        return "running (manual `env up`)"


def shown_path(path: Path) -> str:
    """`path` relative to the working directory when it is below it (shorter lines)."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _drill_file(state_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((state_dir.parent / "drill.json").read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def inspect(state_dir: Path) -> FoundEnv | None:
    """The environment recorded in `state_dir`, or None when there is none."""
    state_dir = state_dir.resolve()
    try:
        state = load_state(state_dir)
    except ValueError:  # a record cut short or from another version: nothing to act on
        return None
    if state is None:
        return None
    drill = _drill_file(state_dir) if state_dir.parent.parent.name == "drills" else None
    return FoundEnv(state_dir, state, read_owner(state_dir), drill)


def find_environments(state_root: Path) -> list[FoundEnv]:
    """The manual environment and every drill's, in that order (drills by directory)."""
    state_root = state_root.resolve()
    candidates = [state_root / "env", *sorted((state_root / "drills").glob("*/env"))]
    return [found for d in candidates if (found := inspect(d)) is not None]

"""The engine that owns an environment, and whether it is still alive.

A drill's engine writes its pid to `owner.pid` in the environment's state
directory before it brings the environment up; `up` (which runs inside that
engine) then records the process's start time next to it, in `owner.start`, so
that another process that later gets the same pid is never taken for the
engine. An environment from a manual `chaosdrill env up` has no owner: only the
operator takes it down.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from simulator.env.state import process_state

OWNER_PID = "owner.pid"
OWNER_START = "owner.start"


def start_ticks(pid: int) -> int | None:
    """When `pid` started, in clock ticks after boot (/proc/PID/stat field 22); None if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Fields after the command name (which may hold spaces) start at field 3.
    return int(stat.rsplit(")", 1)[1].split()[19])


@dataclass(frozen=True)
class Owner:
    """The engine recorded for an environment."""

    pid: int
    start: int | None  # None: only the pid was recorded (an engine older than this check)

    def alive(self) -> bool:
        """The very process that wrote `owner.pid` still runs (not a zombie, not a reused pid)."""
        if self.pid <= 0 or process_state(self.pid) in (None, "Z", "X"):
            return False
        return self.start is None or start_ticks(self.pid) == self.start


def read_owner(state_dir: Path) -> Owner | None:
    """The environment's engine, or None for an environment nobody owns (`env up`)."""
    try:
        raw = (state_dir / OWNER_PID).read_text().strip()
    except FileNotFoundError:
        return None
    except OSError:
        return Owner(pid=0, start=None)  # unreadable: owned once, provably not alive now
    try:
        pid = int(raw)
    except ValueError:
        return Owner(pid=0, start=None)
    try:
        start: int | None = int((state_dir / OWNER_START).read_text().strip())
    except (OSError, ValueError):
        start = None
    return Owner(pid=pid, start=start)


def record_owner_start(state_dir: Path) -> None:
    """Next to `owner.pid`, the start time of that process (called by `up`, in the engine)."""
    owner = read_owner(state_dir)
    if owner is None or owner.start is not None or owner.pid <= 0:
        return
    ticks = start_ticks(owner.pid)
    if ticks is not None:
        (state_dir / OWNER_START).write_text(str(ticks))

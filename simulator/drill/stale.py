"""Leftovers of drills whose engine died: reverted at every engine start."""

from __future__ import annotations

import os
from pathlib import Path

from simulator.env import lifecycle


def cleanup_stale(state_root: Path) -> list[Path]:
    """Every engine start reverts the leftovers of drills whose engine is gone."""
    cleaned = []
    for state_file in sorted((state_root / "drills").glob("*/env/state.json")):
        env_dir = state_file.parent
        owner = env_dir / "owner.pid"
        try:
            pid = int(owner.read_text())
            os.kill(pid, 0)
            if pid != os.getpid():
                continue  # a drill that is still running
        except (OSError, ValueError):
            pass
        lifecycle.down(env_dir)
        cleaned.append(env_dir)
    return cleaned

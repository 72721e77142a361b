"""The shop's JSON access and error log, as an operator tails it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from simulator.env.state import EnvState

LOG_TAIL_BYTES = 2_000_000
ACCESS_LOG = "shop.jsonl"  # in the environment's data directory


def access_log(state: EnvState, since_wall: float) -> list[dict[str, Any]]:
    path = Path(state.data_dir) / ACCESS_LOG
    try:
        with path.open("rb") as handle:
            handle.seek(max(0, path.stat().st_size - LOG_TAIL_BYTES))
            lines = handle.read().decode(errors="replace").splitlines()[1:]
    except OSError:
        return []
    entries = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("ts", 0) >= since_wall:
            entries.append(entry)
    return entries

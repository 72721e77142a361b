"""Tail and filter the shop's JSON log, as `tail -f | grep` would, minus the chaos controls.

The shop logs every request, including the engine's own calls to its
loopback-only chaos API; those lines would name the fault, so they never
leave this module.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from simulator.env.state import EnvState

__all__ = ["tail_logs"]

TAIL_BYTES = 1_000_000
HIDDEN_PREFIXES = ("/chaos",)
SHOWN = ("ts", "time", "level", "logger", "msg", "method", "path", "status", "duration_ms")


def _lines(path: Path) -> list[str]:
    try:
        with path.open("rb") as handle:
            size = path.stat().st_size
            handle.seek(max(0, size - TAIL_BYTES))
            lines = handle.read().decode(errors="replace").splitlines()
    except OSError:
        return []
    return lines[1:] if size > TAIL_BYTES else lines  # the first may be cut in half


def _keep(entry: dict[str, Any], level: str, text: str, route: str, status: str) -> bool:
    path = str(entry.get("path") or "")
    if path.startswith(HIDDEN_PREFIXES):
        return False
    if level != "all" and entry.get("level") != level:
        return False
    if route and route not in path and route not in str(entry.get("route") or ""):
        return False
    if status and str(entry.get("status", ""))[:1] != status[0]:
        return False
    if text:
        haystack = " ".join(str(entry.get(k, "")) for k in ("msg", "path", "exception")).lower()
        if text.lower() not in haystack:
            return False
    return True


def tail_logs(
    env: EnvState,
    *,
    level: str = "all",
    text: str = "",
    route: str = "",
    status: str = "",
    limit: int = 200,
) -> list[dict[str, Any]]:
    """The newest `limit` matching log lines, oldest first."""
    kept: list[dict[str, Any]] = []
    for line in reversed(_lines(Path(env.data_dir) / "shop.jsonl")):
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if not isinstance(entry, dict) or not _keep(entry, level, text, route, status):
            continue
        shown = {k: entry[k] for k in SHOWN if k in entry}
        if "exception" in entry:
            shown["exception"] = str(entry["exception"]).strip().splitlines()[-1][:300]
        kept.append(shown)
        if len(kept) >= limit:
            break
    kept.reverse()
    return kept

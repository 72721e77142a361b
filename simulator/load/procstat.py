"""CPU time of a process from /proc (Linux), without psutil."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cpu_seconds", "parse_cpu_ticks"]

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def parse_cpu_ticks(stat_line: str) -> int:
    """utime + stime (in clock ticks) from one /proc/PID/stat line."""
    # The command name (field 2) may hold spaces and parentheses: split after the last ")".
    fields = stat_line.rsplit(")", 1)[1].split()
    # After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
    return int(fields[11]) + int(fields[12])


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds `pid` has used, or None if it is gone (or not Linux).

    Works for a zombie too (exited but not yet reaped), so read it before `wait()`.
    """
    try:
        line = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return parse_cpu_ticks(line) / _CLOCK_TICKS

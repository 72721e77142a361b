"""A drill's report directory: one drill per directory, and moving an old one aside."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path


class ReportDirInUse(ValueError):
    """The report directory already holds a drill; the message says what to do."""


def check_report_dir(directory: Path) -> None:
    """Two drills never share one event log: refuse a directory that holds one."""
    for name in ("events.db", "events.jsonl"):
        if (directory / name).exists():
            raise ReportDirInUse(
                f"{directory} already holds a drill ({name}); choose another --report-dir, "
                "or pass --force to archive the old one beside it and start afresh"
            )


def archive_report_dir(directory: Path) -> Path | None:
    """Move a used report directory aside (DIR.old-STAMP); returns where it went."""
    if not directory.exists() or not any(directory.iterdir()):
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    target = directory.with_name(f"{directory.name}.old-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = directory.with_name(f"{directory.name}.old-{stamp}-{n}")
    directory.rename(target)
    return target

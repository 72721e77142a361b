"""The size-limited tmpfs under an environment's data directory (root only)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

MOUNT_SOURCE = "chaosdrill-data"  # what `mount` shows as the device of our tmpfs


def mount_tmpfs(path: Path, size_mb: int) -> bool:
    """Mount a tmpfs of `size_mb` on `path`; False (and nothing mounted) when not root."""
    if os.geteuid() != 0 or size_mb <= 0 or shutil.which("mount") is None:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0755", MOUNT_SOURCE, str(path)],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def unmount(path: Path) -> bool:
    """Unmount what `up` mounted there (lazily: an open file must not keep it); True if done."""
    if os.path.ismount(path):
        done = subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)
        return done.returncode == 0
    return False


def mounts_under(root: Path) -> list[Path]:
    """Our tmpfs mounts at or below `root` (e.g. left by an engine killed during `up`)."""
    root = root.resolve()
    found = []
    try:
        lines = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return []
    for line in lines:
        fields = line.split()
        if len(fields) < 2 or fields[0] != MOUNT_SOURCE:
            continue
        # /proc/mounts escapes spaces and the like as octal (\040).
        point = Path(fields[1].encode().decode("unicode_escape"))
        if point == root or root in point.parents:
            found.append(point)
    return found

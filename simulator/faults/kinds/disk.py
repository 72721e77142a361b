"""disk.full: a runaway export fills the shop's size-limited data directory."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

from simulator.faults.backend import FaultBackend
from simulator.faults.base import FaultKind, FaultParams
from simulator.faults.errors import FaultError, NotApplicable

CHUNK = 1024 * 1024
SCRATCH = "tmp"  # where the runaway export writes; `disk.cleanup` empties it


class DiskFull(FaultKind):
    name = "disk.full"
    summary = "the shop's data directory fills up: writes fail with ENOSPC"

    def target(self, params: FaultParams) -> str:
        return "disk"

    def databases(self, params: FaultParams) -> frozenset[str]:
        return frozenset({"sqlite"})  # see check: the PostgreSQL server's disk is not ours

    def exclusive(self, params: FaultParams, database: str) -> str | None:
        # The first fault's revert would free the disk under the second.
        return "the shop's data disk"

    def check(self, backend: FaultBackend, params: FaultParams) -> None:
        if not backend.state.disk_limited:
            raise NotApplicable(
                "disk.full needs the shop's data directory on a size-limited filesystem, "
                "which `chaosdrill env up` mounts only when run as root (tmpfs); "
                "run it as root or use the docker backend"
            )
        if backend.is_postgres:
            raise NotApplicable(
                "disk.full fills the shop's SQLite data directory; the "
                "PostgreSQL server's disk is not this environment's to fill"
            )

    def inject(
        self, backend: FaultBackend, params: FaultParams, ttl_s: float, fault_id: str
    ) -> dict[str, Any]:
        scratch = backend.data_dir / SCRATCH
        scratch.mkdir(exist_ok=True)
        path = scratch / f"export-{fault_id}.csv"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            # Reserve nearly all free space at once (fast on tmpfs), then write
            # until the kernel says ENOSPC, as a runaway export would.
            free = os.statvfs(scratch).f_bavail * os.statvfs(scratch).f_frsize
            if free > CHUNK:
                os.posix_fallocate(fd, 0, free - CHUNK)
                os.lseek(fd, 0, os.SEEK_END)
            block = b"order_id,customer_id,total_cents\n" * (CHUNK // 34)
            while True:
                os.write(fd, block)
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                os.close(fd)
                path.unlink(missing_ok=True)
                raise FaultError(f"could not fill {scratch}: {exc.strerror}") from exc
        # Fill the last partial block too, so even small writes fail.
        for size in (4096, 512, 1):
            try:
                while True:
                    os.write(fd, b"x" * size)
            except OSError:
                continue
        os.close(fd)
        return {"path": str(path)}

    def revert(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> None:
        if undo:
            Path(undo["path"]).unlink(missing_ok=True)

    def is_active(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> bool:
        return bool(undo) and Path(undo["path"]).exists()


KINDS: list[type[FaultKind]] = [DiskFull]

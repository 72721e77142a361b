"""Finding Debian's PostgreSQL server binaries and running them as the right user.

The server refuses to run as root, so when the drill runs as root the cluster belongs
to the `postgres` system user that Debian's package creates.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path

NEEDED = ("initdb", "pg_ctl", "pg_basebackup", "postgres")
PACKAGE_HINT = "install Debian's PostgreSQL server (`sudo apt-get install postgresql`)"
SERVER_USER = "postgres"
VERSIONS_DIR = Path("/usr/lib/postgresql")  # Debian: one N/bin per installed version


class ClusterError(RuntimeError):
    """The drill's cluster cannot be made, started, backed up or restored; one sentence."""


def find_bindir() -> Path:
    """The newest /usr/lib/postgresql/N/bin holding every binary we need, or PATH's."""
    candidates = sorted(
        VERSIONS_DIR.glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for bindir in candidates:
        if all((bindir / name).is_file() for name in NEEDED):
            return bindir
    raise ClusterError(
        "this scenario runs its own PostgreSQL cluster and the server binaries "
        f"({', '.join(NEEDED)}) are not installed: {PACKAGE_HINT}"
    )


def server_user() -> str | None:
    """None when we are not root (the servers run as us), else the `postgres` user."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise ClusterError(
            f"running as root, the cluster needs the '{SERVER_USER}' system user that "
            f"Debian's package creates: {PACKAGE_HINT}"
        ) from None
    return SERVER_USER


def give_to(path: Path, user: str | None) -> None:
    """Make `path` (recursively) belong to the server user."""
    if user is None:
        return
    entry = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            os.lchown(os.path.join(root, name), entry.pw_uid, entry.pw_gid)
    os.lchown(path, entry.pw_uid, entry.pw_gid)


def run(
    user: str | None, argv: list[str], timeout_s: float = 120.0
) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL tool as the server user; a failure is one ClusterError sentence."""
    try:
        out = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
            user=user,
            cwd="/",
            env={**os.environ, "LC_ALL": "C.UTF-8", "PGCONNECT_TIMEOUT": "5"},
        )
    except subprocess.TimeoutExpired:
        raise ClusterError(f"{Path(argv[0]).name} did not finish in {timeout_s:.0f}s") from None
    if out.returncode != 0:
        tail = (out.stderr or out.stdout).strip().splitlines()[-3:]
        raise ClusterError(f"{Path(argv[0]).name} failed: {' / '.join(tail)}")
    return out

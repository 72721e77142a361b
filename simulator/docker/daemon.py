"""Start dockerd when it is not running (tests, the benchmark, CI on a bare host).

Debian's docker.io runs here only when started by hand, with the vfs storage
driver (no overlay on this kernel's filesystem). Left running afterwards: it
is a system service, like the one `.ci/system-setup` starts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from simulator.env.services import spawn_detached

LOG = Path("/var/log/chaosdrill-dockerd.log")


def docker_running() -> bool:
    if not shutil.which("docker"):
        return False
    done = subprocess.run(["docker", "info"], capture_output=True, check=False, timeout=30)
    return done.returncode == 0


def ensure_dockerd(timeout_s: float = 60.0) -> str | None:
    """None when dockerd answers (started here if needed), else why it cannot."""
    if docker_running():
        return None
    if os.geteuid() != 0 or not shutil.which("dockerd"):
        return "dockerd is not running and cannot be started here (needs root and docker.io)"
    # Detached (re-parented to init): dockerd outlives whoever started it, and no
    # Popen handle is left to be garbage-collected while it runs.
    spawn_detached(["dockerd", "--storage-driver=vfs"], LOG)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if docker_running():
            return None
        time.sleep(0.5)
    return f"dockerd did not answer within {timeout_s:.0f}s; see {LOG}"

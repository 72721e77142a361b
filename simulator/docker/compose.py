"""Running the stack's compose file: `docker compose` (v2) or `docker-compose` (v1).

The docker environment is one compose project of docker-compose.yml (plus
docker/compose.local.yml when the images are the locally built ones). Its
settings are environment variables, recorded in the state, so every later
`up` of a service (a new release, a rollback, a scale-up) recreates it from
the same file with one setting changed, as an operator would.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

from simulator.docker.client import DockerUnavailable
from simulator.faults.errors import FaultError

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
LOCAL_OVERRIDE = REPO / "docker" / "compose.local.yml"
COMPOSE_TIMEOUT_S = 300.0


@functools.cache
def compose_command() -> tuple[str, ...]:
    """The compose CLI of this machine, v2 plugin first."""
    if shutil.which("docker"):
        probe = subprocess.run(
            ["docker", "compose", "version"], capture_output=True, text=True, check=False
        )
        if probe.returncode == 0:
            return ("docker", "compose")
    if shutil.which("docker-compose"):
        return ("docker-compose",)
    raise DockerUnavailable(
        "neither `docker compose` (v2) nor `docker-compose` (v1) is installed; "
        "install one (Debian: apt-get install docker-compose)"
    )


def compose_files(local_images: bool) -> list[Path]:
    return [COMPOSE_FILE, LOCAL_OVERRIDE] if local_images else [COMPOSE_FILE]


def run_compose(
    project: str,
    settings: dict[str, str],
    args: list[str],
    *,
    local_images: bool = True,
    timeout_s: float = COMPOSE_TIMEOUT_S,
) -> str:
    """Run one compose command for `project`; its output, or FaultError with compose's words."""
    argv = [*compose_command(), "-p", project]
    for path in compose_files(local_images):
        argv += ["-f", str(path)]
    # The project's settings win over the caller's environment and any .env file.
    env = {**os.environ, **settings, "COMPOSE_PROJECT_NAME": project}
    try:
        done = subprocess.run(
            [*argv, *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise FaultError(
            f"`{' '.join(args[:2])}` of compose project {project} took over {timeout_s:.0f}s"
        ) from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        raise FaultError(
            f"compose {' '.join(args[:1])} failed for project {project}: "
            + (lines[-1] if lines else f"exit status {done.returncode}")
        )
    return done.stdout + done.stderr

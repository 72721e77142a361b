"""The Docker SDK, imported only when a docker environment is used.

`docker` pulls in requests/urllib3, which must never be imported in a process
that later imports locust; the engine never imports locust, and importing the
SDK lazily also keeps every other command fast.
"""

from __future__ import annotations

import functools
import time
from typing import TYPE_CHECKING, Any

from simulator.faults.errors import FaultError

if TYPE_CHECKING:
    from docker.models.containers import Container

    from docker import DockerClient

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"


class DockerUnavailable(FaultError):
    """dockerd is not running or not reachable (one sentence with the fix)."""


@functools.cache
def docker_client() -> DockerClient:
    """The process-wide SDK client; a clear error when dockerd is not there."""
    try:
        from docker.errors import DockerException

        import docker
    except ImportError:
        raise DockerUnavailable(
            "the docker backend needs the Docker SDK for Python: pip install docker"
        ) from None
    try:
        client = docker.from_env(timeout=60)
        client.ping()
    except DockerException as exc:
        raise DockerUnavailable(
            "cannot reach the Docker daemon (is dockerd running? start it with "
            f"`dockerd --storage-driver=vfs &` or `systemctl start docker`): {_first_line(exc)}"
        ) from None
    return client


def docker_errors() -> tuple[type[Exception], ...]:
    """The SDK's exception classes, for `except` clauses that must not import it early."""
    from docker.errors import APIError, DockerException, NotFound

    return (APIError, DockerException, NotFound)


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:300]


def service_container(project: str, service: str, *, all_states: bool = True) -> Container | None:
    """The container of a compose service (the newest one if several), or None."""
    found = docker_client().containers.list(
        all=all_states,
        filters={"label": [f"{PROJECT_LABEL}={project}", f"{SERVICE_LABEL}={service}"]},
    )
    if not found:
        return None
    return max(found, key=lambda c: str(c.attrs.get("Created", "")))


def container_state(container: Container) -> dict[str, Any]:
    """Fresh `docker inspect` State of the container."""
    container.reload()
    state: dict[str, Any] = container.attrs["State"]
    return state


def wait_state(
    container: Container, wanted: set[str], timeout_s: float = 30.0, *, healthy: bool = False
) -> dict[str, Any]:
    """Poll until the container's status is one of `wanted` (and healthy, if asked)."""
    deadline = time.monotonic() + timeout_s
    state = container_state(container)
    while time.monotonic() < deadline:
        health = (state.get("Health") or {}).get("Status")
        if state["Status"] in wanted and (not healthy or health in (None, "healthy")):
            return state
        time.sleep(0.1)
        state = container_state(container)
    raise FaultError(
        f"container {container.name} did not become {'/'.join(sorted(wanted))}"
        f"{' and healthy' if healthy else ''} within {timeout_s:.0f}s "
        f"(status {state['Status']}); see `docker logs {container.name}`"
    )

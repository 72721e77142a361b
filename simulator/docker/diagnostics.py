"""The docker form of the responder's process view: what `docker inspect` shows.

`simulator.drill.diagnostics.host` reads /proc for the local backend; on the
docker backend a paused container is not a stopped process and an exited one
leaves no pid, so the view comes from the container's state instead, in the
same shape (state: running | stopped | exited | not running | restarting).
"""

from __future__ import annotations

from typing import Any

from simulator.docker.client import container_state, service_container
from simulator.env.state import EnvState

DEFAULT_CFS_PERIOD_US = 100_000

_STATES = {
    "running": "running",
    "paused": "stopped",  # frozen: the same symptom as SIGSTOP for a responder
    "restarting": "restarting",
    "exited": "exited",
    "dead": "exited",
    "created": "not running",
}


def container_process(state: EnvState, service: str = "shop") -> dict[str, Any]:
    """The service's container as the host view's `process` entry."""
    container = service_container(state.compose_project or "", service)
    if container is None:
        return {"pid": 0, "state": "not running", "container": None}
    inspect = container_state(container)
    host = container.attrs.get("HostConfig") or {}
    quota, period = int(host.get("CpuQuota") or 0), int(host.get("CpuPeriod") or 0)
    return {
        "pid": int(inspect.get("Pid") or 0),
        "state": _STATES.get(str(inspect["Status"]), str(inspect["Status"])),
        "container": container.name,
        "restart_count": int(container.attrs.get("RestartCount") or 0),
        "exit_code": inspect.get("ExitCode"),
        # No period of its own means the kernel's default CFS period.
        "cpu_limit": round(quota / (period or DEFAULT_CFS_PERIOD_US), 3) if quota > 0 else None,
    }

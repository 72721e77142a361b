"""Remediations on the docker backend: the contract's actions and container actions.

Most contract actions carry over through DockerBackend (a restart is `docker
restart`, a rollback deploys the previous image tag, a scale-up recreates the
shop with twice the pool, which also drops an ad-hoc CPU limit). `db.restore`
has a docker form here. Container actions take the compose service as their
argument (default: the shop): start, unpause, reconnect, recreate.
`simulator.remediation.apply.apply` applies them through the docker platform.
"""

from __future__ import annotations

from typing import Any

from simulator.docker.backend import DockerBackend
from simulator.docker.netns import iptables
from simulator.faults.backend import FaultBackend
from simulator.faults.errors import FaultError
from simulator.remediation.actions import ACTIONS, Action
from simulator.remediation.table import ENDS, ends

CONTAINER_FAULTS = frozenset(
    {"container.stop", "container.kill", "container.pause", "container.restart_loop"}
    | {"container.cpu_throttle", "network.disconnect", "network.reject", "app.crash", "app.hang"}
)


def _docker(backend: FaultBackend) -> DockerBackend:
    if not isinstance(backend, DockerBackend):
        raise FaultError("container actions need the docker backend")
    return backend


def _service(arg: str | None) -> str:
    return arg or "shop"


def start(backend: FaultBackend, arg: str | None) -> str:
    docker = _docker(backend)
    docker.start_service(_service(arg))
    return f"started the {_service(arg)} container"


def unpause(backend: FaultBackend, arg: str | None) -> str:
    docker = _docker(backend)
    if docker.status(_service(arg)) != "paused":
        return f"the {_service(arg)} container was not paused"
    docker.container(_service(arg)).unpause()
    return f"unpaused the {_service(arg)} container"


def reconnect(backend: FaultBackend, arg: str | None) -> str:
    docker = _docker(backend)
    service = _service(arg)
    networks = docker.inspect(service)["NetworkSettings"]["Networks"] or {}
    if f"{docker.project}_default" in networks:
        return f"{service} is connected to the network already"
    docker.network().connect(docker.container(service), aliases=[service])
    return f"reconnected {service} to the stack's network"


def recreate(backend: FaultBackend, arg: str | None) -> str:
    """Recreate the container from the compose file with the recorded settings."""
    docker = _docker(backend)
    service = _service(arg)
    docker.compose_up(service, force_recreate=True)
    docker.start_service(service)
    return f"recreated the {service} container from the compose file"


def restore_db(backend: FaultBackend, _arg: str | None) -> str:
    """Bring PostgreSQL back: start it, reconnect it, drop every chaosdrill packet rule."""
    docker = _docker(backend)
    if not docker.is_postgres:
        raise FaultError("this environment runs SQLite in the shop's container; no database server")
    if docker.status("postgres") != "running":
        docker.start_service("postgres")
    reconnect(backend, "postgres")
    removed = 0
    pid = docker.pid("postgres")
    rules = _rules(pid)
    for rule in rules:
        iptables(pid, "-D", rule)
        removed += 1
    return f"brought PostgreSQL back ({removed} blocking rule(s) removed)"


def _rules(pid: int) -> list[list[str]]:
    """chaosdrill's rules in the namespace of `pid`, as `iptables -S` prints them."""
    import shlex
    import subprocess

    out = subprocess.run(
        ["nsenter", "-t", str(pid), "-n", "iptables", "-w", "5", "-S", "INPUT"],
        capture_output=True,
        text=True,
        timeout=15,
        check=False,
    ).stdout
    return [shlex.split(line)[1:] for line in out.splitlines() if "chaosdrill-" in line]


DOCKER_ACTIONS: dict[str, Action] = {
    **ACTIONS,
    "db.restore": Action("db.restore", "bring the database container back", restore_db),
    **{
        a.name: a
        for a in [
            Action(
                "container.start", "start a stopped container", start, "service", default_arg="shop"
            ),
            Action(
                "container.unpause",
                "unpause a frozen container",
                unpause,
                "service",
                default_arg="shop",
            ),
            Action(
                "network.reconnect",
                "reconnect a container to the network",
                reconnect,
                "service",
                default_arg="shop",
            ),
            Action(
                "container.recreate",
                "recreate a container from the compose file",
                recreate,
                "service",
                restarts_shop=True,  # the faults a restart does not remove come back
                default_arg="shop",
            ),
        ]
    },
}

DOCKER_ENDS: dict[str, frozenset[str]] = {
    **ENDS,
    # A restart starts a stopped container and unpauses a frozen one (on the shop).
    "service.restart": ENDS["service.restart"]
    | {"container.kill", "container.stop", "container.pause"},
    "service.scale_up": ENDS["service.scale_up"]
    | {"container.kill", "container.stop", "container.pause", "container.cpu_throttle"},
    "container.start": frozenset({"container.stop", "container.kill", "app.crash"}),
    "container.unpause": frozenset({"container.pause", "app.hang"}),
    "network.reconnect": frozenset({"network.disconnect", "dependency.down"}),
    "container.recreate": CONTAINER_FAULTS | {"network.loss"},
}
SERVICE_SCOPED = {"service.restart", "service.scale_up"}  # they act on the shop only


def ends_docker(
    action: str, arg: str | None, kind: str, params: dict[str, Any], target: str
) -> bool:
    """Does `action arg` end this fault on the docker backend?"""
    if kind not in DOCKER_ENDS.get(action, frozenset()):
        return False
    if action in DOCKER_ACTIONS and DOCKER_ACTIONS[action].arg == "service":
        return target == _service(arg) or (kind == "dependency.down" and arg == target)
    if action in SERVICE_SCOPED and kind.startswith("container."):
        return target == "shop"
    if kind in ENDS.get(action, frozenset()):
        return ends(action, arg, kind, params, target)
    return True


__all__ = ["DOCKER_ACTIONS", "DOCKER_ENDS", "ends_docker"]

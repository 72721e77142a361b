"""The Docker platform: the compose stack of docker-compose.yml, faults in the containers'
network namespaces and through the Docker API, container remediations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simulator.docker import env as docker_env
from simulator.docker import remediation
from simulator.docker.backend import DockerBackend
from simulator.docker.contract_kinds import NoDockerForm, docker_kinds
from simulator.docker.diagnostics import container_process
from simulator.env.lifecycle import EnvOptions
from simulator.env.state import EnvState
from simulator.env.teardown import Stopped
from simulator.faults.backend import FaultBackend
from simulator.faults.base import FaultKind
from simulator.faults.catalog import REGISTRY
from simulator.remediation.actions import Action


class DockerPlatform:
    name = "docker"
    own_database = True  # the stack's PostgreSQL container

    def __init__(self) -> None:
        # The local kinds, their Docker forms, container faults and the refused ones.
        self._kinds: dict[str, FaultKind] = {**REGISTRY, **docker_kinds()}

    def up(self, options: EnvOptions) -> EnvState:
        return docker_env.up(options)

    def is_up(self, state: EnvState) -> bool:
        return docker_env.is_up(state)

    def stop(self, state_dir: Path, done: Stopped, abandoned: str | None) -> None:
        docker_env.stop(state_dir, done, abandoned)

    def status_rows(self, state: EnvState) -> dict[str, dict[str, Any]]:
        return docker_env.status_rows(state)

    def backend(self, state: EnvState) -> FaultBackend:
        return DockerBackend(state)

    def kinds(self) -> dict[str, FaultKind]:
        return self._kinds

    def refusal(self, kind_name: str) -> str | None:
        kind = self._kinds.get(kind_name)
        if isinstance(kind, NoDockerForm):
            return f"{kind_name} has no Docker form: {kind.reason}"
        return None

    def actions(self) -> dict[str, Action]:
        return remediation.DOCKER_ACTIONS

    def ends(
        self, action: str, arg: str | None, kind: str, params: dict[str, Any], target: str
    ) -> bool:
        return remediation.ends_docker(action, arg, kind, params, target)

    def unavailable(self, state: EnvState, action: str) -> str | None:
        return None  # every action is offered; a container action says itself if it cannot

    def process_view(self, state: EnvState) -> dict[str, Any] | None:
        return container_process(state)

"""The local platform: every service a process on 127.0.0.1, faults through the chaos
proxy, the shop's chaos controls, signals and the data directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simulator.env import lifecycle, services, teardown
from simulator.env.backend import LocalBackend
from simulator.env.lifecycle import EnvOptions
from simulator.env.state import EnvState
from simulator.env.teardown import Stopped
from simulator.faults.backend import FaultBackend
from simulator.faults.base import FaultKind
from simulator.faults.catalog import REGISTRY
from simulator.remediation import table
from simulator.remediation.actions import ACTIONS, Action


class LocalPlatform:
    name = "local"
    own_database = False

    def up(self, options: EnvOptions) -> EnvState:
        return lifecycle.up(options)

    def is_up(self, state: EnvState) -> bool:
        return any(services.is_running(r) for r in state.services.values())

    def stop(self, state_dir: Path, done: Stopped, abandoned: str | None) -> None:
        teardown.stop_local(state_dir, done, abandoned)

    def status_rows(self, state: EnvState) -> dict[str, dict[str, Any]]:
        return lifecycle.status_rows(state)

    def backend(self, state: EnvState) -> FaultBackend:
        return LocalBackend(state)

    def kinds(self) -> dict[str, FaultKind]:
        return REGISTRY

    def refusal(self, kind_name: str) -> str | None:
        return None

    def actions(self) -> dict[str, Action]:
        return ACTIONS

    def ends(
        self, action: str, arg: str | None, kind: str, params: dict[str, Any], target: str
    ) -> bool:
        return table.ends(action, arg, kind, params, target)

    def unavailable(self, state: EnvState, action: str) -> str | None:
        # The actions that need a part of the environment that `env up` may not start.
        embedded = state.database_kind == "sqlite"
        where = " (the shop runs on its embedded SQLite file)" if embedded else ""
        if action == "db.restore" and "database" not in state.proxies:
            return f"this environment has no database endpoint to bring back{where}"
        if action == "db.failover_to_replica" and not state.database_replica_url:
            return f"this environment has no database replica to fail over to{where}"
        return None

    def process_view(self, state: EnvState) -> dict[str, Any] | None:
        return None

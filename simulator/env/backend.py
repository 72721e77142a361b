"""The local platform's fault backend: where faults and remediations act on 127.0.0.1.

It wraps the environment's state with the operations faults need
(`simulator.faults.backend.FaultBackend`): the shop's chaos controls over HTTP, the
chaos proxy, and the processes by signal. `simulator.docker.backend` offers the same
operations on containers, side by side with this one.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import httpx

from simulator.env import services
from simulator.env.http import client
from simulator.env.proxy_client import ProxyClient
from simulator.env.state import EnvState, ServiceRecord, process_state, save_state
from simulator.faults.backend import chaos_state, check_target
from simulator.faults.errors import FaultError, NotApplicable


class LocalBackend:
    name = "local"

    def __init__(self, state: EnvState) -> None:
        self.state = state
        self.proxy = ProxyClient(state.proxy_api) if state.proxy_api else None
        # What an action measured while acting (a restore's lost rows), for the log.
        self.measured: dict[str, Any] = {}

    # -- allow-list ---------------------------------------------------------------
    def check_target(self, target: str) -> None:
        check_target(self.state, target)

    # -- the shop's own controls -------------------------------------------------------
    def shop_chaos(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        shop = self.state.shop
        try:
            response = client().request(
                method,
                shop.url + path,
                json=body,
                timeout=3.0,
                headers={"X-Chaos-Token": self.state.chaos_token},
            )
        except httpx.HTTPError as exc:
            raise FaultError(
                f"the shop's chaos controls at {shop.url} did not answer "
                f"({type(exc).__name__}); is the shop running?"
            ) from exc
        if response.status_code >= 400:
            raise FaultError(
                f"the shop refused {method} {path}: {response.status_code} {response.text[:200]}"
            )
        return response.json()

    def shop_chaos_state(self) -> dict[str, Any] | None:
        """The shop's chaos state, or None when the shop cannot answer (down, hung)."""
        return chaos_state(self)

    # -- proxy -------------------------------------------------------------------------
    def require_proxy(self, name: str) -> ProxyClient:
        if self.proxy is None or name not in self.state.proxies:
            what = "PostgreSQL" if name.startswith("database") else name
            raise NotApplicable(
                f"this environment has no '{name}' proxy, so faults on {what} cannot act; "
                + (
                    "start it with --database-url postgresql+psycopg://..."
                    if name.startswith("database")
                    else "restart it with `chaosdrill env up`"
                )
            )
        return self.proxy

    # -- processes ---------------------------------------------------------------------
    def service(self, name: str) -> ServiceRecord:
        self.check_target(name)
        return self.state.services[name]

    def signal_service(self, name: str, sig: signal.Signals) -> bool:
        return services.send_signal(self.service(name), sig)

    def service_running(self, name: str) -> bool:
        return services.is_running(self.service(name))

    def service_stopped(self, name: str) -> bool:
        record = self.service(name)
        return services.is_running(record) and process_state(record.pid) == "T"

    def start_service(self, name: str) -> None:
        services.start(self.state, name)
        self.save()

    def restart_service(
        self, name: str, *, version: str | None = None, env: dict[str, str] | None = None
    ) -> None:
        services.restart(self.state, name, version=version, env=env)
        self.save()

    def save(self) -> None:
        save_state(self.state)

    @property
    def data_dir(self) -> Path:
        return Path(self.state.data_dir)

    @property
    def is_postgres(self) -> bool:
        return self.state.database_kind == "postgres"

"""DockerBackend: the operations faults and remediations need, on containers.

It implements `simulator.faults.backend.FaultBackend` side by side with the local
platform's backend (it does not subclass it), so the contract's kinds work unchanged
where their meaning carries over: SIGKILL is `docker kill`, SIGSTOP is `docker pause`,
a new release or a scale-up recreates the service from the compose file with one
setting changed. It adds container operations, which the docker kinds and actions
reach by `isinstance`. Targets are compose services of the environment's project,
and only those on the environment's allow-list.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator.docker import env as docker_env
from simulator.docker.client import container_state, docker_client, service_container
from simulator.docker.compose import run_compose
from simulator.env.proxy_client import ProxyClient
from simulator.env.state import EnvState, save_state
from simulator.faults.backend import chaos_state, check_target
from simulator.faults.errors import FaultError, NotApplicable

if TYPE_CHECKING:
    from docker.models.containers import Container
    from docker.models.networks import Network

CONTAINER_PORT = 8000
# Runs inside the shop's container: the chaos controls answer on loopback only.
_CHAOS_CLIENT = """
import json, sys, urllib.error, urllib.request
method, path, token, body = sys.argv[1:5]
req = urllib.request.Request("http://127.0.0.1:PORT" + path, method=method,
    data=body.encode() if body else None,
    headers={"X-Chaos-Token": token, "Content-Type": "application/json"})
try:
    with urllib.request.urlopen(req, timeout=3) as r:
        print(json.dumps([r.status, r.read().decode()]))
except urllib.error.HTTPError as e:
    print(json.dumps([e.code, e.read().decode()]))
""".replace("PORT", str(CONTAINER_PORT))


class DockerBackend:
    name = "docker"

    def __init__(self, state: EnvState) -> None:
        self.state = state
        self.project = state.compose_project or ""
        self.measured: dict[str, Any] = {}  # what an action measured, for the log

    # -- allow-list and record ----------------------------------------------------------
    def check_target(self, target: str) -> None:
        check_target(self.state, target)

    def save(self) -> None:
        save_state(self.state)

    @property
    def data_dir(self) -> Path:
        return Path(self.state.data_dir)

    @property
    def is_postgres(self) -> bool:
        return self.state.database_kind == "postgres"

    # -- containers ----------------------------------------------------------------------
    def container(self, name: str) -> Container:
        """The allow-listed service's current container."""
        self.check_target(name)
        found = service_container(self.project, name)
        if found is None:
            raise FaultError(f"service {name} of project {self.project} has no container")
        return found

    def status(self, name: str) -> str:
        """created, running, paused, restarting, exited or dead (`docker inspect`)."""
        return str(container_state(self.container(name))["Status"])

    def pid(self, name: str) -> int:
        return int(container_state(self.container(name)).get("Pid") or 0)

    def network(self) -> Network:
        return docker_client().networks.get(f"{self.project}_default")

    def inspect(self, name: str) -> dict[str, Any]:
        container = self.container(name)
        container.reload()
        attrs: dict[str, Any] = container.attrs
        return attrs

    def refresh(self, name: str) -> None:
        """Re-read the service's container (new id / pid after a start) into the state."""
        self.state.services[name] = docker_env.record(self.state, name, wait_healthy=False)
        self.save()

    def compose_up(
        self, name: str, overrides: dict[str, str] | None = None, *, force_recreate: bool = False
    ) -> None:
        """(Re)create the service from the compose file, with some settings changed."""
        settings = {**self.state.compose_settings, **(overrides or {})}
        force = ["--force-recreate"] if force_recreate else []
        run_compose(
            self.project,
            settings,
            ["up", "-d", "--no-build", "--no-deps", *force, name],
            local_images=docker_env.local_images(),
        )

    # -- the shop's own controls (through `docker exec`) -----------------------------------
    def shop_chaos(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        shop = self.container("shop")
        if container_state(shop)["Status"] != "running":
            raise FaultError(
                "the shop's chaos controls did not answer: its container is not running"
            )
        argv = ["python", "-c", _CHAOS_CLIENT, method, path, self.state.chaos_token]
        code, raw = shop.exec_run([*argv, json.dumps(body) if body is not None else ""])
        output = raw if isinstance(raw, bytes) else b"".join(raw)
        try:
            status, text = json.loads(output.decode().strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise FaultError(
                f"the shop's chaos controls did not answer (exit {code}): "
                f"{output.decode(errors='replace')[-200:]}"
            ) from None
        if status >= 400:
            raise FaultError(f"the shop refused {method} {path}: {status} {text[:200]}")
        return json.loads(text)

    def shop_chaos_state(self) -> dict[str, Any] | None:
        """The shop's chaos state, or None when its container cannot answer."""
        return chaos_state(self)

    # -- the chaos proxy: none in a docker environment ---------------------------------------
    def require_proxy(self, name: str) -> ProxyClient:
        raise NotApplicable(
            f"the docker environment has no chaos proxy in front of {name}; this fault "
            "or action has no Docker form, use --backend local"
        )

    # -- processes, as containers -----------------------------------------------------------
    def signal_service(self, name: str, sig: signal.Signals) -> bool:
        container = self.container(name)
        status = container_state(container)["Status"]
        if sig == signal.SIGSTOP:
            if status == "running":
                container.pause()
        elif sig == signal.SIGCONT:
            if status == "paused":
                container.unpause()
        elif status in ("running", "paused"):
            container.kill(signal=sig.name)
        else:
            return False
        return True

    def service_running(self, name: str) -> bool:
        return self.status(name) in ("running", "paused")

    def service_stopped(self, name: str) -> bool:
        return self.status(name) == "paused"

    def start_service(self, name: str) -> None:
        container = self.container(name)
        status = container_state(container)["Status"]
        if status == "paused":
            container.unpause()
        elif status != "running":
            container.start()
        docker_env.wait_healthy_container(container)
        self.refresh(name)

    def restart_service(
        self, name: str, *, version: str | None = None, env: dict[str, str] | None = None
    ) -> None:
        """`docker restart`; a new release or settings recreate it from the compose file."""
        record = self.state.services[name]
        changes: dict[str, str] = {}
        if version is not None and name == "shop":
            changes["SHOP_VERSION"] = version
        for key, value in (env or {}).items():
            if key not in docker_env.SHOP_SETTINGS or name != "shop":
                raise FaultError(f"{name} has no compose setting for {key}")
            changes[docker_env.SHOP_SETTINGS[key]] = value
        if changes:
            self.state.compose_settings.update(changes)
            self.compose_up(name)
        else:
            container = self.container(name)
            if container_state(container)["Status"] == "paused":
                container.unpause()
            container.restart(timeout=3)
        docker_env.wait_healthy_container(self.container(name))
        if version is not None:
            record.version = version
        if env:
            record.env = {**record.env, **env}
        self.refresh(name)

"""`FaultBackend`: what fault kinds, remediations and the fault manager may ask of the
place a drill runs, and the few helpers every backend shares.

Each platform brings its own implementation side by side (`simulator.env.backend`
`LocalBackend` on processes, `simulator.docker.backend` `DockerBackend` on containers);
neither subclasses the other, so a platform-specific operation is reached only through
that platform's own type (`isinstance` in its own package), never by inheritance.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from simulator.env.state import EnvState
from simulator.faults.errors import FaultError, TargetRefused

if TYPE_CHECKING:
    from simulator.env.proxy_client import ProxyClient


class FaultBackend(Protocol):
    """The surface the kinds, the actions and the manager use, and nothing more."""

    name: str  # the platform's name (simulator.platform.names)
    state: EnvState  # the environment's record: services, urls, deploys, database
    # What an action measured while acting (a restore's lost rows), for the log.
    measured: dict[str, Any]

    def check_target(self, target: str) -> None:
        """Raise TargetRefused unless `target` is on the environment's allow-list."""
        ...

    def shop_chaos(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call the shop's chaos controls; FaultError when they do not answer or refuse."""
        ...

    def shop_chaos_state(self) -> dict[str, Any] | None:
        """The shop's chaos state, or None when the shop cannot answer (down, hung)."""
        ...

    def require_proxy(self, name: str) -> ProxyClient:
        """The chaos proxy in front of `name`; NotApplicable where there is none."""
        ...

    def signal_service(self, name: str, sig: signal.Signals) -> bool:
        """Deliver `sig` to the service (its platform's meaning); False if it is not running."""
        ...

    def service_running(self, name: str) -> bool: ...

    def service_stopped(self, name: str) -> bool:
        """Whether the service is frozen (SIGSTOP, a paused container)."""
        ...

    def start_service(self, name: str) -> None: ...

    def restart_service(
        self, name: str, *, version: str | None = None, env: dict[str, str] | None = None
    ) -> None:
        """Restart it, as a new release or with settings changed when asked."""
        ...

    def save(self) -> None:
        """Write the state back (after a service changed pid, version or settings)."""
        ...

    @property
    def data_dir(self) -> Path: ...

    @property
    def is_postgres(self) -> bool: ...


def check_target(state: EnvState, target: str) -> None:
    """The allow-list every backend enforces before a fault acts."""
    if target not in state.targets():
        raise TargetRefused(
            f"target '{target}' is not part of this environment; "
            f"faults may act only on: {', '.join(state.targets())}"
        )


def chaos_state(backend: FaultBackend) -> dict[str, Any] | None:
    """`GET /chaos` through the backend's own way to the shop, None when it cannot answer."""
    try:
        result: dict[str, Any] = backend.shop_chaos("GET", "/chaos")
    except FaultError:
        return None
    return result

"""What a load run needs: `LoadConfig`, its checks, and the reachability of the target."""

from __future__ import annotations

import math
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from simulator.load.errors import LoadConfigError, TargetUnreachable
from simulator.load.profiles import ProfileError, resolve_weights

__all__ = ["CONNECT_TIMEOUT_S", "LoadConfig", "check_reachable", "target_address"]

CONNECT_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class LoadConfig:
    """One load run. `duration_s=None` runs until `LoadRunner.stop()`.

    `workers=0` runs one local Locust process; `workers=N` runs a master and N
    workers on 127.0.0.1. `weights` overrides the profile's task weights.
    """

    host: str
    users: int = 10
    spawn_rate: float = 10.0
    duration_s: float | None = 10.0
    seed: int = 0
    profile: str = "shop"
    wait_min_s: float = 0.5
    wait_max_s: float = 1.5
    workers: int = 0
    weights: dict[str, int] | None = None
    # Where Locust's own output goes; a temporary directory when None.
    log_dir: Path | None = None
    start_timeout_s: float = 30.0
    # The partner integration's API key (the `partner_export` task needs one).
    api_key: str | None = None
    # Canary orders (one a second, journalled here when acknowledged): the witness of
    # lost data in a data-loss drill (`simulator.load.canary`).
    canary_file: Path | None = None

    def task_weights(self) -> dict[str, int]:
        """The checked task weights of this run."""
        try:
            return resolve_weights(self.profile, self.weights)
        except ProfileError as exc:
            raise LoadConfigError(str(exc)) from exc

    def validate(self) -> None:
        """Raise LoadConfigError naming the first setting that cannot work."""
        target_address(self.host)
        if self.users < 1:
            raise LoadConfigError(f"users must be at least 1 (got {self.users})")
        if not (self.spawn_rate > 0 and math.isfinite(self.spawn_rate)):
            raise LoadConfigError(f"spawn rate must be a number above 0 (got {self.spawn_rate})")
        if self.duration_s is not None and not (
            self.duration_s > 0 and math.isfinite(self.duration_s)
        ):
            raise LoadConfigError(
                f"duration must be above 0 seconds (got {self.duration_s}); "
                "leave it out to run until stopped"
            )
        if not (0 <= self.wait_min_s <= self.wait_max_s):
            raise LoadConfigError(
                f"think time must satisfy 0 <= wait_min_s <= wait_max_s "
                f"(got {self.wait_min_s} and {self.wait_max_s})"
            )
        if not 0 <= self.workers <= 64:
            raise LoadConfigError(f"workers must be between 0 and 64 (got {self.workers})")
        if self.start_timeout_s <= 0:
            raise LoadConfigError("start_timeout_s must be above 0")
        self.task_weights()


def target_address(host: str) -> tuple[str, int]:
    """(hostname, port) of a target URL such as http://127.0.0.1:8100."""
    parts = urlsplit(host)
    try:
        port = parts.port
    except ValueError as exc:
        raise LoadConfigError(f"host {host!r} has a bad port: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LoadConfigError(
            f"host {host!r} is not an http(s) URL; write it like http://127.0.0.1:8100"
        )
    if parts.path not in ("", "/"):
        raise LoadConfigError(
            f"host {host!r} has a path; give only scheme, host and port (http://127.0.0.1:8100)"
        )
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def check_reachable(host: str, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
    """Raise TargetUnreachable unless a TCP connection to the target succeeds."""
    hostname, port = target_address(host)
    try:
        with socket.create_connection((hostname, port), timeout=timeout_s):
            return
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        if isinstance(exc, TimeoutError | socket.timeout):
            reason = f"no answer within {timeout_s:g}s"
        raise TargetUnreachable(
            f"cannot reach the target at {host} ({reason}); start the service or fix --host"
        ) from exc

"""Traffic profiles of the shop's virtual users and how they travel to Locust.

A profile is a set of task weights: each time a user acts it picks one task with
these weights. The runner passes the chosen profile (or explicit weights), the
seed and the think time to the Locust process in environment variables, so the
same locustfile also runs by hand:
`CHAOSDRILL_LOAD_PROFILE=catalog locust -f simulator/load/locustfile.py`.

Pure: no Locust import here (the engine process reads it too).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "ENV_PREFIX",
    "PROFILES",
    "TASKS",
    "ProfileError",
    "UserSettings",
    "endpoint_key",
    "resolve_weights",
]

ENV_PREFIX = "CHAOSDRILL_LOAD_"

# What each task requests, by route template: Locust stats group by these names.
TASKS: dict[str, tuple[str, ...]] = {
    "list_products": ("GET /products",),
    "search_products": ("GET /products/search",),
    "product_detail": ("GET /products/{id}",),
    "recommendations": ("GET /recommendations/{customer_id}",),
    "place_order": ("POST /orders",),
    "pay_order": ("POST /orders/{id}/pay",),
    "view_order": ("GET /orders/{id}",),
    # A partner integration syncing customers with its own API key (CHAOSDRILL_LOAD_API_KEY).
    "partner_export": ("GET /admin/customers/export",),
}

PROFILES: dict[str, dict[str, int]] = {
    # Mostly browsing, some buying: roughly what a shop's front end sees.
    "shop": {
        "list_products": 30,
        "search_products": 15,
        "product_detail": 30,
        "recommendations": 10,
        "place_order": 8,
        "pay_order": 4,
        "view_order": 3,
    },
    # The shop's front end plus a partner's customer sync: a credential drill's load.
    "partner": {
        "list_products": 30,
        "search_products": 15,
        "product_detail": 30,
        "recommendations": 10,
        "place_order": 8,
        "pay_order": 4,
        "view_order": 3,
        "partner_export": 4,
    },
    "catalog": {"list_products": 50, "product_detail": 50},
    "orders": {"place_order": 50, "view_order": 50},
}


class ProfileError(ValueError):
    """A profile name or weight that cannot be used; the message says which."""


def endpoint_key(method: str, name: str) -> str:
    """The key of an endpoint in snapshots: "GET /products/{id}"."""
    return f"{method.upper()} {name}"


def resolve_weights(profile: str, weights: Mapping[str, int] | None = None) -> dict[str, int]:
    """The task weights of `profile`, or `weights` when given (checked either way)."""
    if weights is None:
        if profile not in PROFILES:
            known = ", ".join(sorted(PROFILES))
            raise ProfileError(f"unknown load profile {profile!r}; choose one of {known}")
        return dict(PROFILES[profile])
    unknown = sorted(set(weights) - set(TASKS))
    if unknown:
        raise ProfileError(
            f"unknown load task(s) {', '.join(unknown)}; known tasks: {', '.join(TASKS)}"
        )
    if any(not isinstance(w, int) or w < 0 for w in weights.values()):
        raise ProfileError("load task weights must be whole numbers >= 0")
    chosen = {name: w for name, w in weights.items() if w > 0}
    if not chosen:
        raise ProfileError("give at least one load task a weight above 0")
    return chosen


@dataclass(frozen=True)
class UserSettings:
    """What every virtual user of one Locust process needs to know."""

    profile: str = "shop"
    weights: dict[str, int] = field(default_factory=lambda: dict(PROFILES["shop"]))
    seed: int = 0
    wait_min_s: float = 0.0
    wait_max_s: float = 0.0
    # Distinguishes the users of distributed workers so their random streams differ.
    worker_index: int = 0
    # Where the reporter writes its JSON lines; None when Locust runs by hand.
    report_fd: int | None = None
    # The reporter ends the run after this long; None runs until stopped.
    duration_s: float | None = None
    # The partner integration's API key, sent by the partner_export task.
    api_key: str | None = None
    # Where the canary writer journals its acknowledged orders; None: no canaries.
    canary_file: str | None = None

    def to_env(self) -> dict[str, str]:
        """Environment variables that `from_env` reads back."""
        env = {
            f"{ENV_PREFIX}PROFILE": self.profile,
            f"{ENV_PREFIX}WEIGHTS": json.dumps(self.weights, sort_keys=True),
            f"{ENV_PREFIX}SEED": str(self.seed),
            f"{ENV_PREFIX}WAIT_MIN_S": repr(self.wait_min_s),
            f"{ENV_PREFIX}WAIT_MAX_S": repr(self.wait_max_s),
            f"{ENV_PREFIX}WORKER_INDEX": str(self.worker_index),
        }
        if self.report_fd is not None:
            env[f"{ENV_PREFIX}REPORT_FD"] = str(self.report_fd)
        if self.duration_s is not None:
            env[f"{ENV_PREFIX}DURATION_S"] = repr(self.duration_s)
        if self.api_key is not None:
            env[f"{ENV_PREFIX}API_KEY"] = self.api_key
        if self.canary_file is not None:
            env[f"{ENV_PREFIX}CANARY_FILE"] = self.canary_file
        return env

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> UserSettings:
        """Read the settings; a missing variable takes its default, a bad one raises."""

        def get(name: str) -> str | None:
            return environ.get(ENV_PREFIX + name) or None

        profile = get("PROFILE") or "shop"
        raw_weights = get("WEIGHTS")
        try:
            weights = None if raw_weights is None else json.loads(raw_weights)
            if weights is not None and not isinstance(weights, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            raise ProfileError(
                f"{ENV_PREFIX}WEIGHTS must be a JSON object of task weights: {exc}"
            ) from exc
        try:
            wait_min = float(get("WAIT_MIN_S") or 0.0)
            wait_max = float(get("WAIT_MAX_S") or wait_min)
            fd, duration = get("REPORT_FD"), get("DURATION_S")
            return cls(
                profile=profile,
                weights=resolve_weights(profile, weights),
                seed=int(get("SEED") or 0),
                wait_min_s=wait_min,
                wait_max_s=max(wait_min, wait_max),
                worker_index=int(get("WORKER_INDEX") or 0),
                report_fd=None if fd is None else int(fd),
                duration_s=None if duration is None else float(duration),
                api_key=get("API_KEY"),
                canary_file=get("CANARY_FILE"),
            )
        except ProfileError:
            raise
        except ValueError as exc:
            raise ProfileError(f"bad {ENV_PREFIX}* setting: {exc}") from exc

    def user_seed(self, user_index: int) -> int:
        """The seed of one user's random stream: seed, worker and user index together."""
        return self.seed * 1_000_003 + self.worker_index * 100_000 + user_index

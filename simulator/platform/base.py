"""The platform protocol: everything the engine, the fault manager, remediations and the
CLI know about where a drill runs.

A platform starts and stops the environment, gives the fault backend that injects and
reverts its kinds, says in one sentence why it refuses a kind it has no form of, and
carries its own remediation table (which action ends which fault) and actions.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from simulator.env.lifecycle import EnvOptions
    from simulator.env.state import EnvState
    from simulator.env.teardown import Stopped
    from simulator.faults.backend import FaultBackend
    from simulator.faults.base import FaultKind, FaultParams
    from simulator.remediation.actions import Action


class Platform(Protocol):
    name: str
    # The environment brings its own PostgreSQL (a scenario on postgres needs no URL).
    own_database: bool

    def up(self, options: EnvOptions) -> EnvState:
        """Start a whole environment in a state directory with no live record, or nothing."""
        ...

    def is_up(self, state: EnvState) -> bool:
        """Whether any part of the recorded environment still runs."""
        ...

    def stop(self, state_dir: Path, done: Stopped, abandoned: str | None) -> None:
        """Stop what `up` started (its faults are already reverted) and close the record."""
        ...

    def status_rows(self, state: EnvState) -> dict[str, dict[str, Any]]:
        """Each service's state and health, for `env status`."""
        ...

    def backend(self, state: EnvState) -> FaultBackend:
        """The fault backend that injects and reverts on this platform."""
        ...

    def kinds(self) -> dict[str, FaultKind]:
        """Every fault kind by name as this platform implements it (refused ones included)."""
        ...

    def refusal(self, kind_name: str) -> str | None:
        """One sentence saying why this platform cannot inject the kind, or None."""
        ...

    def actions(self) -> dict[str, Action]:
        """The remediations this platform can apply, by name."""
        ...

    def ends(
        self, action: str, arg: str | None, kind: str, params: dict[str, Any], target: str
    ) -> bool:
        """Does applying `action arg` here end a fault of `kind` with these params on `target`?"""
        ...

    def unavailable(self, state: EnvState, action: str) -> str | None:
        """Why `action` cannot act in this environment, asked before it runs; None when it
        can, or when only the action itself can tell."""
        ...

    def process_view(self, state: EnvState) -> dict[str, Any] | None:
        """The shop's process as a responder's host view shows it, when the platform has
        its own view (a container's state); None means the host's /proc view holds."""
        ...


@runtime_checkable
class NoWholeDrills(Protocol):
    """A platform whose target this host cannot reach on 127.0.0.1 (a cluster): a whole
    drill there needs the team's Prometheus and load aimed elsewhere or off
    (`simulator.drill.reach`); without them `run` and `verify` refuse with this sentence."""

    whole_drill_refused: str


@runtime_checkable
class Namespaced(Protocol):
    """A platform that acts inside a namespace on an allow-list (kubernetes)."""

    def namespace_refusal(self, namespace: str, allowed: tuple[str, ...]) -> str | None:
        """Why a drill may not act in `namespace` (allowed: the facilitator's patterns,
        empty for the platform's default list), in one sentence, or None."""
        ...


@runtime_checkable
class Renders(Protocol):
    """A platform that applies manifests, and so can print them instead (`--dry-run`)."""

    def render_env(self, options: EnvOptions) -> list[dict[str, Any]]:
        """Every object `up(options)` would apply, in order."""
        ...

    def render_fault(
        self, kind_name: str, params: FaultParams, ttl_s: float, options: EnvOptions
    ) -> list[dict[str, Any]]:
        """The objects injecting this fault would apply (NotApplicable if none)."""
        ...


@runtime_checkable
class Sweeps(Protocol):
    """A platform whose objects carry owner labels, so `cleanup` can find them without
    a record (a lost state directory, manifests applied by hand)."""

    def sweep(self, options: EnvOptions, keep: set[str]) -> list[str]:
        """Delete every environment's objects in the options' scope except those in
        `keep` (ids of environments whose drill still runs); what was deleted."""
        ...

"""`env up`, `env down`, `env status` on whichever platform: the steps every platform
shares (a stale record cleaned first, faults reverted before anything stops), then the
platform's own start and stop.

One path takes an environment down, for `env down`, `chaosdrill cleanup`, the engine's
stale cleanup and the watchdog of an environment whose engine died. Nothing on the way
may stop the rest: a revert that fails is reported, and the services are stopped anyway
(stopping them ends most faults too).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simulator.env import services
from simulator.env.errors import EnvError
from simulator.env.lifecycle import EnvOptions
from simulator.env.owner import record_owner_start
from simulator.env.state import EnvState, load_state
from simulator.env.teardown import Stopped, is_self
from simulator.faults.manager import FaultManager
from simulator.platform.registry import platform_for

__all__ = ["EnvError", "EnvOptions", "Stopped", "down", "status", "take_down", "up"]


def up(options: EnvOptions) -> EnvState:
    """Start a whole environment, or nothing: on failure everything started is stopped."""
    platform = platform_for(options.backend)  # an unknown name fails before anything starts
    options.state_dir.mkdir(parents=True, exist_ok=True)
    record_owner_start(options.state_dir)  # we run inside the drill's engine, if any
    state_dir = options.state_dir.resolve()
    existing = load_state(state_dir)
    if existing is not None:
        if existing.abandoned is None and platform_for(existing.backend).is_up(existing):
            raise EnvError(
                f"an environment is already up in {state_dir}; run `chaosdrill env down` first"
            )
        take_down(state_dir)  # a stale record from a crash: clean it up first
    return platform.up(options)


def down(state_dir: Path) -> list[str]:
    """Revert every fault, stop what `up` started, unmount; returns what was stopped."""
    return take_down(state_dir).stopped


def take_down(state_dir: Path, *, abandoned: str | None = None) -> Stopped:
    """Revert every fault, stop what `up` started and unmount, whatever fails on the way.

    With `abandoned` (why: its engine died) the record stays, marked, so that
    `env status` lists it; otherwise the record is removed.
    """
    state_dir = state_dir.resolve()
    state = load_state(state_dir)
    if state is None:
        return Stopped()
    done = Stopped()
    watchdog = state.services.get("watchdog")
    if watchdog is not None and not is_self(watchdog):
        services.stop(watchdog)
    revert_faults(state_dir, done)
    platform_for(state.backend).stop(state_dir, done, abandoned)
    return done


def revert_faults(state_dir: Path, done: Stopped, reason: str = "env-down") -> None:
    """Revert every open fault into `done`; a failure is recorded, never raised."""
    try:
        reverted = FaultManager(state_dir).revert_all(reason=reason)
        done.reverted = [f"{e.kind} {e.id}" for e in reverted]
    except Exception as exc:  # a kind's own error: report it and keep tearing down
        done.revert_error = str(exc) or type(exc).__name__


def status(state_dir: Path) -> dict[str, Any] | None:
    """What is up, by pid and health, or None when nothing is."""
    state = load_state(state_dir.resolve())
    if state is None:
        return None
    return {"state": state, "services": platform_for(state.backend).status_rows(state)}

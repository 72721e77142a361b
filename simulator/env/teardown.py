"""Taking an environment down: revert, stop, unmount, and close its record.

One path for `env down`, `chaosdrill cleanup`, the engine's stale cleanup and
the watchdog of an environment whose engine died. Nothing on the way may stop
the rest: a revert that fails is reported, and the processes are stopped anyway
(stopping them ends most faults too).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from simulator.env import services
from simulator.env.mounts import unmount
from simulator.env.state import (
    Abandoned,
    EnvState,
    ServiceRecord,
    load_state,
    lock,
    save_state,
    state_path,
)

STOP_ORDER = ["watchdog", "load", "shop", "proxy", "payment-backup", "payment-primary"]


@dataclass
class Stopped:
    """What taking an environment down did."""

    stopped: list[str] = field(default_factory=list)  # services (processes or containers)
    reverted: list[str] = field(default_factory=list)  # "KIND ID" of the faults reverted
    revert_error: str | None = None  # a revert that failed (the rest went on regardless)
    unmounted: str | None = None  # the data directory, when it was a mount of ours
    project: str | None = None  # docker: the compose project removed (containers, network, volumes)


def is_self(record: ServiceRecord) -> bool:
    """The watchdog takes its own environment down: it must not stop itself midway."""
    return record.pid == os.getpid()


def stop_all(state: EnvState) -> list[str]:
    """Stop every recorded process that still runs our command line; returns their names."""
    stopped = []
    order = sorted(state.services, key=lambda n: STOP_ORDER.index(n) if n in STOP_ORDER else -1)
    for name in order:
        record = state.services[name]
        if record.pid and not is_self(record) and services.is_running(record):
            services.stop(record)
            stopped.append(name)
    return stopped


def revert_faults(state_dir: Path, done: Stopped, reason: str = "env-down") -> None:
    """Revert every open fault into `done`; a failure is recorded, never raised."""
    from simulator.faults.manager import FaultManager  # the fault layer builds on env

    try:
        reverted = FaultManager(state_dir).revert_all(reason=reason)
        done.reverted = [f"{e.kind} {e.id}" for e in reverted]
    except Exception as exc:  # a kind's own error: report it and keep tearing down
        done.revert_error = str(exc) or type(exc).__name__


def take_down(state_dir: Path, *, abandoned: str | None = None) -> Stopped:
    """Revert every fault, stop what `up` started and unmount, whatever fails on the way.

    With `abandoned` (why: its engine died) the record stays, marked, so that
    `env status` lists it; otherwise the record is removed.
    """
    state_dir = state_dir.resolve()
    state = load_state(state_dir)
    if state is None:
        return Stopped()
    if state.backend == "docker":
        from simulator.docker import env as docker_env  # the Docker SDK only when used

        return docker_env.take_down(state_dir, abandoned=abandoned)
    done = Stopped()
    watchdog = state.services.get("watchdog")
    if watchdog is not None and not is_self(watchdog):
        services.stop(watchdog)
    revert_faults(state_dir, done)
    with lock(state_dir):
        # Reverting may have restarted a service (a crash's revert): stop the new pid.
        state = load_state(state_dir) or state
        done.stopped = stop_all(state)
        if unmount(Path(state.data_dir)):
            done.unmounted = state.data_dir
        close_record(state, abandoned)
    return done


def close_record(state: EnvState, abandoned: str | None) -> None:
    """Remove the environment's record, or keep it marked abandoned (under the lock)."""
    path = state_path(Path(state.state_dir))
    if abandoned is None:
        path.unlink(missing_ok=True)
    elif path.exists():  # a concurrent `cleanup` may have removed it: leave it removed
        state.abandoned = Abandoned(at=time.time(), reason=abandoned)
        save_state(state)

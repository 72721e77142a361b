"""Taking a local environment down: stop, unmount, and close its record.

The steps every platform shares (the watchdog first, then every fault reverted)
are `simulator.platform.environment.take_down`'s; these are the local platform's.
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
from simulator.pgcluster import cluster as pgcluster

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
    if state.pg is not None:  # the drill's own cluster: its servers and every file of it
        for job in state.pg.jobs.values():  # a batch job whose fault was never reverted
            record = ServiceRecord(
                name="batch-job", pid=job.pid, port=0, argv=job.argv, log=job.log
            )
            if services.is_running(record):
                services.stop(record)
                stopped.append(f"batch-job-{job.application}")
        stopped += [f"postgres-{name}" for name, n in state.pg.nodes.items() if n.pid]
        pgcluster.destroy(state.pg)
    return stopped


def stop_local(state_dir: Path, done: Stopped, abandoned: str | None) -> None:
    """Stop what the local `up` started and unmount, into `done`; then close the record.
    The faults are reverted already (`simulator.platform.environment.take_down`)."""
    with lock(state_dir):
        # Reverting may have restarted a service (a crash's revert): stop the new pid.
        state = load_state(state_dir)
        if state is None:
            return
        done.stopped = stop_all(state)
        if unmount(Path(state.data_dir)):
            done.unmounted = state.data_dir
        close_record(state, abandoned)


def close_record(state: EnvState, abandoned: str | None) -> None:
    """Remove the environment's record, or keep it marked abandoned (under the lock)."""
    path = state_path(Path(state.state_dir))
    if abandoned is None:
        path.unlink(missing_ok=True)
    elif path.exists():  # a concurrent `cleanup` may have removed it: leave it removed
        state.abandoned = Abandoned(at=time.time(), reason=abandoned)
        save_state(state)

"""`python -m simulator.faults.watchdog --state-dir DIR`: the far side of every TTL.

Started by `chaosdrill env up` as a process of its own, it reverts each fault
whose TTL has run out even when the engine that injected it is gone (killed
with -9, crashed, or a CLI that exited). A crashed shop gets restarted, a
stopped one resumed, a filler file deleted, an iptables rule removed. It exits
when the environment is taken down.

It also watches the drill engine that owns the environment (`owner.pid`, checked
against the process's start time so a reused pid is not taken for it). Once that
engine is gone and every open fault's TTL has passed, the shop is given a few
seconds to answer healthy, and then the watchdog takes the environment down
itself (processes or containers, network, volumes, the tmpfs) and marks its
record abandoned. A manual `chaosdrill env up` has no owner and stays up.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from simulator.env.health import healthy_again
from simulator.env.owner import Owner, read_owner
from simulator.env.state import load_state
from simulator.faults.manager import FaultManager
from simulator.platform.environment import take_down

INTERVAL_S = 0.5
# A fault whose revert keeps failing does not keep an abandoned environment up forever.
REVERT_GRACE_S = 30.0
_stop = False


def _log(msg: str, **fields: object) -> None:
    print(json.dumps({"ts": time.time(), "msg": msg, **fields}, default=str), flush=True)


def _on_term(_sig: int, _frame: FrameType | None) -> None:
    global _stop
    _stop = True


def run(state_dir: Path, interval_s: float = INTERVAL_S) -> None:
    manager = FaultManager(state_dir)
    owner = read_owner(state_dir)  # None: a manual environment, never abandoned
    orphaned = False
    while not _stop:
        try:
            state = load_state(state_dir)
        except ValueError:  # a record being replaced can't be half-read (atomic), but be safe
            state = None
        if state is None or state.abandoned is not None:
            return
        try:
            for entry in manager.expire():
                _log("ttl expired, reverted", fault=entry.id, kind=entry.kind)
        except Exception as exc:  # keep guarding; a later pass may succeed
            _log("revert failed", error=str(exc))
        if owner is not None and not owner.alive():
            if not orphaned:
                orphaned = True
                _log("engine gone; stopping the environment after its faults' TTLs", pid=owner.pid)
            if _due(manager):
                _abandon(state_dir, owner, state.shop.url)
                return
        time.sleep(interval_s)


def _due(manager: FaultManager) -> bool:
    """Every fault has ended, or the last TTL is long past (its revert keeps failing)."""
    open_entries = manager.active()
    if not open_entries:
        return True
    return time.time() > max(e.deadline for e in open_entries) + REVERT_GRACE_S


def _abandon(state_dir: Path, owner: Owner, shop_url: str) -> None:
    took = healthy_again(shop_url, cancelled=lambda: _stop)
    if _stop:  # `cleanup` or `env down` is taking the environment down itself
        return
    _log("shop healthy again" if took is not None else "shop not healthy", after_s=took)
    done = take_down(
        state_dir,
        abandoned=f"its engine (pid {owner.pid}) died; the watchdog stopped it after "
        "its faults' TTLs",
    )
    _log(
        "environment abandoned and stopped",
        stopped=done.stopped,
        reverted=done.reverted,
        revert_error=done.revert_error,
        unmounted=done.unmounted,
        compose_project=done.project,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Revert faults whose TTL has run out.")
    parser.add_argument("--state-dir", required=True, type=Path)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGINT, _on_term)
    run(args.state_dir.resolve())
    sys.exit(0)


if __name__ == "__main__":
    main()

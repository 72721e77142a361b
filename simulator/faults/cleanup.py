"""Unconditional cleanup: nothing of an environment left behind.

Run by `chaosdrill cleanup` (every environment under the state root, or the one
named), and at every engine start (the drills whose engine died). For each
environment whose engine is not running it reverts the journaled faults, resets
the two far-side controls wholesale (the proxy's toxics and the shop's chaos
settings, in case a fault acted but never made it into the journal as active),
waits until the shop answers healthy again, then stops its processes (or
containers), unmounts its data directory and removes its record. It says what it
did, one line each.
"""

from __future__ import annotations

import os
from pathlib import Path

from simulator.env import services
from simulator.env.health import WAIT_S, healthy_again
from simulator.env.inventory import FoundEnv, find_environments, inspect, shown_path
from simulator.env.mounts import mounts_under, unmount
from simulator.env.proxy_client import ProxyClient, ProxyError
from simulator.faults.errors import FaultError
from simulator.faults.manager import FaultManager, make_backend
from simulator.platform.environment import take_down


def in_use(found: FoundEnv) -> bool:
    """A drill whose engine (another process than this one) is still running."""
    owner = found.owner
    return owner is not None and owner.pid != os.getpid() and owner.alive()


def clean(found: FoundEnv, *, confirm_healthy: bool = True) -> list[str]:
    """Revert, confirm, stop, unmount and forget one environment; the lines saying so."""
    label = found.label()
    if in_use(found):
        assert found.owner is not None
        return [
            f"{label}: its engine (pid {found.owner.pid}) is running; left alone "
            "(Ctrl-C or SIGTERM the drill: it reverts everything itself)"
        ]
    # One actor at a time: the watchdog may be taking this environment down right now.
    watchdog = found.state.services.get("watchdog")
    stopped_first = []
    if watchdog is not None and found.state.abandoned is None:
        if services.is_running(watchdog):
            stopped_first.append("watchdog")
        services.stop(watchdog)
        again = inspect(found.state_dir)
        if again is None:
            return [f"{label}: its watchdog had just taken it down; nothing left"]
        found = again
    lines: list[str] = []
    if found.state.abandoned is None:
        lines += _revert(found, label, confirm_healthy)
    done = take_down(found.state_dir)
    if done.reverted:
        more = ", ".join(done.reverted)
        lines.append(f"{label}: reverted {len(done.reverted)} more fault(s): {more}")
    if done.revert_error:
        lines.append(f"{label}: a revert failed ({done.revert_error}); stopped the service anyway")
    if done.project:
        lines.append(
            f"{label}: removed compose project {done.project} "
            f"(containers {', '.join(done.stopped) or 'none'}, its network and volumes)"
        )
    elif stopped_first or done.stopped:
        lines.append(f"{label}: stopped {', '.join(stopped_first + done.stopped)}")
    if done.unmounted:
        lines.append(f"{label}: unmounted {shown_path(Path(done.unmounted))}")
    if found.state.abandoned is not None:
        lines.append(f"{label}: removed its record (abandoned: {found.state.abandoned.reason})")
    elif not any((stopped_first, done.stopped, done.unmounted, done.project)):
        lines.append(f"{label}: nothing was running; removed its record")
    return lines


def _revert(found: FoundEnv, label: str, confirm_healthy: bool) -> list[str]:
    lines = []
    try:
        reverted = FaultManager(found.state_dir).revert_all(reason="cleanup")
    except Exception as exc:  # one kind's error: the teardown below still stops everything
        lines.append(f"{label}: a revert failed: {exc}")
        reverted = []
    names = ", ".join(f"{e.kind} {e.id}" for e in reverted)
    lines.append(f"{label}: reverted {len(reverted)} fault(s)" + (f": {names}" if names else ""))
    state = found.state
    notes = []
    if state.proxy_api:
        try:
            ProxyClient(state.proxy_api).reset()
            notes.append("reset the proxy's toxics")
        except ProxyError:
            notes.append("the proxy did not answer")
    try:
        make_backend(state).shop_chaos("DELETE", "/chaos")
        notes.append("cleared the shop's chaos settings")
    except FaultError:
        notes.append("the shop did not answer its chaos control")
    lines.append(f"{label}: " + "; ".join(notes))
    if confirm_healthy and state.shop.port:  # port 0: not reachable from this host (a cluster)
        took = healthy_again(state.shop.url)
        lines.append(
            f"{label}: the shop answered healthy again after {took:.1f}s"
            if took is not None
            else f"{label}: the shop did not answer healthy within {WAIT_S:.0f}s"
        )
    return lines


def cleanup_environment(state_dir: Path) -> list[str]:
    """`chaosdrill cleanup --state-dir DIR`: that environment only."""
    found = inspect(state_dir)
    if found is None:
        lines = [f"no environment in {shown_path(state_dir)}; nothing to clean up"]
        return lines + _stray_mounts(state_dir, keep=[])
    return clean(found)


def cleanup_all(state_root: Path) -> list[str]:
    """`chaosdrill cleanup`: every environment under the state root."""
    found = find_environments(state_root)
    lines = [line for env in found for line in clean(env)]
    kept = [Path(env.state.data_dir) for env in found if in_use(env)]
    lines += _stray_mounts(state_root, keep=kept)
    return lines or [f"no environment under {shown_path(state_root)}; nothing to clean up"]


def running_env_ids(state_root: Path) -> set[str]:
    """The cluster ids (owner label values) of environments whose drill still runs."""
    return {
        env.state.cluster["env_id"]
        for env in find_environments(state_root)
        if in_use(env) and "env_id" in env.state.cluster
    }


def cleanup_stale(state_root: Path) -> list[Path]:
    """At engine start: take down every drill environment whose engine is gone."""
    cleaned = []
    for found in find_environments(state_root):
        if found.is_drill and not in_use(found):
            clean(found, confirm_healthy=False)
            cleaned.append(found.state_dir)
    return cleaned


def _stray_mounts(root: Path, keep: list[Path]) -> list[str]:
    """Our tmpfs mounts with no record left (an engine killed while bringing one up)."""
    lines = []
    for point in mounts_under(root):
        if point not in keep and unmount(point):
            lines.append(f"unmounted {shown_path(point)} (no environment recorded it)")
    return lines

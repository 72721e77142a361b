"""Unconditional cleanup: revert every leftover of an environment.

Run by `chaosdrill cleanup`, at every engine start, and on exit. It reverts
journaled faults, then resets the two far-side controls wholesale (the proxy's
toxics and the shop's chaos settings) in case a fault acted but never made it
into the journal as active.
"""

from __future__ import annotations

from pathlib import Path

from simulator.env.proxy_client import ProxyClient, ProxyError
from simulator.env.state import load_state
from simulator.faults.errors import FaultError
from simulator.faults.manager import FaultManager, make_backend


def cleanup_environment(state_dir: Path) -> str:
    """Revert everything; returns one line saying what was done."""
    state = load_state(state_dir)
    if state is None:
        return f"no environment in {state_dir}; nothing to clean up"
    reverted = FaultManager(state_dir).revert_all(reason="cleanup")
    notes = []
    if state.proxy_api:
        try:
            ProxyClient(state.proxy_api).reset()
            notes.append("proxy reset")
        except ProxyError:
            notes.append("proxy unreachable")
    backend = make_backend(state)
    try:
        backend.shop_chaos("DELETE", "/chaos")
        notes.append("shop chaos cleared")
    except FaultError:
        notes.append("shop unreachable")
    return f"reverted {len(reverted)} fault(s); " + ", ".join(notes)

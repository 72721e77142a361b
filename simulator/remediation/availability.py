"""Which runbook actions can act in an environment, asked before one runs.

A responder's toolbox lists only these, and an action that cannot act here is
refused before it runs (nothing logged, nothing charged), instead of running,
doing nothing and answering with a set-up message meant for whoever started
the environment. Each platform knows which of its actions its environment may
lack a part for (`Platform.unavailable`); elsewhere the action itself decides.
"""

from __future__ import annotations

from pathlib import Path

from simulator.env.state import EnvState, load_state
from simulator.platform.registry import platform_for

__all__ = ["unavailable_reason", "unavailable_reasons"]


def unavailable_reason(state: EnvState, name: str) -> str | None:
    """Why NAME cannot act in this environment, or None when it can."""
    return platform_for(state.backend).unavailable(state, name)


def unavailable_reasons(state_dir: Path, names: list[str]) -> dict[str, str]:
    """name -> why it cannot act, for the actions of NAMES that cannot (empty if unknown)."""
    state = load_state(state_dir)
    if state is None:
        return {}
    reasons = {name: unavailable_reason(state, name) for name in names}
    return {name: why for name, why in reasons.items() if why is not None}

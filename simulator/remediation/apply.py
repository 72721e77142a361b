"""Apply a remediation: act, then end the faults it ends, then re-assert the rest.

One applier for every platform; each platform has its actions and its table of
which action ends which fault (`Platform.actions`, `Platform.ends`)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.env.state import lock
from simulator.faults.errors import FaultError
from simulator.faults.journal import JournalEntry
from simulator.faults.manager import FaultManager
from simulator.platform.registry import platform_for


class UnknownAction(FaultError):
    pass


@dataclass
class RemediationResult:
    action: str
    arg: str | None
    detail: str
    ended: list[JournalEntry] = field(default_factory=list)
    reasserted: list[JournalEntry] = field(default_factory=list)
    measured: dict[str, Any] = field(default_factory=dict)  # what the action measured


def apply(
    state_dir: Path, action: str, arg: str | None = None, action_id: str | None = None
) -> RemediationResult:
    """Run `action` on the environment in `state_dir`; the faults it ends are recorded
    in the journal as remediated by `action_id`."""
    manager = FaultManager(state_dir)
    platform = platform_for(manager.backend_name())
    actions = platform.actions()
    spec = actions.get(action)
    if spec is None:
        close = difflib.get_close_matches(action, actions, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise UnknownAction(
            f"unknown remediation '{action}'; {hint}`chaosdrill remediate --list` shows them"
        )
    if spec.arg and not arg and spec.default_arg is None:
        raise UnknownAction(f"{action} needs a {spec.arg} argument")
    with lock(state_dir):
        backend = manager.backend()
        detail = spec.run(backend, arg)
    result = RemediationResult(action, arg, detail, measured=backend.measured)
    for entry in manager.active():
        if platform.ends(action, arg, entry.kind, entry.params, entry.target):
            result.ended.append(manager.revert(entry.id, "remediated", by=action_id))
    if spec.restarts_shop:
        result.reasserted = manager.reassert()
    return result

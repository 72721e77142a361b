"""Apply a remediation: act, then end the faults it ends, then re-assert the rest."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from simulator.env.state import lock
from simulator.faults.errors import FaultError
from simulator.faults.journal import JournalEntry
from simulator.faults.manager import FaultManager
from simulator.remediation.actions import ACTIONS
from simulator.remediation.table import ends


class UnknownAction(FaultError):
    pass


@dataclass
class RemediationResult:
    action: str
    arg: str | None
    detail: str
    ended: list[JournalEntry] = field(default_factory=list)
    reasserted: list[JournalEntry] = field(default_factory=list)


def apply(
    state_dir: Path, action: str, arg: str | None = None, action_id: str | None = None
) -> RemediationResult:
    """Run `action` on the environment in `state_dir`; the faults it ends are recorded
    in the journal as remediated by `action_id`."""
    if FaultManager(state_dir).backend_name() == "docker":
        from simulator.docker.remediation import apply_docker  # needs the Docker SDK

        result: RemediationResult = apply_docker(state_dir, action, arg, action_id)
        return result
    spec = ACTIONS.get(action)
    if spec is None:
        close = difflib.get_close_matches(action, ACTIONS, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise UnknownAction(
            f"unknown remediation '{action}'; {hint}`chaosdrill remediate --list` shows them"
        )
    if spec.arg and not arg:
        raise UnknownAction(f"{action} needs a {spec.arg} argument")
    manager = FaultManager(state_dir)
    with lock(state_dir):
        backend = manager.backend()
        detail = spec.run(backend, arg)
    result = RemediationResult(action, arg, detail)
    for entry in manager.active():
        if ends(action, arg, entry.kind, entry.params, entry.target):
            result.ended.append(manager.revert(entry.id, "remediated", by=action_id))
    if spec.restarts_shop:
        result.reasserted = manager.reassert()
    return result

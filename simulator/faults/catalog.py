"""The local platform's fault kinds by name; third parties add kinds through the
`chaosdrill.faults` entry-point group (each entry point is a FaultKind class)."""

from __future__ import annotations

from importlib.metadata import entry_points

from scoring.names import FAULT_KINDS
from simulator.faults.base import FaultKind
from simulator.faults.kinds import (
    app,
    data,
    database,
    dependency,
    disk,
    network,
    process,
    replication,
    rogue,
    security,
    stuffing,
)

_BUILTIN: list[type[FaultKind]] = [
    *app.KINDS,
    *process.KINDS,
    *database.KINDS,
    *dependency.KINDS,
    *disk.KINDS,
    *network.KINDS,
    *security.KINDS,
    *stuffing.KINDS,
    *data.KINDS,
    *replication.KINDS,
    *rogue.KINDS,
]


def _load() -> dict[str, FaultKind]:
    kinds = {cls.name: cls() for cls in _BUILTIN}
    for ep in entry_points(group="chaosdrill.faults"):
        cls = ep.load()
        kinds[cls.name] = cls()
    return kinds


REGISTRY: dict[str, FaultKind] = _load()
assert set(FAULT_KINDS) <= set(REGISTRY), "every contract name has an implementation"

"""What every fault kind is: typed params, inject, revert (idempotent), is_active."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from simulator.faults.backend import FaultBackend

BOTH_DATABASES = frozenset({"sqlite", "postgres"})


class FaultParams(BaseModel):
    """Parameters of a fault kind; unknown names are refused."""

    model_config = ConfigDict(extra="forbid")


class NoParams(FaultParams):
    pass


class FaultKind(ABC):
    """One kind of real fault. Implementations are stateless; what revert needs
    goes into the journal entry's `undo`."""

    name: ClassVar[str]
    summary: ClassVar[str]
    params_model: ClassVar[type[FaultParams]] = NoParams
    # Faults whose in-process state a restart of the shop would wipe, but which
    # stand for a cause a restart does not remove: re-applied after a restart.
    survives_restart: ClassVar[bool] = False
    # Acts on the drill's own PostgreSQL cluster (a scenario with target.own_cluster).
    needs_own_cluster: ClassVar[bool] = False

    def target(self, params: FaultParams) -> str:
        """The allow-listed target this fault acts on."""
        return "shop"

    def databases(self, params: FaultParams) -> frozenset[str]:
        """The shop databases ("sqlite", "postgres") this fault can act on.

        Scenario validation compares it with the scenario's `target.database`, so a
        drill that `check` would refuse is refused before anything starts.
        """
        return BOTH_DATABASES

    def exclusive(self, params: FaultParams, database: str) -> str | None:
        """What this fault holds alone on `database`, or None.

        Two faults that name the same thing cannot be active at once (the second
        would fail, or replace the first and die with its revert); scenario
        validation refuses a drill where they could overlap.
        """
        return None

    def check(self, backend: FaultBackend, params: FaultParams) -> None:
        """Raise NotApplicable if this kind cannot act on this environment."""
        return None  # most kinds act on every environment

    @abstractmethod
    def inject(
        self, backend: FaultBackend, params: FaultParams, ttl_s: float, fault_id: str
    ) -> dict[str, Any]:
        """Break the target for at most `ttl_s`; return what revert needs."""

    @abstractmethod
    def revert(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> None:
        """Undo the fault; must be safe to call twice or after the TTL ended it."""

    def extend(
        self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any], ttl_s: float
    ) -> None:
        """Move the far side's own deadline to `ttl_s` from now (a drill was extended).

        The default is for kinds whose far side is the watchdog: it reads the journal's
        deadline, which the manager has already moved.
        """
        return None

    @abstractmethod
    def is_active(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> bool:
        """Is the fault still in effect, as seen from the target?"""

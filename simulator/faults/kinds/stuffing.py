"""security.credential_stuffing: a combo list from another site's breach, tried on our logins.

The fault asks the shop for its account e-mails (the operator's account view),
builds a list of e-mail/password pairs in which `hits` pairs really work (those
customers reused their password) and starts the stuffer process
(`simulator/security/stuffer.py`) from its own loopback address, bounded by the
fault's TTL, its pace and its attempt cap. Blocking the attacker's address ends
it (`remediation/table.py`); a restart does not: the stuffer retries. Locking or
resetting the compromised accounts is the follow-up, not the containment.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator

from simulator.env import services
from simulator.faults.backend import FaultBackend
from simulator.faults.base import FaultKind, FaultParams
from simulator.faults.errors import FaultError
from simulator.faults.kinds.security import attacker_record, attacker_source
from simulator.security.accounts import combo_list

KIND = "security.credential_stuffing"


class StuffingParams(FaultParams):
    source: str = "127.0.0.3"
    pairs: int = Field(default=60, ge=5, le=500)  # e-mail/password pairs in the list
    hits: int = Field(default=3, ge=1, le=20)  # of which really work here
    burst: int = Field(default=10, ge=1, le=50)  # login attempts per burst
    interval_s: float = Field(default=2.0, ge=0.2, le=60)  # between bursts
    max_attempts: int = Field(default=3000, ge=1, le=20000)
    seed: int = 7  # which accounts are in the list

    @field_validator("source")
    @classmethod
    def _loopback(cls, value: str) -> str:
        return attacker_source(value)


def stuffer_argv(
    url: str, params: StuffingParams, deadline: float, combos: Path, tally: Path
) -> list[str]:
    return [
        sys.executable,
        "-m",
        "simulator.security.stuffer",
        "--url",
        url,
        "--source",
        params.source,
        "--combos",
        str(combos),
        "--burst",
        str(params.burst),
        "--interval",
        str(params.interval_s),
        "--max-attempts",
        str(params.max_attempts),
        "--deadline",
        f"{deadline:.3f}",
        "--tally",
        str(tally),
    ]


class CredentialStuffing(FaultKind):
    name = KIND
    summary = "bursts of logins with a leaked combo list; a few reused passwords get in"
    params_model = StuffingParams

    def exclusive(self, params: FaultParams, database: str) -> str | None:
        return "the drill's credential-stuffing attacker"

    def inject(
        self, backend: FaultBackend, params: FaultParams, ttl_s: float, fault_id: str
    ) -> dict[str, Any]:
        assert isinstance(params, StuffingParams)
        state = backend.state
        accounts = backend.shop_chaos("GET", "/admin/accounts")["accounts"]
        emails = [str(a["email"]) for a in accounts if not a["locked"]]
        if len(emails) < params.hits:
            raise FaultError(f"the shop has {len(emails)} open account(s), fewer than hits")
        pairs, reused = combo_list(state, emails, params.pairs, params.hits, params.seed)
        label = "".join(c for c in fault_id if c.isalnum())[:40] or "stuffing"
        combos = backend.data_dir / f"combos-DRILL-{label}.json"
        # Working passwords: readable by the drill's user only, deleted at revert.
        fd = os.open(combos, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(pairs, out)
        tally = backend.data_dir / f"stuffer-{label}.json"
        log = backend.data_dir / f"stuffer-{label}.log"
        argv = stuffer_argv(state.shop.url, params, time.time() + ttl_s, combos, tally)
        try:
            pid = services.spawn_detached(argv, log, None)
        except services.ServiceError as exc:
            combos.unlink(missing_ok=True)
            raise FaultError(f"could not start the credential stuffer: {exc}") from exc
        return {
            "pid": pid,
            "argv": argv,
            "log": str(log),
            "tally": str(tally),
            "combos": str(combos),
            "reused": reused,  # the accounts the list can open (the answer, not a clue)
        }

    def revert(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> None:
        if undo.get("pid"):
            services.stop(attacker_record(undo), grace_s=2.0)
        Path(undo.get("combos", "/nonexistent")).unlink(missing_ok=True)

    def is_active(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> bool:
        return bool(undo.get("pid")) and services.is_running(attacker_record(undo))


KINDS: list[type[FaultKind]] = [CredentialStuffing]

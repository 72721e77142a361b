"""security.leaked_key: a real export key leaks and an attacker really uses it.

The fault plants a [DRILL] paste holding the key (and the canary key beside it)
where a responder can find it (the `leaks` diagnostics view), plants a canary
customer record, and starts the attacker process (`simulator/security/attacker.py`),
bounded by the fault's TTL and its own request cap. Revoking or rotating the key,
or blocking the attacker's address, contains it (`remediation/table.py`); a
restart does not: the key lives in the shop's database and the attacker retries.
"""

from __future__ import annotations

import ipaddress
import sys
import time
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator

from simulator.env import services
from simulator.env.state import ServiceRecord
from simulator.faults.backend import FaultBackend
from simulator.faults.base import FaultKind, FaultParams
from simulator.faults.errors import FaultError
from simulator.security.keys import CANARY_KEY, OWNERS, PARTNER_KEY, secret_of

PASTE_PREFIX = "paste-DRILL-"
EXPORT_KEYS = ("reports",)  # keys with the export scope that the load does not drive


def attacker_source(value: str) -> str:
    """An attacker's address: a 127.x address other than the load's 127.0.0.1."""
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        raise ValueError(f"source {value!r} is not an IP address (e.g. 127.0.0.2)") from None
    if address.version != 4 or not address.is_loopback or value == "127.0.0.1":
        raise ValueError(
            f"source {value!r} must be a 127.x address other than 127.0.0.1 "
            "(the attacker must be told apart from the load)"
        )
    return value


class LeakedKeyParams(FaultParams):
    key_id: str = "reports"
    source: str = "127.0.0.2"
    page: int = Field(default=10, ge=1, le=100)
    interval_s: float = Field(default=2.0, ge=0.2, le=60)

    @field_validator("key_id")
    @classmethod
    def _leakable(cls, value: str) -> str:
        if value not in EXPORT_KEYS:
            raise ValueError(
                f"key_id {value!r} cannot leak in a drill; use one of {', '.join(EXPORT_KEYS)} "
                f"({PARTNER_KEY} is the partner's and {CANARY_KEY} the canary)"
            )
        return value

    @field_validator("source")
    @classmethod
    def _loopback(cls, value: str) -> str:
        return attacker_source(value)

    @property
    def owner(self) -> str:
        return OWNERS[self.key_id]


def attacker_argv(url: str, params: LeakedKeyParams, deadline: float, tally: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "simulator.security.attacker",
        "--url",
        url,
        "--source",
        params.source,
        "--page",
        str(params.page),
        "--interval",
        str(params.interval_s),
        "--deadline",
        f"{deadline:.3f}",
        "--tally",
        str(tally),
    ]


def attacker_record(undo: dict[str, Any]) -> ServiceRecord:
    return ServiceRecord(
        name="attacker", pid=int(undo["pid"]), port=0, argv=list(undo["argv"]), log=undo["log"]
    )


class LeakedKey(FaultKind):
    name = "security.leaked_key"
    summary = "an export API key leaks to a public paste; an attacker pages through customers"
    params_model = LeakedKeyParams

    def exclusive(self, params: FaultParams, database: str) -> str | None:
        return "the drill's leaked-key attacker"

    def inject(
        self, backend: FaultBackend, params: FaultParams, ttl_s: float, fault_id: str
    ) -> dict[str, Any]:
        assert isinstance(params, LeakedKeyParams)
        state = backend.state
        label = "".join(c for c in fault_id if c.isalnum())[:40] or "canary"
        backend.shop_chaos("PUT", f"/admin/canary-record/{label}")
        secret = secret_of(state, params.key_id)
        paste = backend.data_dir / f"{PASTE_PREFIX}{label}.txt"
        paste.write_text(
            "[DRILL] A planted artifact of a chaosdrill exercise; not a real leak.\n"
            f"[DRILL] Found on a public paste site at {time.strftime('%H:%M:%S')}: "
            '"backoffice nightly report job, config dump"\n'
            f"SHOP_URL={state.shop.url}\n"
            f"REPORTS_API_KEY={secret}\n"
            f"REPORTS_API_KEY_OLD={secret_of(state, CANARY_KEY)}\n"
        )
        tally = backend.data_dir / f"attacker-{label}.json"
        log = backend.data_dir / f"attacker-{label}.log"
        argv = attacker_argv(state.shop.url, params, time.time() + ttl_s, tally)
        env = {"ATTACKER_KEY": secret, "ATTACKER_CANARY_KEY": secret_of(state, CANARY_KEY)}
        try:
            pid = services.spawn_detached(argv, log, env)
        except services.ServiceError as exc:
            raise FaultError(f"could not start the attacker: {exc}") from exc
        return {
            "pid": pid,
            "argv": argv,
            "log": str(log),
            "tally": str(tally),
            "paste": str(paste),
        }

    def revert(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> None:
        if undo.get("pid"):
            services.stop(attacker_record(undo), grace_s=2.0)
        Path(undo.get("paste", "/nonexistent")).unlink(missing_ok=True)
        if backend.shop_chaos_state() is not None:  # a dead shop: the next revert tries again
            backend.shop_chaos("DELETE", "/admin/canary-record")

    def is_active(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> bool:
        return bool(undo.get("pid")) and services.is_running(attacker_record(undo))


KINDS: list[type[FaultKind]] = [LeakedKey]

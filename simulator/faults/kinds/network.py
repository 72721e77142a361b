"""network.loss: packets to a service are dropped at random.

As root with iptables: a real `statistic` DROP rule on the service's port.
Otherwise, for a proxied dependency: the proxy blackholes that share of
connections (coarser: per connection, not per packet).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any, Literal

from pydantic import Field

from simulator.faults.backend import FaultBackend
from simulator.faults.base import FaultKind, FaultParams
from simulator.faults.errors import FaultError, NotApplicable


class LossParams(FaultParams):
    percent: float = Field(default=30, gt=0, le=100)
    target: Literal["shop", "payment", "database"] = "payment"


def _rule(port: int, probability: float, fault_id: str) -> list[str]:
    return [
        "INPUT",
        "-p",
        "tcp",
        "--dport",
        str(port),
        "-m",
        "statistic",
        "--mode",
        "random",
        "--probability",
        f"{probability:.4f}",
        "-m",
        "comment",
        "--comment",
        f"chaosdrill-{fault_id}",
        "-j",
        "DROP",
    ]


def iptables_usable() -> bool:
    return os.geteuid() == 0 and shutil.which("iptables") is not None


class NetworkLoss(FaultKind):
    name = "network.loss"
    summary = "a share of packets to the shop or a dependency is dropped"
    params_model = LossParams

    def target(self, params: FaultParams) -> str:
        assert isinstance(params, LossParams)
        return params.target

    def databases(self, params: FaultParams) -> frozenset[str]:
        assert isinstance(params, LossParams)
        # Only PostgreSQL environments have a database port (its proxy) to drop packets on.
        return frozenset({"postgres"}) if params.target == "database" else super().databases(params)

    def _port(self, backend: FaultBackend, target: str) -> int:
        if target == "shop":
            return backend.state.shop.port
        proxy = backend.state.proxies.get(target)
        if proxy is None:
            raise NotApplicable(
                f"network.loss on {target}: this environment has no {target} "
                "proxy (PostgreSQL environments have one for the database)"
            )
        return int(proxy.listen.rsplit(":", 1)[1])

    def check(self, backend: FaultBackend, params: FaultParams) -> None:
        assert isinstance(params, LossParams)
        self._port(backend, params.target)
        if not iptables_usable() and params.target == "shop":
            raise NotApplicable(
                "network.loss on the shop needs root and iptables "
                "(`apt-get install iptables`); dependencies work through "
                "the proxy without them"
            )

    def inject(
        self, backend: FaultBackend, params: FaultParams, ttl_s: float, fault_id: str
    ) -> dict[str, Any]:
        assert isinstance(params, LossParams)
        port = self._port(backend, params.target)
        if iptables_usable():
            rule = _rule(port, params.percent / 100, fault_id)
            _iptables("-I", rule)
            return {"iptables": rule}
        backend.require_proxy(params.target).add_toxic(
            params.target,
            fault_id,
            "timeout",
            {"timeout": 0},
            toxicity=params.percent / 100,
            ttl_s=ttl_s,
        )
        return {"proxy": params.target, "toxic": fault_id}

    def extend(
        self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any], ttl_s: float
    ) -> None:
        # An iptables rule's far side is the watchdog (the journal's deadline).
        if "proxy" in undo:
            backend.require_proxy(undo["proxy"]).extend_toxic(undo["proxy"], undo["toxic"], ttl_s)

    def revert(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> None:
        if "iptables" in undo:
            while _iptables("-C", undo["iptables"], check=False) == 0:
                _iptables("-D", undo["iptables"])
        elif "proxy" in undo:
            backend.require_proxy(undo["proxy"]).remove_toxic(undo["proxy"], undo["toxic"])

    def is_active(self, backend: FaultBackend, params: FaultParams, undo: dict[str, Any]) -> bool:
        if "iptables" in undo:
            return _iptables("-C", undo["iptables"], check=False) == 0
        if "proxy" in undo:
            toxics = backend.require_proxy(undo["proxy"]).toxics(undo["proxy"])
            return any(t.get("name") == undo["toxic"] for t in toxics)
        return False


def _iptables(op: str, rule: list[str], *, check: bool = True) -> int:
    done = subprocess.run(
        ["iptables", "-w", "5", op, *rule], capture_output=True, text=True, timeout=10, check=False
    )
    if check and done.returncode != 0:
        raise FaultError(f"iptables {op} failed: {done.stderr.strip()}")
    return done.returncode


KINDS: list[type[FaultKind]] = [NetworkLoss]

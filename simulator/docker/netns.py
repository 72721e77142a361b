"""iptables inside a container's network namespace (nsenter), for drop and reject.

The kernel here has no netem, so packet faults are iptables rules: `statistic`
DROP for loss, REJECT with a TCP reset for an unreachable endpoint. They live
in the container's own namespace, so they touch nothing else on this host, and
they vanish with the namespace when the container is recreated or restarted.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from simulator.faults.errors import FaultError, NotApplicable


def require_nsenter() -> None:
    if os.geteuid() != 0 or not shutil.which("nsenter") or not shutil.which("iptables"):
        raise NotApplicable(
            "packet faults on containers need root, nsenter and iptables on the docker host "
            "(apt-get install util-linux iptables)"
        )


def iptables(pid: int, op: str, rule: list[str], *, check: bool = True) -> int:
    """`iptables OP RULE` in the network namespace of process `pid`; its exit status."""
    if pid <= 0:
        if check:
            raise FaultError("the container is not running, so it has no network namespace")
        return 1
    done = subprocess.run(
        ["nsenter", "-t", str(pid), "-n", "iptables", "-w", "5", op, *rule],
        capture_output=True,
        text=True,
        timeout=15,
        check=False,
    )
    if check and done.returncode != 0:
        raise FaultError(f"iptables {op} in the container failed: {done.stderr.strip()[:200]}")
    return done.returncode


def drop_rule(port: int, probability: float, fault_id: str) -> list[str]:
    """Drop a random share of the packets arriving for `port`."""
    return [
        "INPUT", "-p", "tcp", "--dport", str(port),
        "-m", "statistic", "--mode", "random", "--probability", f"{probability:.4f}",
        "-m", "comment", "--comment", f"chaosdrill-{fault_id}",
        "-j", "DROP",
    ]  # fmt: skip


def reject_rule(port: int, fault_id: str) -> list[str]:
    """Answer every packet for `port` with a TCP reset: new connections are refused,
    open ones are torn down at their next packet."""
    return [
        "INPUT", "-p", "tcp", "--dport", str(port),
        "-m", "comment", "--comment", f"chaosdrill-{fault_id}",
        "-j", "REJECT", "--reject-with", "tcp-reset",
    ]  # fmt: skip


def remove_all(pid: int, rule: list[str]) -> None:
    """Delete every copy of `rule` (idempotent; a gone namespace has none)."""
    for _ in range(20):
        if iptables(pid, "-C", rule, check=False) != 0:
            return
        iptables(pid, "-D", rule)

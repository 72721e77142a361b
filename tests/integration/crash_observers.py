"""Outside observers of a killed drill's environment (for test_crash_safety.py).

Plain HTTP to the shop's port, /proc and /proc/mounts, and the environment's
state file read as JSON: never the code under test.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.integration.faults_env import rss_mb, spinning_thread

ROOT = os.geteuid() == 0


@dataclass
class Shop:
    """What an outside observer knows: the shop's URL and its process (from the state file)."""

    url: str
    pid: int
    baseline_rss_mb: float = 0.0  # the shop's memory before the fault (for memory_leak)


def get_status(url: str, timeout: float = 2.0) -> int | str:
    try:
        return httpx.get(url, timeout=timeout).status_code
    except httpx.HTTPError as exc:
        return type(exc).__name__


def _order(shop: Shop) -> httpx.Response | None:
    try:
        return httpx.post(
            f"{shop.url}/orders",
            json={"customer_id": 3, "items": [{"product_id": 7, "quantity": 1}]},
            timeout=4.0,
        )
    except httpx.HTTPError:
        return None


def _order_fails(shop: Shop) -> bool:
    response = _order(shop)
    return response is None or response.status_code != 201


def _payment_fails(shop: Shop) -> bool:
    order = _order(shop)
    if order is None or order.status_code != 201:
        return True
    try:
        paid = httpx.post(f"{shop.url}/orders/{order.json()['id']}/pay", timeout=6.0)
    except httpx.HTTPError:
        return True
    return paid.status_code != 200


def _burning(shop: Shop) -> bool:
    try:
        return spinning_thread(shop.pid)
    except OSError:
        return False


def _leaking(shop: Shop) -> bool:
    try:
        return rss_mb(shop.pid) > shop.baseline_rss_mb + 60
    except OSError:
        return False


def _slow(shop: Shop) -> bool:
    return get_status(f"{shop.url}/products", timeout=1.0) != 200


def _wrong_release(shop: Shop) -> bool:
    try:
        return bool(httpx.get(f"{shop.url}/version", timeout=2.0).json()["version"] != "1.0.0")
    except (httpx.HTTPError, ValueError, KeyError):
        return True


@dataclass(frozen=True)
class Case:
    params: dict[str, object]
    broken: Callable[[Shop], bool]  # the fault visibly acts (beyond the basic health checks)
    possible: bool = True
    what: str = ""
    database: str = "sqlite"


CASES: dict[str, Case] = {
    "app.cpu_burn": Case({"threads": 1}, _burning),
    "app.crash": Case({}, lambda s: get_status(f"{s.url}/healthz") != 200),
    "app.error_rate": Case({"fraction": 1.0}, lambda s: get_status(f"{s.url}/products") != 200),
    "app.hang": Case({}, lambda s: get_status(f"{s.url}/healthz", timeout=1.0) != 200),
    "app.latency": Case({"ms": 1500}, lambda s: _slow(s)),
    "app.memory_leak": Case({"mb_per_s": 100, "max_mb": 150}, _leaking),
    "db.lock": Case({}, _order_fails),
    "db.pool_exhaustion": Case({}, lambda s: get_status(f"{s.url}/readyz") != 200),
    "dependency.down": Case({}, _payment_fails),
    "dependency.latency": Case({"ms": 3000}, _payment_fails),
    "deploy.bad_release": Case({"version": "1.1.0"}, _wrong_release),
    "disk.full": Case({}, _order_fails, ROOT, "root, for the size-limited tmpfs"),
    "network.loss": Case(
        {"percent": 100, "target": "payment"},
        _payment_fails,
        ROOT and shutil.which("iptables") is not None,
        "root and iptables",
    ),
    "db.down": Case({}, lambda s: get_status(f"{s.url}/readyz") != 200, database="postgres"),
    "db.latency": Case({"ms": 1500}, lambda s: _slow(s), database="postgres"),
}


def read_state(env_dir: Path) -> dict[str, object] | None:
    try:
        data: dict[str, object] = json.loads((env_dir / "state.json").read_text())
    except (OSError, ValueError):
        return None
    return data


def read_shop(env_dir: Path) -> Shop | None:
    state = read_state(env_dir)
    if state is None:
        return None
    shop = state["services"]["shop"]  # type: ignore[index]
    return Shop(url=f"http://127.0.0.1:{shop['port']}", pid=int(shop["pid"]))


def started_at(pid: int) -> str | None:
    """The process's start time (/proc/PID/stat field 22): tells a reused pid apart."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


@dataclass
class Witness:
    """Watches the environment from outside, in a thread, from the kill on."""

    env_dir: Path
    case: Case
    shop: Shop
    processes: dict[int, str] = field(default_factory=dict)  # pid -> start time
    healthy_at: float | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def note_processes(self) -> None:
        state = read_state(self.env_dir)
        for record in (state or {}).get("services", {}).values():  # type: ignore[attr-defined]
            pid = int(record["pid"])
            if pid and pid not in self.processes and (started := started_at(pid)) is not None:
                self.processes[pid] = started

    def healthy(self) -> bool:
        """The shop answers its API normally and the fault's own effect is gone."""
        shop = read_shop(self.env_dir) or self.shop
        shop.baseline_rss_mb = self.shop.baseline_rss_mb
        return (
            get_status(f"{shop.url}/healthz", timeout=1.0) == 200
            and get_status(f"{shop.url}/products", timeout=1.0) == 200
            and not self.case.broken(shop)
        )

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.note_processes()
            if self.healthy_at is None and self.healthy():
                self.healthy_at = time.monotonic()
            time.sleep(0.05)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def alive(self) -> list[int]:
        """Pids of the environment that still run (the very processes, not reused pids)."""
        alive = []
        for pid, started in self.processes.items():
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state not in ("Z", "X") and started_at(pid) == started:
                alive.append(pid)
        return alive


def mounts_under(root: Path) -> list[str]:
    """Mount points at or below `root` (/proc/mounts escapes spaces as octal)."""
    found = []
    for line in Path("/proc/self/mounts").read_text().splitlines():
        point = line.split()[1].encode().decode("unicode_escape")
        if point.startswith(str(root.resolve())):
            found.append(point)
    return found

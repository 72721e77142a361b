"""Shared helpers of the fault-layer tests: an environment and outside observers.

Observers never use the fault code: plain HTTP, sockets, /proc and files.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from simulator.env.state import EnvState, load_state
from simulator.platform.environment import EnvOptions, down, up
from tests.conftest import needs as needs  # re-exported: the fault tests import it from here
from tests.probes import healthy as shop_healthy
from tests.probes import wait_until

TOKEN_HEADER = "X-Chaos-Token"


def start_env(state_dir: Path, database_url: str | None = None) -> EnvState:
    return up(EnvOptions(state_dir=state_dir, database_url=database_url))


def stop_env(state_dir: Path) -> None:
    down(state_dir)


def current(state_dir: Path) -> EnvState:
    state = load_state(state_dir)
    assert state is not None
    return state


def status_of(
    url: str, *, method: str = "GET", json: object = None, timeout: float = 5.0
) -> int | str:
    """The status code, or the name of the transport error."""
    try:
        return httpx.request(method, url, json=json, timeout=timeout).status_code
    except httpx.HTTPError as exc:
        return type(exc).__name__


def statuses(url: str, n: int, **kwargs: object) -> list[int | str]:
    return [status_of(url, **kwargs) for _ in range(n)]  # type: ignore[arg-type]


def new_order(shop_url: str, customer_id: int = 1, timeout: float = 8.0) -> int | str:
    return status_of(
        f"{shop_url}/orders",
        method="POST",
        timeout=timeout,
        json={
            "customer_id": customer_id,
            "items": [{"product_id": 1 + customer_id % 50, "quantity": 1}],
        },
    )


def paid(shop_url: str, timeout: float = 8.0) -> tuple[int | str, str | None]:
    """Create an order and pay it: (status of the payment, provider that charged)."""
    try:
        order = httpx.post(
            f"{shop_url}/orders",
            timeout=timeout,
            json={"customer_id": 3, "items": [{"product_id": 7, "quantity": 1}]},
        )
    except httpx.HTTPError as exc:
        return f"order: {type(exc).__name__}", None
    if order.status_code != 201:
        # No order to pay: say so instead of raising, so a waiting probe sees "not yet".
        return f"order: {order.status_code}", None
    try:
        response = httpx.post(f"{shop_url}/orders/{order.json()['id']}/pay", timeout=timeout)
    except httpx.HTTPError as exc:
        return type(exc).__name__, None
    provider = response.json().get("provider") if response.status_code == 200 else None
    return response.status_code, provider


def eventually(check: Callable[[], bool], timeout_s: float, interval_s: float = 0.25) -> bool:
    """Poll `check` until it holds or the bounded time runs out; a refused or
    reset connection, a timeout or a vanished process counts as "not yet"."""
    return wait_until(check, timeout_s, interval_s)


def healthy(state_dir: Path) -> bool:
    """The shop answers its API normally (the baseline every revert must restore)."""
    return shop_healthy(current(state_dir).shop.url)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def spinning_thread(pid: int, window_s: float = 1.0, share: float = 0.8) -> bool:
    """Whether one of `pid`'s threads is runnable (state R) in at least `share` of
    the samples taken over `window_s`: a spinning thread is runnable all the time
    however many processes share the cores, while a serving thread sleeps between
    requests. CPU seconds per second would not do: on a loaded machine a spinner
    gets a third of a core. Raises OSError when the process is gone."""
    samples = 25
    runnable: dict[str, int] = {}
    for _ in range(samples):
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
            except OSError:  # that thread ended between the listing and the read
                continue
            if stat.rsplit(")", 1)[1].split()[0] == "R":
                runnable[tid] = runnable.get(tid, 0) + 1
        time.sleep(window_s / samples)
    return max(runnable.values(), default=0) >= share * samples


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0

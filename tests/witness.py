"""An outside witness: a plain HTTP client that probes the shop as a customer would.

It imports nothing of chaosdrill, on purpose: it is the check on what the
drill's own detector says. Every `PERIOD_S` it sends one read and one write,
each on a fresh connection (no keep-alive, so a connection that died with a
crashed process never fails a probe after the shop is back), rotating through
the routes a customer uses:

- reads: GET /products?limit=20, GET /products/{id}?customer_id={c},
  GET /recommendations/{c}
- writes: POST /orders (one item), then POST /orders/{id}/pay for that order

A probe FAILS (see `FailureRule`) when the connection is refused or breaks,
when no answer comes within `timeout_s`, when the status is >= 500 or any
other status a healthy shop does not give (402 declined and 409 sold out /
already paid are a healthy shop's answers), and, for a latency scenario, when
the answer took longer than the scenario's p99 threshold.

Used by bench/fidelity.py and tests/e2e/test_fidelity.py (one copy).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

PERIOD_S = 0.25
TIMEOUT_S = 2.0
# The shop's seeded data (target_app/seed.py), restated: the witness knows the shop
# only from the outside.
PRODUCTS = 200
CUSTOMERS = 300
OK_STATUSES = frozenset({402, 409})  # declined card, sold out / already paid


@dataclass(frozen=True)
class FailureRule:
    """What counts as a witness failure for one scenario."""

    timeout_s: float = TIMEOUT_S
    slow_ms: float | None = None  # latency scenarios: an answer slower than this fails

    def judge(self, status: int | None, elapsed_s: float, error: str | None) -> str | None:
        """Why this probe failed, or None when it did not."""
        if error is not None:
            return error
        assert status is not None
        if status >= 500:
            return f"HTTP {status}"
        if status >= 300 and status not in OK_STATUSES:
            return f"HTTP {status}"
        if self.slow_ms is not None and elapsed_s * 1000 > self.slow_ms:
            return f"slow {elapsed_s * 1000:.0f} ms"
        return None

    def describe(self) -> str:
        parts = [
            "connection refused or broken",
            f"no answer within {self.timeout_s:g} s",
            "HTTP >= 500 (or a 3xx/4xx other than 402/409)",
        ]
        if self.slow_ms is not None:
            parts.append(f"an answer slower than {self.slow_ms:g} ms (the scenario's p99)")
        return ", ".join(parts)


@dataclass(frozen=True)
class Probe:
    """One request of the witness; `wall` is time.time() when it was sent."""

    wall: float
    kind: str  # "read" or "write"
    route: str
    status: int | None
    elapsed_s: float
    failure: str | None


@dataclass
class Witness:
    """Probes `base_url` every `period_s` until `stop()` says so, or the bounds are hit."""

    base_url: str
    rule: FailureRule
    period_s: float = PERIOD_S
    max_probes: int = 4000
    max_s: float = 600.0
    probes: list[Probe] = field(default_factory=list)
    _tick: int = 0
    _unpaid: list[int] = field(default_factory=list)

    async def run(self, stop: Callable[[], bool]) -> list[Probe]:
        limits = httpx.Limits(max_keepalive_connections=0, max_connections=16)
        timeout = httpx.Timeout(self.rule.timeout_s)
        started = time.monotonic()
        async with (
            httpx.AsyncClient(base_url=self.base_url, limits=limits, timeout=timeout) as reads,
            httpx.AsyncClient(base_url=self.base_url, limits=limits, timeout=timeout) as writes,
        ):
            pending: set[asyncio.Task[None]] = set()
            while not stop() and time.monotonic() - started < self.max_s:
                if len(self.probes) + len(pending) + 2 > self.max_probes:
                    break
                # Fire and go on: a probe that hangs must not slow the 250 ms cadence.
                for coro in (self._read(reads), self._write(writes)):
                    task = asyncio.create_task(coro)
                    pending.add(task)
                    task.add_done_callback(pending.discard)
                self._tick += 1
                next_at = started + self._tick * self.period_s
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            if pending:
                await asyncio.wait(pending)
        self.probes.sort(key=lambda p: p.wall)
        return self.probes

    def _customer(self) -> int:
        return 1 + (self._tick * 7) % CUSTOMERS

    async def _read(self, client: httpx.AsyncClient) -> None:
        product = 1 + (self._tick * 13) % PRODUCTS
        routes = (
            ("/products", "/products?limit=20"),
            ("/products/{id}", f"/products/{product}?customer_id={self._customer()}"),
            ("/recommendations/{id}", f"/recommendations/{self._customer()}"),
        )
        name, url = routes[self._tick % len(routes)]
        await self._send(client, "read", name, "GET", url, None)

    async def _write(self, client: httpx.AsyncClient) -> None:
        if self._tick % 2 and self._unpaid:
            order = self._unpaid.pop()
            await self._send(
                client, "write", "/orders/{id}/pay", "POST", f"/orders/{order}/pay", None
            )
            return
        body = {
            "customer_id": self._customer(),
            "items": [{"product_id": 1 + (self._tick * 11) % PRODUCTS, "quantity": 1}],
        }
        response = await self._send(client, "write", "/orders", "POST", "/orders", body)
        if response is not None and response.status_code == 201:
            self._unpaid.append(int(response.json()["id"]))

    async def _send(
        self,
        client: httpx.AsyncClient,
        kind: str,
        route: str,
        method: str,
        url: str,
        body: object,
    ) -> httpx.Response | None:
        wall, start = time.time(), time.monotonic()
        response: httpx.Response | None = None
        error: str | None = None
        try:
            response = await client.request(method, url, json=body)
        except httpx.TimeoutException:
            error = f"no answer within {self.rule.timeout_s:g} s"
        except httpx.ConnectError:
            error = "connection refused"
        except httpx.TransportError as exc:
            error = f"connection broken ({type(exc).__name__})"
        elapsed = time.monotonic() - start
        status = None if response is None else response.status_code
        failure = self.rule.judge(status, elapsed, error)
        self.probes.append(Probe(wall, kind, route, status, elapsed, failure))
        return response


def shop_url(state_root: Path) -> str | None:
    """The shop's URL from a drill environment's state file (plain JSON), if written yet."""
    for state_file in sorted(state_root.glob("drills/*/env/state.json")):
        try:
            state = json.loads(state_file.read_text())
        except (OSError, ValueError):
            continue  # being written: not yet
        shop = state.get("services", {}).get("shop")
        if shop and shop.get("port"):
            return f"http://127.0.0.1:{int(shop['port'])}"
    return None


async def wait_until_answering(url: str, stop: Callable[[], bool], timeout_s: float) -> bool:
    """True once GET /healthz answers 200; refused means "not yet"."""
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(base_url=url, timeout=1.0) as client:
        while time.monotonic() < deadline and not stop():
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    return False

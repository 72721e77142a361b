"""Virtual shop customers for Locust, and the reporter that feeds our parent process.

The only module that imports Locust (it monkey-patches with gevent): the engine
runs it as a subprocess, `python -m locust -f simulator/load/locustfile.py
--headless ...` (see `simulator.load.launch`). Settings come from
CHAOSDRILL_LOAD_* environment variables (`profiles.UserSettings`).

Every user draws its tasks, ids and think times from its own `random.Random`,
seeded from the run's seed, the worker index and the user's index, so the same
seed gives each user the same sequence of requests.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gevent
import locust.runners
from locust import FastHttpUser, events, task
from locust.env import Environment
from locust.runners import WorkerRunner

from simulator.load.canary import write_canaries
from simulator.load.profiles import UserSettings
from simulator.load.protocol import EndMessage, Message, StartedMessage, encode
from simulator.load.reporter import StatsDeltas

# Workers report to the master every 3 s by default; per-second figures need 1 s.
locust.runners.WORKER_REPORT_INTERVAL = 1.0

SETTINGS = UserSettings.from_env(os.environ)

# The shop's seeded data (target_app/seed.py); the engine knows the target only
# from the outside, so these are restated rather than imported.
PRODUCTS = 200
CUSTOMERS = 300
CATEGORIES = ("books", "games", "garden", "kitchen", "music", "outdoor", "tools", "toys")
SEARCH_WORDS = ("lamp", "kit", "set", "guide", "board", "mug", "kettle", "drill", "rake", "album")
REMEMBERED_ORDERS = 20
PARTNER_PAGE = 50


class ShopCustomer(FastHttpUser):
    """One shopper: browses the catalog, sometimes orders and pays."""

    # A hanging shop must show up as slow failures, not as users stuck for a minute.
    network_timeout = 10.0
    connection_timeout = 5.0
    _indices = itertools.count()

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self.index = next(ShopCustomer._indices)
        self.rng = random.Random(SETTINGS.user_seed(self.index))
        self.task_names = list(SETTINGS.weights)
        self.task_weights = [SETTINGS.weights[name] for name in self.task_names]
        self.unpaid: deque[int] = deque(maxlen=REMEMBERED_ORDERS)
        self.orders: deque[int] = deque(maxlen=REMEMBERED_ORDERS)

    def wait_time(self) -> float:
        return self.rng.uniform(SETTINGS.wait_min_s, SETTINGS.wait_max_s)

    @task
    def act(self) -> None:
        # One task drawn from our own stream: Locust's own choice uses the global random.
        name = self.rng.choices(self.task_names, self.task_weights)[0]
        ACTIONS[name](self)

    def customer(self) -> int:
        return self.rng.randint(1, CUSTOMERS)

    def list_products(self) -> None:
        if self.rng.random() < 0.3:
            query = f"category={self.rng.choice(CATEGORIES)}&limit=20"
        else:
            query = f"limit=20&offset={self.rng.randrange(0, PRODUCTS, 20)}"
        self.client.get(f"/products?{query}", name="/products")

    def search_products(self) -> None:
        word = self.rng.choice(SEARCH_WORDS)
        self.client.get(f"/products/search?q={word}", name="/products/search")

    def product_detail(self) -> None:
        product = self.rng.randint(1, PRODUCTS)
        self.client.get(f"/products/{product}?customer_id={self.customer()}", name="/products/{id}")

    def recommendations(self) -> None:
        self.client.get(
            f"/recommendations/{self.customer()}", name="/recommendations/{customer_id}"
        )

    def place_order(self) -> None:
        items = [
            {"product_id": self.rng.randint(1, PRODUCTS), "quantity": self.rng.randint(1, 3)}
            for _ in range(self.rng.randint(1, 3))
        ]
        body = {"customer_id": self.customer(), "items": items}
        with self.client.post("/orders", json=body, name="/orders", catch_response=True) as resp:
            if resp.status_code == 201:
                order_id = int(resp.json()["id"])
                self.unpaid.append(order_id)
                self.orders.append(order_id)
                resp.success()
            elif resp.status_code == 409 and "left" in (resp.text or ""):
                resp.success()  # sold out is an answer a healthy shop gives
            else:
                resp.failure(f"HTTP {resp.status_code}")

    def pay_order(self) -> None:
        if not self.unpaid:
            self.place_order()
            return
        order_id = self.unpaid.popleft()
        with self.client.post(
            f"/orders/{order_id}/pay", name="/orders/{id}/pay", catch_response=True
        ) as resp:
            # A declined card (402) is the provider's answer, not the shop failing.
            if resp.status_code in (200, 402):
                resp.success()
            else:
                resp.failure(f"HTTP {resp.status_code}")

    def view_order(self) -> None:
        if not self.orders:
            self.place_order()
            return
        order_id = self.rng.choice(self.orders)
        self.client.get(f"/orders/{order_id}", name="/orders/{id}")

    def partner_export(self) -> None:
        if SETTINGS.api_key is None:  # no key configured: the partner is not part of this run
            self.list_products()
            return
        # The partner syncs within the customers it knows (ids 1..300), never past them.
        after = self.rng.randrange(0, CUSTOMERS - PARTNER_PAGE + 1, PARTNER_PAGE)
        self.client.get(
            f"/admin/customers/export?after_id={after}&limit={PARTNER_PAGE}",
            name="/admin/customers/export",
            headers={"X-Api-Key": SETTINGS.api_key},
        )


ACTIONS: dict[str, Callable[[ShopCustomer], None]] = {
    "list_products": ShopCustomer.list_products,
    "search_products": ShopCustomer.search_products,
    "product_detail": ShopCustomer.product_detail,
    "recommendations": ShopCustomer.recommendations,
    "place_order": ShopCustomer.place_order,
    "pay_order": ShopCustomer.pay_order,
    "view_order": ShopCustomer.view_order,
    "partner_export": ShopCustomer.partner_export,
}


class PipeReporter:
    """Writes a `started` line, one tick per second and an `end` line to our parent."""

    def __init__(self, environment: Environment, fd: int, duration_s: float | None) -> None:
        self.environment = environment
        self.out = os.fdopen(fd, "w", buffering=1, encoding="utf-8")
        self.duration_s = duration_s
        self.deltas = StatsDeltas()
        self.t0: float | None = None
        self.last_t = 0.0
        self.quitting = False
        self.loop: gevent.Greenlet | None = None

    def install(self) -> None:
        events_ = self.environment.events
        events_.test_start.add_listener(self.on_test_start)  # type: ignore[no-untyped-call]
        events_.quit.add_listener(self.on_quit)  # type: ignore[no-untyped-call]

    def on_test_start(self, **_kwargs: Any) -> None:
        if self.t0 is not None:
            return
        self.t0 = time.monotonic()
        self.write(StartedMessage(pid=os.getpid()))
        self.loop = gevent.spawn(self.tick_every_second)
        if self.duration_s is not None:
            gevent.spawn_later(self.duration_s, self.quit)

    def tick_every_second(self) -> None:
        assert self.t0 is not None
        for n in itertools.count(1):
            # Sleep to the next whole second since the start so ticks do not drift.
            gevent.sleep(max(0.0, self.t0 + n - time.monotonic()))
            self.emit(final=False)

    def emit(self, *, final: bool) -> None:
        assert self.t0 is not None
        t = time.monotonic() - self.t0
        runner = self.environment.runner
        stats = self.environment.stats
        message = self.deltas.tick(
            stats.entries,
            stats.errors,
            t=t,
            dt=t - self.last_t,
            users=runner.user_count if runner is not None else 0,
            final=final,
        )
        self.last_t = t
        self.write(message)

    def write(self, message: Message) -> None:
        try:
            self.out.write(encode(message))
        except (BrokenPipeError, ValueError):
            # Our parent is gone: end the run rather than load a target nobody watches.
            gevent.spawn(self.quit)

    def quit(self) -> None:
        if self.quitting:
            return
        self.quitting = True
        if self.environment.runner is not None:
            self.environment.runner.quit()

    def on_quit(self, exit_code: int, **_kwargs: Any) -> None:
        if self.loop is not None:
            self.loop.kill(block=False)
        if self.t0 is not None:
            self.emit(final=True)
        self.write(EndMessage(exit_code=exit_code))
        with contextlib.suppress(OSError):
            self.out.close()


@events.init.add_listener  # type: ignore[untyped-decorator]
def _report_to_parent(environment: Environment, **_kwargs: Any) -> None:
    # Workers send their stats to the master; only the master (or a local runner) reports.
    if SETTINGS.report_fd is None or isinstance(environment.runner, WorkerRunner):
        return
    PipeReporter(environment, SETTINGS.report_fd, SETTINGS.duration_s).install()


class CanaryWriter:
    """One canary order a second in a greenlet of the master (or local) process, journalled
    for the outside integrity check; it stops when the run quits."""

    def __init__(self, environment: Environment, journal: str) -> None:
        self.environment = environment
        self.journal = journal
        self.quitting = False
        self.loop: gevent.Greenlet | None = None

    def install(self) -> None:
        events_ = self.environment.events
        events_.test_start.add_listener(self.on_test_start)  # type: ignore[no-untyped-call]
        events_.quit.add_listener(self.on_quit)  # type: ignore[no-untyped-call]

    def on_test_start(self, **_kwargs: Any) -> None:
        if self.loop is None and self.environment.host:
            self.loop = gevent.spawn(
                write_canaries, self.environment.host, Path(self.journal), lambda: self.quitting
            )

    def on_quit(self, **_kwargs: Any) -> None:
        self.quitting = True
        if self.loop is not None:
            self.loop.join(timeout=6.0)  # let an answer in flight reach the journal


@events.init.add_listener  # type: ignore[untyped-decorator]
def _write_canaries(environment: Environment, **_kwargs: Any) -> None:
    if SETTINGS.canary_file is None or isinstance(environment.runner, WorkerRunner):
        return
    CanaryWriter(environment, SETTINGS.canary_file).install()

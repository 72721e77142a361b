"""Shared fixtures: the shop in-process and as real processes, PostgreSQL databases.

- `make_shop_app` / `shop_app`: the shop app in-process behind a TestClient
  (lifespan run, loopback client address, chaos token, SQLite in a temp dir);
  the factory takes Settings fields, `shop_app` is one default shop per module.
- `shop` / `module_shop`: a shop subprocess plus primary and backup payment
  providers on free ports, with a chaos token; stopped afterwards.
- `postgres_url`: TEST_POSTGRES_URL; a test marked `postgres` FAILS without it.
- `postgres_database` / `fresh_postgres_database(url)`: a fresh, uniquely
  named database on that server, dropped afterwards.
- `needs(condition, what)` and the `root` marker: a missing system part skips
  on a developer's machine and FAILS in CI (CHAOSDRILL_CI=1).
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, text
from xdist.remote import Producer

from simulator.env.processes import ManagedProcess, free_port, start_provider, start_shop
from target_app.app import create_app
from target_app.config import Settings
from target_app.deps import Shop
from tests.scheduling import DURATIONS, DurationRecorder, LongestFirstScheduling

CHAOS_TOKEN = "test-chaos-token"


def needs(condition: bool, what: str) -> None:
    """Skip on a developer's machine without `what`; in CI a missing part is a failure."""
    if condition:
        return
    if os.environ.get("CHAOSDRILL_CI"):
        pytest.fail(f"CI must provide {what}")
    pytest.skip(f"needs {what}")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--record-durations",
        action="store_true",
        help="write each test file's seconds from this run into tests/durations.json, "
        "which the longest-first xdist scheduler packs workers by",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("record_durations"):
        config.pluginmanager.register(DurationRecorder(DURATIONS), "chaosdrill-durations")


def pytest_xdist_make_scheduler(config: pytest.Config, log: Producer) -> Any:
    """`--dist loadfile` (our default) packs files longest first; see tests/scheduling.py."""
    if config.getoption("dist") == "loadfile":
        return LongestFirstScheduling(config, log)
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tests marked `root` follow `needs`: skipped as a developer, failed in CI."""
    marker = item.get_closest_marker("root")
    if marker is not None:
        why = marker.kwargs.get("reason", "iptables, mounts")
        needs(os.geteuid() == 0, f"root ({why})")


LOOPBACK_CLIENT = ("127.0.0.1", 50000)


@dataclass
class ShopApp:
    """An in-process shop: its TestClient, its parts, its files."""

    client: TestClient
    shop: Shop
    log_file: Path
    db_path: Path
    token: str = CHAOS_TOKEN

    @property
    def chaos_headers(self) -> dict[str, str]:
        return {"X-Chaos-Token": self.token}


def _open_shop_app(workdir: Path, name: str, settings: dict[str, Any]) -> ShopApp:
    db_path, log_file = workdir / f"{name}.db", workdir / f"{name}.jsonl"
    defaults: dict[str, Any] = {
        "database_url": f"sqlite:///{db_path}",
        "log_file": str(log_file),
        "log_stdout": False,
        "chaos_token": CHAOS_TOKEN,
        # Nothing listens there: payments fail fast unless a test starts a provider.
        "payment_provider_url": f"http://127.0.0.1:{free_port()}",
        "payment_backup_url": f"http://127.0.0.1:{free_port()}",
    }
    app = create_app(Settings(**{**defaults, **settings}))
    client = TestClient(app, client=LOOPBACK_CLIENT)
    client.__enter__()  # runs the lifespan: schema, seed, chaos reaper
    return ShopApp(client=client, shop=app.state.shop, log_file=log_file, db_path=db_path)


@pytest.fixture
def make_shop_app(tmp_path: Path) -> Iterator[Callable[..., ShopApp]]:
    """Build in-process shops with Settings fields as keyword arguments."""
    opened: list[ShopApp] = []

    def make(**settings: Any) -> ShopApp:
        opened.append(_open_shop_app(tmp_path, f"shop{len(opened)}", settings))
        return opened[-1]

    try:
        yield make
    finally:
        for shop_app in opened:
            shop_app.client.__exit__(None, None, None)


@pytest.fixture(scope="module")
def shop_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShopApp]:
    """One default in-process shop shared by a module's tests."""
    opened = _open_shop_app(tmp_path_factory.mktemp("shop_app"), "shop", {})
    try:
        yield opened
    finally:
        opened.client.__exit__(None, None, None)


@dataclass
class RunningShop:
    """A started shop with its two payment providers."""

    app: ManagedProcess
    primary: ManagedProcess
    backup: ManagedProcess
    workdir: Path
    token: str = CHAOS_TOKEN

    @property
    def url(self) -> str:
        return self.app.url

    def client(self, timeout_s: float = 10.0) -> httpx.Client:
        """An HTTP client for the shop's API (caller closes it)."""
        return httpx.Client(base_url=self.url, timeout=timeout_s)

    def chaos(self, timeout_s: float = 10.0) -> httpx.Client:
        """An HTTP client that sends the chaos token (caller closes it)."""
        return httpx.Client(
            base_url=self.url, timeout=timeout_s, headers={"X-Chaos-Token": self.token}
        )

    def stop(self) -> None:
        for proc in (self.app, self.primary, self.backup):
            proc.stop()


def start_running_shop(
    workdir: Path,
    *,
    version: str | None = None,
    database_url: str | None = None,
    seed: int | None = None,
) -> RunningShop:
    """Start two providers and a shop in `workdir`, side by side (each waits for
    its own readiness); stops whatever started if any part fails."""
    primary_port, backup_port = free_port(), free_port()
    starts: dict[str, Callable[[], ManagedProcess]] = {
        "primary": lambda: start_provider(workdir, "primary", port=primary_port),
        "backup": lambda: start_provider(workdir, "backup", port=backup_port),
        "app": lambda: start_shop(
            workdir,
            chaos_token=CHAOS_TOKEN,
            payment_url=f"http://127.0.0.1:{primary_port}",
            backup_url=f"http://127.0.0.1:{backup_port}",
            version=version,
            database_url=database_url,
            seed=seed,
        ),
    }
    with ThreadPoolExecutor(len(starts)) as pool:
        futures = {name: pool.submit(start) for name, start in starts.items()}
    errors = [exc for f in futures.values() if (exc := f.exception()) is not None]
    if errors:
        for future in futures.values():
            if future.exception() is None:
                future.result().stop()
        raise errors[0]
    primary, backup, app = (futures[n].result() for n in ("primary", "backup", "app"))
    return RunningShop(app=app, primary=primary, backup=backup, workdir=workdir)


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[RunningShop]:
    """A real shop (SQLite in tmp_path) with primary and backup payment providers."""
    running = start_running_shop(tmp_path)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def module_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningShop]:
    """A real shop with payment providers shared by a module's tests."""
    running = start_running_shop(tmp_path_factory.mktemp("module_shop"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The PostgreSQL server of the `postgres` tests; missing is a failure, not a skip."""
    url = os.environ.get("TEST_POSTGRES_URL")
    if not url:
        pytest.fail(
            "TEST_POSTGRES_URL is not set: run `bash .ci/system-setup && . .ci/system-env` "
            "(or export it, e.g. postgresql+psycopg://chaosdrill:chaosdrill@127.0.0.1:5432/"
            "chaosdrill) before the tests marked `postgres`."
        )
    return url


@contextmanager
def fresh_postgres_database(server_url: str) -> Iterator[str]:
    """Create `chaosdrill_test_<random>` on the server, yield its URL, drop it."""
    name = f"chaosdrill_test_{secrets.token_hex(6)}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def postgres_database(postgres_url: str) -> Iterator[str]:
    """The URL of a fresh database for one test, dropped afterwards."""
    with fresh_postgres_database(postgres_url) as url:
        yield url


@pytest.fixture
def blackhole_port() -> Iterator[int]:
    """A TCP port that accepts connections and never says a word."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        listener.close()

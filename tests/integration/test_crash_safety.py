"""kill -9 of a real `chaosdrill run` right after each fault kind's injection.

Seen from outside only (plain HTTP to the shop's port, /proc, /proc/mounts,
the environment's state file, the CLI): with nobody left to clean up, the fault
ends by its TTL and the shop is healthy within TTL + 5 s, and within TTL + 30 s
nothing of the environment runs and nothing of it is mounted; or, with
`chaosdrill cleanup` run at once, the shop is healthy within 5 s and then
everything is gone. Either way `chaosdrill score <events.db>` scores the
interrupted drill.

A drill is a short scenario written here (a 6 s TTL), run by the real CLI in a
directory of its own. Each case costs about 15-25 s on two cores.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.conftest import fresh_postgres_database
from tests.integration.faults_env import cpu_seconds, needs, rss_mb

pytestmark = pytest.mark.integration
CLI = [sys.executable, "-m", "simulator.cli"]
REPO = Path(__file__).resolve().parents[2]
TTL_S = 6.0
HEALTHY_AFTER_TTL_S = 5.0  # the fault's far side heals the shop within TTL + this
GONE_AFTER_TTL_S = 30.0  # and the watchdog has stopped everything within TTL + this
CLEANUP_HEALTHY_S = 5.0  # `chaosdrill cleanup` run at once heals the shop within this
INJECTION_TIMEOUT_S = 120.0  # environment, load and steady state on a busy machine
ROOT = os.geteuid() == 0


@dataclass
class Shop:
    """What an outside observer knows: the shop's URL and its process (from the state file)."""

    url: str
    pid: int
    baseline_rss_mb: float = 0.0  # the shop's memory before the fault (for memory_leak)


def _get(url: str, timeout: float = 2.0) -> int | str:
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
        before = cpu_seconds(shop.pid)
        time.sleep(1.0)
        # A spinning thread takes most of a core; the shop under 3 users far less.
        return cpu_seconds(shop.pid) - before > 0.6
    except OSError:
        return False


def _leaking(shop: Shop) -> bool:
    try:
        return rss_mb(shop.pid) > shop.baseline_rss_mb + 60
    except OSError:
        return False


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
    "app.crash": Case({}, lambda s: _get(f"{s.url}/healthz") != 200),
    "app.error_rate": Case({"fraction": 1.0}, lambda s: _get(f"{s.url}/products") != 200),
    "app.hang": Case({}, lambda s: _get(f"{s.url}/healthz", timeout=1.0) != 200),
    "app.latency": Case({"ms": 1500}, lambda s: _get(f"{s.url}/products", timeout=1.0) != 200),
    "app.memory_leak": Case({"mb_per_s": 100, "max_mb": 150}, _leaking),
    "db.lock": Case({}, _order_fails),
    "db.pool_exhaustion": Case({}, lambda s: _get(f"{s.url}/readyz") != 200),
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
    "db.down": Case({}, lambda s: _get(f"{s.url}/readyz") != 200, database="postgres"),
    "db.latency": Case(
        {"ms": 1500}, lambda s: _get(f"{s.url}/products", timeout=1.0) != 200, database="postgres"
    ),
}


def _param(kind: str) -> object:
    case = CASES[kind]
    marks = []
    if case.database == "postgres":
        marks.append(pytest.mark.postgres)
    if case.what.startswith("root"):
        marks.append(pytest.mark.root)
    return pytest.param(kind, marks=marks, id=kind)


KINDS = [_param(kind) for kind in sorted(CASES)]

SCENARIO = """\
id: crash-safety
title: One fault, then the engine is killed
briefing: The engine is killed with SIGKILL right after the fault is injected.
target: {{database: {database}}}
load: {{users: 3, spawn_rate: 10, profile: shop, seed: 5}}
steady_state: {{max_error_rate: 0.05, max_p99_ms: 3000, min_rps: 1, timeout: 90s}}
faults:
  - {{at: 0s, kind: {kind}, params: {params}, ttl: {ttl:g}s}}
expected:
  severity: P2
  team: development
  root_cause: a fault injected by the crash-safety test
  root_cause_area: application
  remediations: [service.restart]
confirm_recovery_s: 5
time_limit_s: {ttl:g}
"""


def _cli(cwd: Path, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def _injected(events_db: Path) -> bool:
    if not events_db.exists():
        return False
    try:
        with sqlite3.connect(f"file:{events_db}?mode=ro", uri=True, timeout=1.0) as conn:
            row = conn.execute("SELECT count(*) FROM events WHERE type = 'fault.injected'")
            return bool(row.fetchone()[0])
    except sqlite3.Error:
        return False  # not created yet, or busy: not yet


def _state(env_dir: Path) -> dict[str, object] | None:
    try:
        data: dict[str, object] = json.loads((env_dir / "state.json").read_text())
    except (OSError, ValueError):
        return None
    return data


def _shop(env_dir: Path) -> Shop | None:
    state = _state(env_dir)
    if state is None:
        return None
    shop = state["services"]["shop"]  # type: ignore[index]
    return Shop(url=f"http://127.0.0.1:{shop['port']}", pid=int(shop["pid"]))


def _started(pid: int) -> str | None:
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
        state = _state(self.env_dir)
        for record in (state or {}).get("services", {}).values():  # type: ignore[attr-defined]
            pid = int(record["pid"])
            if pid and pid not in self.processes and (started := _started(pid)) is not None:
                self.processes[pid] = started

    def healthy(self) -> bool:
        """The shop answers its API normally and the fault's own effect is gone."""
        shop = _shop(self.env_dir) or self.shop
        shop.baseline_rss_mb = self.shop.baseline_rss_mb
        return (
            _get(f"{shop.url}/healthz", timeout=1.0) == 200
            and _get(f"{shop.url}/products", timeout=1.0) == 200
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
            if state not in ("Z", "X") and _started(pid) == started:
                alive.append(pid)
        return alive


def _mounts_under(root: Path) -> list[str]:
    found = []
    for line in Path("/proc/self/mounts").read_text().splitlines():
        point = line.split()[1].encode().decode("unicode_escape")
        if point.startswith(str(root.resolve())):
            found.append(point)
    return found


def _until(check: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return check()


@dataclass
class KilledDrill:
    workdir: Path
    events_db: Path
    env_dir: Path
    shop: Shop
    killed_at: float


@pytest.fixture
def database_url(request: pytest.FixtureRequest, kind: str) -> Iterator[str | None]:
    if CASES[kind].database != "postgres":
        yield None
        return
    with fresh_postgres_database(request.getfixturevalue("postgres_url")) as url:
        yield url


@pytest.fixture
def killed_drill(tmp_path: Path, kind: str, database_url: str | None) -> Iterator[KilledDrill]:
    """A real `chaosdrill run` of `kind`, killed with SIGKILL right after the injection."""
    case = CASES[kind]
    needs(case.possible, f"what {kind} acts on here ({case.what})")
    scenario = tmp_path / "crash-safety.yaml"
    scenario.write_text(
        SCENARIO.format(kind=kind, params=case.params, ttl=TTL_S, database=case.database)
    )
    report = tmp_path / "report"
    argv = [*CLI, "run", str(scenario), "--autopilot", "--json", "--report-dir", str(report)]
    if database_url:
        argv += ["--database-url", database_url]
    with (tmp_path / "engine.err").open("wb") as err:
        engine = subprocess.Popen(
            argv,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=err,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
    env_dir: Path | None = None
    baseline = 0.0
    try:
        deadline = time.monotonic() + INJECTION_TIMEOUT_S
        while not _injected(report / "events.db"):
            assert engine.poll() is None, (
                f"the drill ended before injecting: {(tmp_path / 'engine.err').read_text()[-1500:]}"
            )
            assert time.monotonic() < deadline, "no injection within the time allowed"
            if env_dir is None:
                env_dir = next(
                    iter(sorted((tmp_path / ".chaosdrill" / "drills").glob("*/env"))), None
                )
            if env_dir is not None and (shop := _shop(env_dir)) is not None:
                with contextlib.suppress(OSError):
                    baseline = rss_mb(shop.pid)
            time.sleep(0.05)
        engine.send_signal(signal.SIGKILL)  # right after the injection: no code of ours runs
        engine.wait(timeout=10)
        killed_at = time.monotonic()
    finally:
        if engine.poll() is None:
            engine.kill()
            engine.wait(timeout=10)
    env_dirs = list((tmp_path / ".chaosdrill" / "drills").glob("*/env"))
    assert len(env_dirs) == 1, env_dirs
    shop = _shop(env_dirs[0])
    assert shop is not None, "the killed drill's environment has its record"
    shop.baseline_rss_mb = baseline
    drill = KilledDrill(tmp_path, report / "events.db", env_dirs[0], shop, killed_at)
    try:
        yield drill
    finally:  # whatever the test found, leave nothing behind for the next one
        state = _state(drill.env_dir)
        if _mounts_under(tmp_path) or (state is not None and not state.get("abandoned")):
            _cli(tmp_path, "cleanup")


def _scores_the_interrupted_drill(drill: KilledDrill) -> None:
    # Needs `chaosdrill score` to read events.db (issue 18, "a killed drill is still a drill").
    scored = _cli(drill.workdir, "score", str(drill.events_db))
    assert scored.returncode == 0, scored.stderr[-1500:]
    assert "interrupted" in scored.stdout.lower(), scored.stdout[-1500:]


@pytest.mark.parametrize("kind", KINDS)
def test_after_kill_9_the_ttl_heals_and_the_watchdog_leaves_nothing(
    killed_drill: KilledDrill, kind: str
) -> None:
    drill = killed_drill
    witness = Witness(drill.env_dir, CASES[kind], drill.shop)
    witness.note_processes()
    assert _until(lambda: CASES[kind].broken(drill.shop), 3.0), f"{kind} visibly broke the shop"
    witness.start()
    try:
        healthy_by = drill.killed_at + TTL_S + HEALTHY_AFTER_TTL_S
        assert _until(lambda: witness.healthy_at is not None, healthy_by - time.monotonic()), (
            f"{kind}: the shop was not healthy within TTL + {HEALTHY_AFTER_TTL_S:.0f}s of the kill"
        )
        gone_by = drill.killed_at + TTL_S + GONE_AFTER_TTL_S

        def nothing_left() -> bool:
            witness.note_processes()
            return not witness.alive() and not _mounts_under(drill.workdir)

        assert _until(nothing_left, gone_by - time.monotonic()), (
            f"left running: pids {witness.alive()}, mounts {_mounts_under(drill.workdir)}"
        )
    finally:
        witness.stop()
    assert {"shop", "proxy", "payment-primary", "watchdog"} <= set(
        _state(drill.env_dir)["services"]  # type: ignore[index, arg-type]
    ), "the processes checked are the environment's"
    status = _cli(drill.workdir, "env", "status")
    assert "abandoned" in status.stdout, status.stdout + status.stderr
    _scores_the_interrupted_drill(drill)


@pytest.mark.parametrize("kind", KINDS)
def test_cleanup_at_once_heals_and_leaves_nothing(killed_drill: KilledDrill, kind: str) -> None:
    drill = killed_drill
    witness = Witness(drill.env_dir, CASES[kind], drill.shop)
    witness.note_processes()
    started = time.monotonic()
    witness.start()
    try:
        done = _cli(drill.workdir, "cleanup")
    finally:
        witness.stop()
    assert done.returncode == 0, done.stderr[-1500:]
    assert "reverted 1 fault(s)" in done.stdout and "stopped" in done.stdout, done.stdout
    assert witness.healthy_at is not None, f"{kind}: never healthy; cleanup said {done.stdout}"
    assert witness.healthy_at - started <= CLEANUP_HEALTHY_S, (
        f"{kind}: healthy {witness.healthy_at - started:.1f}s after cleanup started"
    )
    assert witness.alive() == [] and _mounts_under(drill.workdir) == [], done.stdout
    assert not (drill.env_dir / "state.json").exists(), "cleanup removes the record"
    _scores_the_interrupted_drill(drill)

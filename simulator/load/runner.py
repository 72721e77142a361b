"""Run Locust in its own process(es) and hand its per-second figures to the caller.

    with LoadRunner(LoadConfig(host=url, users=10, duration_s=10)) as runner:
        for snap in runner.iter_snapshots():      # one LoadSnapshot per second
            print(snap.t, snap.total.rps, snap.endpoints["GET /products"].p99_ms)
        summary = runner.summary()

The Locust process writes JSON lines (see `protocol`) to a pipe; a reader thread
parses them, so `latest()` and `summary()` can be called from anywhere (an
asyncio engine polls `latest()`). This module never imports Locust or gevent.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from simulator.env.processes import free_port
from simulator.load.config import LoadConfig, check_reachable
from simulator.load.errors import LoadConfigError, LoadError, LoadStartError, TargetUnreachable
from simulator.load.feed import Feed
from simulator.load.launch import (
    STOP_GRACE_S,
    LocustProcess,
    child_env,
    locust_argv,
    log_tail,
    spawn,
    terminate,
    wait_exit,
    wait_quietly,
)
from simulator.load.launch import user_settings as settings_for
from simulator.load.procstat import cpu_seconds
from simulator.load.protocol import (
    EndMessage,
    ProtocolError,
    StartedMessage,
    TickMessage,
    parse_message,
)
from simulator.load.stats import (
    Checkpoint,
    EndpointStats,
    LoadAggregate,
    LoadSnapshot,
    LoadSummary,
)

__all__ = [
    "Checkpoint",
    "EndpointStats",
    "LoadConfig",
    "LoadConfigError",
    "LoadError",
    "LoadRunner",
    "LoadSnapshot",
    "LoadStartError",
    "LoadSummary",
    "TargetUnreachable",
]


class LoadRunner:
    """Owns the Locust process(es) of one run; `start()` once, `stop()` any number of times."""

    def __init__(self, config: LoadConfig) -> None:
        config.validate()
        self.config = config
        self.processes: list[LocustProcess] = []
        self.exit_code: int | None = None
        self._aggregate = LoadAggregate()
        self._lock = threading.Lock()
        self._latest: LoadSnapshot | None = None
        self._snapshots: Feed[LoadSnapshot] = Feed()  # bounded: see simulator.load.feed
        self._started = threading.Event()
        self._began = False  # the `started` message arrived
        self._done = threading.Event()
        self._reader: threading.Thread | None = None
        self._error: LoadError | None = None
        self._cpu: dict[int, float] = {}
        self._log_dir: Path | None = None
        self._own_log_dir = False

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> None:
        """Start Locust and return once its test has begun; raise LoadError otherwise.

        Blocks for a couple of seconds (Locust's import); call it in a thread from asyncio.
        """
        if self.processes:
            raise LoadError("this load run was started already; make a new LoadRunner")
        check_reachable(self.config.host)
        self._log_dir = self._make_log_dir()
        read_fd, write_fd = os.pipe()
        try:
            self._spawn_all(write_fd)
        except BaseException:
            os.close(read_fd)
            self.stop()
            raise
        finally:
            os.close(write_fd)  # only the child keeps the write end: EOF means it ended
        self._reader = threading.Thread(
            target=self._read, args=(read_fd,), name="locust-reader", daemon=True
        )
        self._reader.start()
        try:
            self._started.wait(self.config.start_timeout_s)
        except BaseException:  # Ctrl-C while waiting: leave nothing running
            self.stop()
            raise
        if not self._began:
            self._error = LoadStartError(self._why_not_started())
            self.stop()
            raise self._error

    def _make_log_dir(self) -> Path:
        if self.config.log_dir is not None:
            self.config.log_dir.mkdir(parents=True, exist_ok=True)
            return self.config.log_dir
        self._own_log_dir = True
        return Path(tempfile.mkdtemp(prefix="chaosdrill-load-"))

    def _spawn_all(self, write_fd: int) -> None:
        assert self._log_dir is not None
        config = self.config
        report = child_env(settings_for(config, report_fd=write_fd))
        if config.workers == 0:
            argv = locust_argv(config, "local")
            self.processes.append(spawn("local", argv, report, self._log_dir, (write_fd,)))
            return
        port = free_port()
        argv = locust_argv(config, "master", port)
        self.processes.append(spawn("master", argv, report, self._log_dir, (write_fd,)))
        for index in range(1, config.workers + 1):
            env = child_env(settings_for(config, worker_index=index))
            argv = locust_argv(config, "worker", port)
            self.processes.append(spawn(f"worker-{index}", argv, env, self._log_dir))

    def _why_not_started(self) -> str:
        main = self.processes[0]
        if main.popen.poll() is None and not self._done.is_set():
            what = f"did not start its test within {self.config.start_timeout_s:g}s"
        else:
            what = f"exited with code {main.popen.poll()} before its test started"
        tail = log_tail(main.log_path)
        return f"Locust {what}{': ' + tail if tail else ''} (log: {main.log_path})"

    def stop(self) -> None:
        """End the run: SIGTERM, then SIGKILL of each process group after STOP_GRACE_S.

        Safe to call any number of times and after the run ended by itself.
        """
        for proc in self.processes:
            terminate(proc, self._sample_cpu)
        if self._reader is not None:
            self._reader.join(timeout=STOP_GRACE_S)
        if self._own_log_dir and self._log_dir is not None and self._error is None:
            shutil.rmtree(self._log_dir, ignore_errors=True)
            self._own_log_dir = False

    def __enter__(self) -> LoadRunner:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- figures -----------------------------------------------------------------

    def iter_snapshots(self, timeout_s: float | None = None) -> Iterator[LoadSnapshot]:
        """Yield each second's snapshot until the run ends (or `timeout_s` passes).

        A consumer that falls minutes behind loses the oldest seconds (the feed
        is bounded). Raises LoadError at the end if Locust died instead of finishing.
        """
        if not self.processes:
            raise LoadError("the load run has not been started; call start() first")
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while deadline is None or time.monotonic() < deadline:
            item, ended = self._snapshots.get(timeout_s=0.2)
            if ended:  # later iterators end too
                if self._error is not None:
                    raise self._error
                return
            if item is not None:
                yield item

    def latest(self) -> LoadSnapshot | None:
        """The most recent second's snapshot, or None before the first one."""
        with self._lock:
            return self._latest

    def summary(self, since: Checkpoint | None = None) -> LoadSummary:
        """Totals, mean rates and percentiles over the run so far (or after `since`)."""
        with self._lock:
            return self._aggregate.summary(self.config.duration_s, since)

    def checkpoint(self) -> Checkpoint:
        """A mark in the run: `summary(since=mark)` covers only what came after it."""
        with self._lock:
            return self._aggregate.checkpoint()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait until the run ended by itself; True if it did."""
        return self._done.wait(timeout_s)

    @property
    def running(self) -> bool:
        return bool(self.processes) and not self._done.is_set()

    @property
    def error(self) -> LoadError | None:
        """Why the run ended abnormally, if it did."""
        return self._error

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    @property
    def log_dir(self) -> Path | None:
        return self._log_dir

    def cpu_seconds(self) -> float:
        """CPU seconds used by all our Locust processes (last value seen per process)."""
        self._sample_cpu()
        with self._lock:
            return sum(self._cpu.values())

    # -- reader thread -----------------------------------------------------------

    def _sample_cpu(self) -> None:
        for proc in self.processes:
            if proc.popen.returncode is None:  # not reaped: /proc still has it
                seconds = cpu_seconds(proc.pid)
                if seconds is not None:
                    with self._lock:
                        self._cpu[proc.pid] = max(seconds, self._cpu.get(proc.pid, 0.0))

    def _read(self, read_fd: int) -> None:
        ended = False
        with os.fdopen(read_fd, "r", encoding="utf-8", errors="replace") as pipe:
            for line in pipe:
                try:
                    message = parse_message(line)
                except ProtocolError:
                    continue  # never fatal: a figure missing is better than a dead reader
                if isinstance(message, StartedMessage):
                    self._began = True
                    self._started.set()
                elif isinstance(message, TickMessage):
                    self._on_tick(message)
                elif isinstance(message, EndMessage):
                    self.exit_code = message.exit_code
                    ended = True
        main = self.processes[0]
        wait_exit(main.popen, STOP_GRACE_S)
        self._sample_cpu()  # the exited process stays in /proc until it is reaped
        if not ended:
            code = wait_quietly(main.popen, STOP_GRACE_S)
            tail = log_tail(main.log_path)
            self._error = LoadError(
                f"Locust ended without finishing its run (exit code {code})"
                f"{': ' + tail if tail else ''} (log: {main.log_path})"
            )
        self._done.set()
        self._started.set()  # unblock start() if the process died early
        self._snapshots.end()

    def _on_tick(self, tick: TickMessage) -> None:
        self._sample_cpu()
        with self._lock:
            snapshot = self._aggregate.add(tick)
            if snapshot is not None:
                self._latest = snapshot
        if snapshot is not None:
            self._snapshots.put(snapshot)

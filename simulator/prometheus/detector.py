"""The `prometheus` detector: real Prometheus + Alertmanager decide the alerts.

Prometheus scrapes the drill's shop every second and evaluates the rules
(the playbook's, exported like `chaosdrill rules export`, or a team's own
file); Alertmanager delivers each alert to the engine's webhook, where it
becomes an AlertFiring / AlertResolved. The SLI samples the engine measures
recovery from still come from the builtin detector, with its rules off.

    detector = PrometheusDetector(shop_url, playbook, clock)
    detector.launch()          # blocking: both servers up and ready (~1-2 s)
    detector.add_listener(cb)  # SliSample, AlertFiring, AlertResolved
    detector.start()
    ...
    await detector.stop()      # stops both servers, removes their temp dir
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from simulator.detection.alerts import AlertFiring
from simulator.detection.detector import BuiltinDetector, DetectorOutput
from simulator.detection.samples import SliSample
from simulator.detection.security import AlertPlaybook, SecurityWindow, alert_rules
from simulator.prometheus.export import write_rules
from simulator.prometheus.rulefile import DEFAULT_JOB
from simulator.prometheus.servers import PrometheusStack, start_stack
from simulator.prometheus.tracker import AlertTracker
from simulator.prometheus.webhook import WebhookPayload, WebhookReceiver, listening_socket

Listener = Callable[[DetectorOutput], None]
log = logging.getLogger(__name__)


class SampleSource(Protocol):
    """Where the SLI samples come from: the builtin detector's scrape and probes, or a
    team's Prometheus queried (`simulator.prometheus.query_slis`)."""

    last_sample: SliSample | None

    def add_listener(self, listener: Listener) -> None: ...
    def start(self) -> asyncio.Task[None]: ...
    async def stop(self) -> None: ...


class ExtraAlertmanager(Protocol):
    """Another Alertmanager the drill's Prometheus alerts too (a team's own config)."""

    def launch(self) -> str:
        """Start it (blocking); returns host:port. Leaves nothing running if it fails."""
        ...

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    def close(self) -> None: ...


class PrometheusDetector:
    """Alerts from Prometheus + Alertmanager, SLI samples from the builtin detector."""

    def __init__(
        self,
        shop_url: str,
        playbook: AlertPlaybook,
        clock: Callable[[], float] = time.monotonic,
        *,
        rules_file: Path | None = None,
        id_prefix: str = "P",
        sample_detector: SampleSource | None = None,
        extra: ExtraAlertmanager | None = None,
    ) -> None:
        self.shop_url = shop_url.rstrip("/")
        self.playbook = playbook
        self.rules_file = rules_file
        self.extra = extra
        self.samples: SampleSource = sample_detector or BuiltinDetector(
            self.shop_url, [], clock=clock, security=SecurityWindow(playbook.security_alerts)
        )
        self.tracker = AlertTracker(
            clock, alert_rules(playbook), lambda: self.samples.last_sample, id_prefix
        )
        self.stack: PrometheusStack | None = None
        self.receiver: WebhookReceiver | None = None
        self.workdir: Path | None = None
        self.launched = False
        self._listeners: list[Listener] = []
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.samples.add_listener(self._emit)

    # -- outputs -----------------------------------------------------------------
    def add_listener(self, listener: Listener) -> None:
        """Call `listener` with every output; a listener that raises is logged and skipped."""
        self._listeners.append(listener)

    def _emit(self, output: DetectorOutput) -> None:
        for listener in list(self._listeners):
            try:
                listener(output)
            except Exception:  # a broken consumer must not stop detection
                log.exception("detector listener %r failed", listener)

    def _on_payload(self, payload: WebhookPayload) -> None:
        for transition in self.tracker.feed(payload):
            self._emit(transition)

    @property
    def firing(self) -> dict[tuple[str, str], AlertFiring]:
        """Alerts firing now, by (name, severity): one per name, the most severe."""
        return self.tracker.firing

    # -- running -----------------------------------------------------------------
    def launch(self) -> None:
        """Start Alertmanager and Prometheus and wait until both are ready (blocking).

        A missing binary, a rules file Prometheus refuses or a server that does
        not come up raises PrometheusError with nothing left running.
        """
        if self.launched:
            return
        workdir = Path(tempfile.mkdtemp(prefix="chaosdrill-prometheus-"))
        sock = listening_socket()
        try:
            receiver = WebhookReceiver(self._on_payload, sock)
            rules = self.rules_file or write_rules(self.playbook, workdir / "playbook")[0]
            extra = [self.extra.launch()] if self.extra is not None else []
            self.stack = start_stack(
                workdir,
                shop_target=urlsplit(self.shop_url).netloc,
                rules_file=rules,
                webhook_url=receiver.url,
                job=DEFAULT_JOB,
                extra_alertmanagers=extra,
            )
        except BaseException:
            sock.close()
            if self.extra is not None:
                self.extra.close()
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        self.receiver, self.workdir = receiver, workdir
        self.launched = True

    def start(self) -> asyncio.Task[None]:
        """Serve the webhook and start sampling, as a task of the running loop."""
        if self._task is None or self._task.done():
            if not self.launched:  # the factory launches beforehand (the usual way)
                self.launch()
            self._stopping.clear()
            self._task = asyncio.get_running_loop().create_task(self.run(), name="detector")
        return self._task

    async def run(self) -> None:
        """Until `stop()`: the webhook serves, the builtin detector samples."""
        assert self.receiver is not None
        try:
            await self.receiver.start()
            if self.extra is not None:
                await self.extra.start()
            self.samples.start()
            await self._stopping.wait()
        finally:
            await self.samples.stop()
            await self.receiver.stop()
            if self.extra is not None:
                await self.extra.stop()  # a last look before Prometheus stops
            await asyncio.to_thread(self.close)

    def close(self) -> None:
        """Stop both servers and remove their temp dir (blocking; idempotent)."""
        if self.stack is not None:
            self.stack.stop()
            self.stack = None
        if self.extra is not None:
            self.extra.close()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    async def stop(self) -> None:
        """Stop sampling, the webhook and both servers."""
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None
        else:
            if self.receiver is not None:
                await self.receiver.stop()
            await asyncio.to_thread(self.close)

"""The team's own Alertmanager during one drill, beside the engine's.

The drill's Prometheus sends every alert to both: the engine's Alertmanager
(which drives the incident, unchanged) and this one, which runs the team's
rewritten config with its receivers on local capture sinks. Each drill gets a
fresh one, so grouping and repeat intervals of one scenario never hide the
notifications of the next.

What it records, at the engine's clock: every notification a sink got, and what
Alertmanager itself says of each alert it holds (`GET /api/v2/alerts`, polled
twice a second): its labels, the receivers its routes resolve to, and which
alerts inhibited it. That is how an inhibited alert is told from a missing one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from simulator.env.processes import ManagedProcess, free_port, start_process, wait_http
from simulator.prometheus.config import write_yaml
from simulator.prometheus.errors import PrometheusError
from simulator.prometheus.servers import READY_TIMEOUT_S, find_binary
from simulator.teamalerting.amconfig import TeamConfig, outside_loopback, rewrite
from simulator.teamalerting.sinks import HttpSinks, Notification, listening_socket
from simulator.teamalerting.smtp import SmtpSink

POLL_S = 0.5
POLL_TIMEOUT_S = 2.0
REWRITTEN_NAME = "team-alertmanager.drill.yml"
log = logging.getLogger(__name__)


@dataclass
class SeenAlert:
    """An alert as the team's Alertmanager held it."""

    labels: dict[str, str]
    first_seen: float
    receivers: list[str] = field(default_factory=list)
    inhibited_by: set[str] = field(default_factory=set)  # alertnames
    delivered_state: bool = False  # seen `active` (neither inhibited nor silenced) at least once

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "")


class TeamAlertmanager:
    """One drill's run of the team's config: launch (blocking), start, stop."""

    def __init__(self, config: TeamConfig, clock: Callable[[], float], save_dir: Path) -> None:
        self.config = config
        self.clock = clock
        self.save_dir = save_dir
        self.notifications: list[Notification] = []
        self.alerts: dict[str, SeenAlert] = {}
        self.process: ManagedProcess | None = None
        self.workdir: Path | None = None
        self._http = HttpSinks(listening_socket(), clock, self.notifications.append)
        self._smtp = SmtpSink(listening_socket(), clock, self.notifications.append)
        self._poller: asyncio.Task[None] | None = None

    @property
    def target(self) -> str:
        assert self.process is not None
        return f"127.0.0.1:{self.process.port}"

    def launch(self) -> str:
        """Write the rewritten config, start Alertmanager on it, wait until it is ready;
        returns its address for Prometheus. Nothing is left running if it fails."""
        document = rewrite(self.config, self._http.base, self._smtp.port)
        leaks = outside_loopback(document)
        if leaks:  # a bug of ours, never the user's: refuse rather than page anybody
            raise PrometheusError(f"rewritten config still dials out: {'; '.join(leaks)}")
        self.workdir = Path(tempfile.mkdtemp(prefix="chaosdrill-team-am-"))
        try:
            path = write_yaml(self.workdir / "alertmanager.yml", document)
            self.save_dir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, self.save_dir / REWRITTEN_NAME)
            port = free_port()
            self.process = start_process(
                "team-alertmanager",
                [
                    find_binary("alertmanager"),
                    f"--config.file={path}",
                    f"--storage.path={self.workdir / 'data'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                    "--cluster.listen-address=",
                    "--log.level=warn",
                ],
                self.workdir / "alertmanager.log",
                port,
            )
            try:
                wait_http(
                    f"{self.process.url}/-/ready",
                    READY_TIMEOUT_S,
                    self.process.popen,
                    self.process.log_path,
                )
            except (RuntimeError, TimeoutError) as exc:
                raise PrometheusError(f"the team's Alertmanager did not start: {exc}") from None
        except BaseException:
            self.close()
            raise
        return self.target

    async def start(self) -> None:
        """Serve the sinks and follow Alertmanager's view of its alerts."""
        await self._http.start()
        await self._smtp.start()
        self._poller = asyncio.get_running_loop().create_task(self._poll(), name="team-am")

    async def stop(self) -> None:
        """A last look at Alertmanager's alerts, then stop sinks and process."""
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        with contextlib.suppress(httpx.HTTPError):
            async with httpx.AsyncClient(timeout=POLL_TIMEOUT_S) as client:
                await self._poll_once(client)
        await self._http.stop()
        await self._smtp.stop()
        await asyncio.to_thread(self.close)

    def close(self) -> None:
        """Stop the process and remove its temp dir (blocking; idempotent)."""
        self._http.close_unserved()
        self._smtp.close_unserved()
        if self.process is not None:
            self.process.stop()
            self.process = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    async def _poll(self) -> None:
        async with httpx.AsyncClient(timeout=POLL_TIMEOUT_S) as client:
            while True:  # bounded by the drill: stop() cancels it
                try:
                    await self._poll_once(client)
                except httpx.HTTPError as exc:  # refused while starting or stopping: not yet
                    log.debug("team alertmanager poll: %s", exc)
                await asyncio.sleep(POLL_S)

    async def _poll_once(self, client: httpx.AsyncClient) -> None:
        if self.process is None:
            return
        response = await client.get(f"{self.process.url}/api/v2/alerts")
        response.raise_for_status()
        self.observe(response.json(), self.clock())

    def observe(self, alerts: list[dict[str, Any]], now: float) -> None:
        """Fold one `/api/v2/alerts` answer into what was seen."""
        names = {a.get("fingerprint", ""): a.get("labels", {}).get("alertname", "") for a in alerts}
        for alert in alerts:
            fingerprint = str(alert.get("fingerprint", ""))
            labels = {str(k): str(v) for k, v in (alert.get("labels") or {}).items()}
            seen = self.alerts.setdefault(fingerprint, SeenAlert(labels, now))
            seen.receivers = [str(r.get("name")) for r in alert.get("receivers") or []]
            status = alert.get("status") or {}
            inhibitors = status.get("inhibitedBy") or []
            seen.inhibited_by |= {names.get(f) or f for f in inhibitors}
            if status.get("state") == "active":
                seen.delivered_state = True

"""`--prometheus-url URL`: alerts from a Prometheus that runs already (yours).

Instead of starting Prometheus + Alertmanager, the detector reads the
firing alerts of the Prometheus at URL from its HTTP API
(`/api/v1/alerts`, every second) and turns them into AlertFiring /
AlertResolved the same way as Alertmanager deliveries. That Prometheus must
load your rules (alertname + label severity as the scenarios name them) and
scrape the drill's shop; SLI samples come from the builtin detector, or, for a
target this host cannot reach (a cluster), from that Prometheus's query API
(`query_slis.PrometheusSlis`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulator.detection.security import AlertPlaybook
from simulator.prometheus.detector import PrometheusDetector, SampleSource
from simulator.prometheus.errors import PrometheusError
from simulator.prometheus.query_slis import PrometheusSlis
from simulator.prometheus.webhook import WebhookAlert, WebhookPayload

POLL_S = 1.0
TIMEOUT_S = 0.8
log = logging.getLogger(__name__)


class ApiAlert(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    state: str
    active_at: str = Field("", alias="activeAt")

    def as_webhook(self, status: str = "firing") -> WebhookAlert:
        return WebhookAlert.model_validate(
            {
                "status": status,
                "labels": self.labels,
                "annotations": self.annotations,
                "startsAt": self.active_at,
                "fingerprint": json.dumps(sorted(self.labels.items())),
            }
        )


class ApiAlerts(BaseModel):
    alerts: list[ApiAlert]


class ApiResponse(BaseModel):
    status: str
    data: ApiAlerts


class RemotePrometheusDetector(PrometheusDetector):
    """Polls `prometheus_url`/api/v1/alerts; firing there = firing in the drill."""

    def __init__(
        self,
        shop_url: str,
        playbook: AlertPlaybook,
        clock: Callable[[], float] = time.monotonic,
        *,
        prometheus_url: str,
        sample_detector: SampleSource | None = None,
    ) -> None:
        super().__init__(shop_url, playbook, clock, sample_detector=sample_detector)
        self.prometheus_url = prometheus_url.rstrip("/")
        self._firing: dict[str, ApiAlert] = {}

    def launch(self) -> None:
        """Check that the Prometheus at the URL answers (blocking, bounded)."""
        url = f"{self.prometheus_url}/-/ready"
        try:
            response = httpx.get(url, timeout=5.0, trust_env=False)
        except httpx.HTTPError as exc:
            raise PrometheusError(
                f"--prometheus-url: no Prometheus answers at {url}: {exc}"
            ) from None
        if response.status_code != 200:
            raise PrometheusError(f"--prometheus-url: {url} answered {response.status_code}")
        if isinstance(self.samples, PrometheusSlis):  # each SLI answers, before any fault
            self.samples.check()
        self.launched = True

    async def run(self) -> None:
        """Until `stop()`: sample with the builtin detector and poll the alerts API."""
        self.samples.start()
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT_S, trust_env=False) as client:
                while not self._stopping.is_set():
                    await self.poll(client)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), POLL_S)
        finally:
            await self.samples.stop()

    async def poll(self, client: httpx.AsyncClient) -> None:
        """One read of the alerts API; changes since the last one become transitions."""
        try:
            response = await client.get(f"{self.prometheus_url}/api/v1/alerts")
            response.raise_for_status()
            body = ApiResponse.model_validate_json(response.content)
        except (httpx.HTTPError, ValidationError) as exc:
            log.warning("prometheus alerts API: %s", exc)  # unknown is not resolved
            return
        now = {
            json.dumps(sorted(a.labels.items())): a for a in body.data.alerts if a.state == "firing"
        }
        changes = [a.as_webhook() for key, a in now.items() if key not in self._firing]
        changes += [a.as_webhook("resolved") for key, a in self._firing.items() if key not in now]
        self._firing = now
        if changes:
            firing = any(c.status == "firing" for c in changes)
            self._on_payload(
                WebhookPayload(status="firing" if firing else "resolved", alerts=changes)
            )

    def close(self) -> None:
        """Nothing was started here."""
